import json

import pytest

from consumer.validation import Rejection, parse_event
from schemas import DeadLetterReason, TicketCreated

LIMIT = 10_000


def encode(document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("value", "reason", "fragment"),
    [
        (None, DeadLetterReason.TOMBSTONE, "null value"),
        (b"x" * (LIMIT + 1), DeadLetterReason.PAYLOAD_TOO_LARGE, "the limit is 10000"),
        (b'{"ticket_id": "1", "text": "\xff\xfe"}', DeadLetterReason.INVALID_UTF8, "0xff"),
        (b"{ticket_id: 1", DeadLetterReason.INVALID_JSON, "not JSON"),
        (b"[1, 2]", DeadLetterReason.NOT_AN_OBJECT, "JSON list"),
        (b'"just text"', DeadLetterReason.NOT_AN_OBJECT, "JSON str"),
        (encode({"text": "нет воды"}), DeadLetterReason.MISSING_TICKET_ID, "ticket_id"),
        (encode({"ticket_id": " ", "text": "x"}), DeadLetterReason.MISSING_TICKET_ID, "ticket_id"),
        (encode({"ticket_id": "7"}), DeadLetterReason.MISSING_TEXT, "text"),
        (encode({"ticket_id": "7", "text": None}), DeadLetterReason.MISSING_TEXT, "text"),
        (encode({"ticket_id": "7", "text": ""}), DeadLetterReason.MISSING_TEXT, "text"),
        (
            encode({"ticket_id": "7", "text": "x", "schema_version": 2}),
            DeadLetterReason.UNSUPPORTED_SCHEMA_VERSION,
            "reads version 1",
        ),
        (
            encode({"ticket_id": "7", "text": "x", "created_at": "вчера"}),
            DeadLetterReason.INVALID_FIELD,
            "created_at",
        ),
    ],
)
def test_parse_event_rejects_with_reason(value, reason, fragment):
    result = parse_event(value, LIMIT)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert fragment in result.message


def test_parse_event_keeps_ticket_id_when_text_missing():
    result = parse_event(encode({"ticket_id": 55}), LIMIT)
    assert isinstance(result, Rejection)
    assert result.ticket_id == "55"


@pytest.mark.parametrize(
    "text",
    [
        "<p>Не&nbsp;работает <b>лифт</b></p>",
        "Протечка 🙂🙂 в подъезде",
        "Нe paбoтaeт лифт",  # Latin letters that look Cyrillic
        "видео\u200c\u200c удалили",
        "снег " * 5000,
    ],
)
def test_parse_event_accepts_messy_real_text(text):
    result = parse_event(encode({"ticket_id": "1", "text": text}), 1_000_000)
    assert isinstance(result, TicketCreated)
    assert result.text == text.strip()
