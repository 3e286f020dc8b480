"""Decide whether a Kafka record is a valid new-ticket event, and if not, say exactly why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from schemas.events import INPUT_SCHEMA_VERSION, DeadLetterReason, TicketCreated


@dataclass(frozen=True)
class Rejection:
    """Reason a record is not a valid event; ``ticket_id`` is set when it could be read."""

    reason: DeadLetterReason
    message: str
    ticket_id: str | None = None


def parse_event(value: bytes | None, max_payload_bytes: int) -> TicketCreated | Rejection:
    """Parse one record value into an event, or return the reason it cannot be one."""
    if value is None:
        return Rejection(DeadLetterReason.TOMBSTONE, "record has a null value (tombstone)")
    if len(value) > max_payload_bytes:
        return Rejection(
            DeadLetterReason.PAYLOAD_TOO_LARGE,
            f"value is {len(value)} bytes; the limit is {max_payload_bytes} "
            "(setting max_payload_bytes)",
        )
    try:
        decoded = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(
            DeadLetterReason.INVALID_UTF8,
            f"value is not UTF-8: byte {value[exc.start]:#04x} at position {exc.start}",
        )
    try:
        document = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return Rejection(
            DeadLetterReason.INVALID_JSON,
            f"value is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        )
    if not isinstance(document, dict):
        return Rejection(
            DeadLetterReason.NOT_AN_OBJECT,
            f"value is a JSON {type(document).__name__}; expected an object with ticket_id, text",
        )
    return _validate(document)


def _validate(document: dict[str, Any]) -> TicketCreated | Rejection:
    ticket_id = _readable_id(document.get("ticket_id"))
    version = document.get("schema_version", INPUT_SCHEMA_VERSION)
    if version != INPUT_SCHEMA_VERSION:
        return Rejection(
            DeadLetterReason.UNSUPPORTED_SCHEMA_VERSION,
            f"schema_version is {version!r}; this consumer reads version {INPUT_SCHEMA_VERSION}",
            ticket_id,
        )
    try:
        return TicketCreated.model_validate(document)
    except ValidationError as exc:
        return _explain(exc, ticket_id)


def _explain(exc: ValidationError, ticket_id: str | None) -> Rejection:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    )
    if field == "ticket_id":
        return Rejection(DeadLetterReason.MISSING_TICKET_ID, f"ticket_id is invalid: {problems}")
    if field == "text":
        return Rejection(
            DeadLetterReason.MISSING_TEXT, f"text is missing, null or empty: {problems}", ticket_id
        )
    return Rejection(DeadLetterReason.INVALID_FIELD, f"invalid field: {problems}", ticket_id)


def _readable_id(value: object) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    return None
