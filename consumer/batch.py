"""Turn one batch of Kafka records into output and dead-letter records.

Nothing here talks to the broker: the batch goes in, the records to publish and the offsets to
commit come out, so the decision for every record can be tested on its own.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from classifier.artifact import ModelArtifact
from classifier.cleaning import TextCleaner
from consumer.validation import Rejection, parse_event
from schemas.events import (
    Alternative,
    DeadLetterEvent,
    DeadLetterReason,
    TicketCategorized,
    TicketCreated,
)

logger = logging.getLogger(__name__)


class Record(Protocol):
    """The parts of ``confluent_kafka.Message`` a batch reads."""

    def error(self) -> Any: ...
    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> list[tuple[str, bytes | None]] | None: ...
    def timestamp(self) -> tuple[int, int]: ...


@dataclass(frozen=True)
class Outbound:
    """A record to publish, with the position of the input record it replies to."""

    topic: str
    key: bytes | None
    value: bytes
    source_topic: str
    source_partition: int
    source_offset: int
    source_timestamp_ms: int | None
    dead_letter_reason: DeadLetterReason | None = None
    confidence: float | None = None
    needs_review: bool = False
    review_copy: bool = False


@dataclass
class BatchOutcome:
    """Everything one batch produced."""

    records: list[Outbound] = field(default_factory=list)
    first_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    consume_errors: list[Any] = field(default_factory=list)
    inference_seconds: float = 0.0


class BatchClassifier:
    """Validates, cleans and classifies a batch with one model call."""

    def __init__(
        self,
        artifact: ModelArtifact,
        cleaner: TextCleaner,
        *,
        output_topic: str,
        dead_letter_topic: str,
        max_payload_bytes: int,
        review_threshold: float = 0.0,
        review_topic: str | None = None,
    ) -> None:
        self.artifact = artifact
        self.cleaner = cleaner
        self.output_topic = output_topic
        self.dead_letter_topic = dead_letter_topic
        self.max_payload_bytes = max_payload_bytes
        self.review_threshold = review_threshold
        self.review_topic = review_topic

    def use_model(self, artifact: ModelArtifact) -> None:
        """Serve ``artifact`` from the next batch on, with a cleaner matching its settings."""
        if artifact.metadata.cleaning != self.artifact.metadata.cleaning:
            self.cleaner = TextCleaner(artifact.metadata.cleaning)
        self.artifact = artifact

    def process(self, messages: Sequence[Record]) -> BatchOutcome:
        """Return one output or dead-letter record per input record, and the offsets to commit.

        Steps: skip consume errors (they carry no offset), validate each record, clean the
        valid texts, classify them in one call, and build the output events.
        """
        outcome = BatchOutcome()
        valid: list[tuple[Record, TicketCreated, str]] = []

        for message in messages:
            if message.error() is not None:
                outcome.consume_errors.append(message.error())
                continue
            topic, partition, offset = _position(message)
            outcome.first_offsets.setdefault((topic, partition), offset)
            outcome.next_offsets[(topic, partition)] = offset + 1
            parsed = parse_event(message.value(), self.max_payload_bytes)
            if isinstance(parsed, Rejection):
                outcome.records.append(self._dead_letter(message, parsed))
                continue
            cleaned = self.cleaner.clean(parsed.text)
            if not cleaned:
                rejection = Rejection(
                    DeadLetterReason.EMPTY_AFTER_CLEANING,
                    "text has no words left after cleaning (only digits, symbols or "
                    "one-letter words)",
                    parsed.ticket_id,
                )
                outcome.records.append(self._dead_letter(message, rejection))
                continue
            valid.append((message, parsed, cleaned))

        if valid:
            started = time.perf_counter()
            scored = self._predict_isolating_failures([cleaned for _, _, cleaned in valid])
            outcome.inference_seconds = time.perf_counter() - started
            classified_at = datetime.now(UTC)
            for (message, event, _), result in zip(valid, scored, strict=True):
                if isinstance(result, Exception):
                    rejection = Rejection(
                        DeadLetterReason.INFERENCE_FAILED,
                        f"model call failed for this text: {type(result).__name__}: {result}",
                        event.ticket_id,
                    )
                    outcome.records.append(self._dead_letter(message, rejection))
                    continue
                outcome.records.extend(self._categorized(message, event, result, classified_at))
        return outcome

    def _predict_isolating_failures(self, texts: list[str]) -> list[np.ndarray | Exception]:
        """Score texts in one call; if the call fails, split the batch to find the failing texts.

        After a transient failure every part succeeds on the retry. A text that always breaks
        the model ends up alone and is returned as its exception. The rest of the batch is
        still classified, and nothing is dropped silently.
        """
        try:
            probabilities = self.artifact.predict_proba(texts)
        except Exception as exc:  # any failure inside TensorFlow must not lose the batch
            if len(texts) == 1:
                logger.exception("model call failed for one text; it goes to the dead-letter topic")
                return [exc]
            logger.warning(
                "model call failed for a batch of %d texts (%s); retrying in halves",
                len(texts),
                exc,
            )
            middle = len(texts) // 2
            return self._predict_isolating_failures(
                texts[:middle]
            ) + self._predict_isolating_failures(texts[middle:])
        return list(probabilities)

    def _categorized(
        self, message: Record, event: TicketCreated, probabilities: np.ndarray, at: datetime
    ) -> list[Outbound]:
        prediction = self.artifact.rank(probabilities[None, :], top_k=3)[0]
        needs_review = prediction.confidence < self.review_threshold
        output = TicketCategorized(
            ticket_id=event.ticket_id,
            category=prediction.category,
            confidence=prediction.confidence,
            alternatives=[
                Alternative(category=name, probability=probability)
                for name, probability in prediction.alternatives
            ],
            needs_review=needs_review,
            model_version=self.artifact.version,
            classified_at=at,
        )
        value = output.model_dump_json().encode()
        records = [
            self._outbound(
                message,
                topic=self.output_topic,
                key=event.ticket_id.encode(),
                value=value,
                confidence=prediction.confidence,
                needs_review=needs_review,
            )
        ]
        if needs_review and self.review_topic:
            records.append(
                self._outbound(
                    message,
                    topic=self.review_topic,
                    key=event.ticket_id.encode(),
                    value=value,
                    review_copy=True,
                )
            )
        return records

    def _dead_letter(self, message: Record, rejection: Rejection) -> Outbound:
        topic, partition, offset = _position(message)
        event = DeadLetterEvent(
            error_kind=rejection.reason,
            error_message=rejection.message,
            source_topic=topic,
            source_partition=partition,
            source_offset=offset,
            source_timestamp_ms=_timestamp_ms(message),
            original_key_base64=_b64(message.key()),
            original_value_base64=_b64(message.value()),
            original_headers=[(name, _b64(value)) for name, value in message.headers() or []],
            ticket_id=rejection.ticket_id,
            dead_lettered_at=datetime.now(UTC),
        )
        logger.debug(
            "event dead-lettered reason=%s topic=%s partition=%d offset=%d ticket_id=%s",
            rejection.reason.value,
            topic,
            partition,
            offset,
            rejection.ticket_id,
        )
        return self._outbound(
            message,
            topic=self.dead_letter_topic,
            key=message.key(),
            value=event.model_dump_json().encode(),
            dead_letter_reason=rejection.reason,
        )

    def _outbound(
        self, message: Record, *, topic: str, key: bytes | None, value: bytes, **extra: Any
    ) -> Outbound:
        source_topic, partition, offset = _position(message)
        return Outbound(
            topic=topic,
            key=key,
            value=value,
            source_topic=source_topic,
            source_partition=partition,
            source_offset=offset,
            source_timestamp_ms=_timestamp_ms(message),
            **extra,
        )


def _position(message: Record) -> tuple[str, int, int]:
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    if topic is None or partition is None or offset is None:
        raise ValueError(f"record has no position: topic={topic} partition={partition}")
    return topic, partition, offset


def _timestamp_ms(message: Record) -> int | None:
    kind, value = message.timestamp()
    return value if kind != 0 else None  # 0 is TIMESTAMP_NOT_AVAILABLE


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")
