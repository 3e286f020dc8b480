from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas import Alternative, DeadLetterEvent, DeadLetterReason, TicketCategorized, TicketCreated


def test_ticket_created_keeps_extra_fields():
    event = TicketCreated.model_validate(
        {"ticket_id": "T-1", "text": "нет воды", "priority": "high", "tags": ["a"]}
    )
    assert event.extra == {"priority": "high", "tags": ["a"]}
    assert event.model_dump()["priority"] == "high"


def test_ticket_created_accepts_numeric_ticket_id():
    assert TicketCreated.model_validate({"ticket_id": 42, "text": "x"}).ticket_id == "42"


@pytest.mark.parametrize("ticket_id", ["", "   ", None])
def test_ticket_created_rejects_empty_ticket_id(ticket_id):
    with pytest.raises(ValidationError):
        TicketCreated.model_validate({"ticket_id": ticket_id, "text": "x"})


@pytest.mark.parametrize("text", ["", "  ", None])
def test_ticket_created_rejects_empty_text(text):
    with pytest.raises(ValidationError):
        TicketCreated.model_validate({"ticket_id": "1", "text": text})


def test_ticket_created_parses_optional_fields():
    event = TicketCreated.model_validate(
        {
            "ticket_id": "1",
            "text": "x",
            "subject": "Лифт",
            "office": "СПб",
            "created_at": "2026-12-04T10:00:00Z",
        }
    )
    assert event.subject == "Лифт"
    assert event.office == "СПб"
    assert event.created_at == datetime(2026, 12, 4, 10, tzinfo=UTC)


def test_ticket_categorized_round_trips_json():
    event = TicketCategorized(
        ticket_id="1",
        category="Лифт",
        confidence=0.8,
        alternatives=[
            Alternative(category="Лифт", probability=0.8),
            Alternative(category="Вода", probability=0.15),
            Alternative(category="Свет", probability=0.05),
        ],
        model_version="20261204T000000Z",
        classified_at=datetime(2026, 12, 4, tzinfo=UTC),
    )
    assert TicketCategorized.model_validate_json(event.model_dump_json()) == event


def test_ticket_categorized_rejects_confidence_above_one():
    with pytest.raises(ValidationError):
        TicketCategorized(
            ticket_id="1",
            category="x",
            confidence=1.5,
            alternatives=[],
            model_version="v",
            classified_at=datetime.now(UTC),
        )


def test_dead_letter_event_allows_null_value_for_tombstone():
    event = DeadLetterEvent(
        error_kind=DeadLetterReason.TOMBSTONE,
        error_message="null value",
        source_topic="t",
        source_partition=0,
        source_offset=5,
        original_value_base64=None,
        dead_lettered_at=datetime.now(UTC),
    )
    assert (
        DeadLetterEvent.model_validate_json(event.model_dump_json()).original_value_base64 is None
    )
