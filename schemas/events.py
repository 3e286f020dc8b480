"""Pydantic models of the three events: a new ticket, its category, and a rejected event.

The JSON Schemas under ``schemas/json/`` are generated from these models with
``python -m schemas``; a test fails when the files and the models drift apart.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

INPUT_SCHEMA_VERSION = 1
OUTPUT_SCHEMA_VERSION = 1

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class TicketCreated(BaseModel):
    """A new helpdesk ticket, as the helpdesk publishes it to the input topic.

    Fields this model does not name are accepted and kept, readable through ``extra``.
    """

    model_config = ConfigDict(extra="allow", title="TicketCreated")

    schema_version: int = Field(
        default=INPUT_SCHEMA_VERSION,
        description="Version of this contract; events with a newer version are dead-lettered.",
    )
    ticket_id: NonEmptyStr = Field(
        description="Helpdesk ticket identifier; numbers are accepted and kept as text.",
        coerce_numbers_to_str=True,
        json_schema_extra={"type": ["string", "integer"]},
    )
    text: NonEmptyStr = Field(description="Ticket body as the requester wrote it.")
    subject: str | None = Field(default=None, description="Ticket subject line, if any.")
    office: str | None = Field(default=None, description="Office or site the ticket came from.")
    created_at: datetime | None = Field(default=None, description="When the ticket was opened.")

    @property
    def extra(self) -> dict[str, Any]:
        """Fields of the event that this contract does not name."""
        return dict(self.__pydantic_extra__ or {})


class Alternative(BaseModel):
    """One candidate category with the model's probability for it."""

    model_config = ConfigDict(frozen=True)

    category: str
    probability: float = Field(ge=0.0, le=1.0)


class TicketCategorized(BaseModel):
    """The classifier's decision for one ticket, published to the output topic."""

    model_config = ConfigDict(title="TicketCategorized")

    schema_version: int = OUTPUT_SCHEMA_VERSION
    ticket_id: str
    category: str = Field(description="Category with the highest probability.")
    confidence: float = Field(ge=0.0, le=1.0, description="Probability of `category`.")
    alternatives: list[Alternative] = Field(
        description="The three most probable categories, best first; the first is `category`."
    )
    needs_review: bool = Field(
        default=False,
        description="True when confidence is below the consumer's review threshold: route the "
        "ticket to a person rather than to `category`'s queue.",
    )
    model_version: str = Field(description="Version of the model artifact that decided.")
    classified_at: datetime


class DeadLetterReason(StrEnum):
    """Reason an input event could not be classified."""

    TOMBSTONE = "tombstone"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    MISSING_TICKET_ID = "missing_ticket_id"
    MISSING_TEXT = "missing_text"
    INVALID_FIELD = "invalid_field"
    EMPTY_AFTER_CLEANING = "empty_after_cleaning"
    INFERENCE_FAILED = "inference_failed"


class DeadLetterEvent(BaseModel):
    """An input event that was not classified, with the original bytes and the reason."""

    model_config = ConfigDict(title="DeadLetterEvent")

    error_kind: DeadLetterReason
    error_message: str = Field(description="What was wrong, in words a person can act on.")
    source_topic: str
    source_partition: int
    source_offset: int
    source_timestamp_ms: int | None = Field(
        default=None, description="Broker or producer timestamp of the original record."
    )
    original_key_base64: str | None = Field(
        default=None, description="The original record key, base64-encoded; null when absent."
    )
    original_value_base64: str | None = Field(
        description="The original record value, base64-encoded byte for byte; null for a tombstone."
    )
    original_headers: list[tuple[str, str | None]] = Field(
        default_factory=list,
        description="The original record headers; values base64-encoded.",
    )
    ticket_id: str | None = Field(default=None, description="Ticket id, when one could be read.")
    dead_lettered_at: datetime
