import base64
import json

import pytest

from classifier.artifact import ModelArtifact
from classifier.cleaning import TextCleaner
from consumer.batch import BatchClassifier
from schemas import DeadLetterEvent, DeadLetterReason, TicketCategorized
from tests.consumer.records import Record


@pytest.fixture(scope="module")
def classifier(appeals_model_dir) -> BatchClassifier:
    artifact = ModelArtifact.load(appeals_model_dir)
    return BatchClassifier(
        artifact,
        TextCleaner(artifact.metadata.cleaning),
        output_topic="out",
        dead_letter_topic="dlq",
        max_payload_bytes=100_000,
    )


def ticket(ticket_id: str, text: str) -> bytes:
    return json.dumps({"ticket_id": ticket_id, "text": text}, ensure_ascii=False).encode()


@pytest.mark.slow
def test_batch_answers_every_record_once(classifier):
    records = [
        Record(ticket("1", "Во дворе не убран снег"), 10, partition_number=0, key_bytes=b"1"),
        Record(b"not json", 11, partition_number=0, key_bytes=b"k"),
        Record(ticket("2", "Лифт не работает третий день"), 5, partition_number=2),
        Record(None, 6, partition_number=2),
        Record(ticket("3", "!!! 123 ???"), 7, partition_number=2),
    ]
    outcome = classifier.process(records)

    assert len(outcome.records) == len(records)
    assert outcome.next_offsets == {("tickets", 0): 12, ("tickets", 2): 8}
    outputs = [r for r in outcome.records if r.topic == "out"]
    dead = [r for r in outcome.records if r.topic == "dlq"]
    assert [r.key for r in outputs] == [b"1", b"2"]
    assert [r.dead_letter_reason for r in dead] == [
        DeadLetterReason.INVALID_JSON,
        DeadLetterReason.TOMBSTONE,
        DeadLetterReason.EMPTY_AFTER_CLEANING,
    ]


@pytest.mark.slow
def test_batch_output_event_is_complete(classifier):
    outcome = classifier.process([Record(ticket("42", "Протекает крыша над квартирой"), 0)])
    event = TicketCategorized.model_validate_json(outcome.records[0].value)

    assert event.ticket_id == "42"
    assert event.category in classifier.artifact.metadata.labels
    assert event.model_version == classifier.artifact.version
    assert len(event.alternatives) == 3
    assert event.alternatives[0].category == event.category
    assert event.alternatives[0].probability == pytest.approx(event.confidence)
    probabilities = [a.probability for a in event.alternatives]
    assert probabilities == sorted(probabilities, reverse=True)


@pytest.mark.slow
def test_dead_letter_keeps_original_bytes(classifier):
    raw = b'{"ticket_id": "9", "text": "\xff\xfe broken"}'
    record = Record(raw, 3, key_bytes=b"\x00key", header_list=[("trace", b"abc"), ("n", None)])
    event = DeadLetterEvent.model_validate_json(classifier.process([record]).records[0].value)

    assert base64.b64decode(event.original_value_base64 or "") == raw
    assert base64.b64decode(event.original_key_base64 or "") == b"\x00key"
    assert event.original_headers == [("trace", base64.b64encode(b"abc").decode()), ("n", None)]
    assert event.error_kind == DeadLetterReason.INVALID_UTF8
    assert (event.source_topic, event.source_partition, event.source_offset) == ("tickets", 0, 3)


def test_consume_errors_carry_no_offset(classifier):
    outcome = classifier.process([Record(None, 0, err="broker transport failure")])
    assert outcome.records == []
    assert outcome.next_offsets == {}
    assert outcome.consume_errors == ["broker transport failure"]


@pytest.mark.slow
def test_model_failure_dead_letters_only_the_failing_text(appeals_model_dir, monkeypatch):
    artifact = ModelArtifact.load(appeals_model_dir)
    original = artifact.predict_proba

    def fail_on_poison(cleaned_texts):
        if any("яд" in text.split() for text in cleaned_texts):
            raise RuntimeError("simulated kernel failure")
        return original(cleaned_texts)

    monkeypatch.setattr(artifact, "predict_proba", fail_on_poison)
    classifier = BatchClassifier(
        artifact,
        TextCleaner(artifact.metadata.cleaning),
        output_topic="out",
        dead_letter_topic="dlq",
        max_payload_bytes=100_000,
    )
    texts = ["Во дворе не убран снег", "В подвале яд от крыс", "Лифт не работает", "Течёт кран"]
    records = [Record(ticket(str(i), text), i) for i, text in enumerate(texts)]

    outcome = classifier.process(records)

    assert len(outcome.records) == 4
    dead = [r for r in outcome.records if r.topic == "dlq"]
    assert len(dead) == 1
    event = DeadLetterEvent.model_validate_json(dead[0].value)
    assert event.error_kind == DeadLetterReason.INFERENCE_FAILED
    assert event.ticket_id == "1"
    assert "simulated kernel failure" in event.error_message
    assert [r.key for r in outcome.records if r.topic == "out"] == [b"0", b"2", b"3"]


@pytest.mark.slow
def test_review_threshold_marks_and_copies(appeals_model_dir):
    artifact = ModelArtifact.load(appeals_model_dir)
    classifier = BatchClassifier(
        artifact,
        TextCleaner(artifact.metadata.cleaning),
        output_topic="out",
        dead_letter_topic="dlq",
        max_payload_bytes=100_000,
        review_threshold=1.01,
        review_topic="review",
    )
    outcome = classifier.process([Record(ticket("5", "Протекает крыша"), 0)])

    assert [r.topic for r in outcome.records] == ["out", "review"]
    assert outcome.records[1].review_copy
    event = TicketCategorized.model_validate_json(outcome.records[0].value)
    assert event.needs_review
