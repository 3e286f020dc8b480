"""Event contracts between the helpdesk, the consumer and the routing systems."""

from schemas.events import (
    INPUT_SCHEMA_VERSION,
    OUTPUT_SCHEMA_VERSION,
    Alternative,
    DeadLetterEvent,
    DeadLetterReason,
    TicketCategorized,
    TicketCreated,
)

__all__ = [
    "INPUT_SCHEMA_VERSION",
    "OUTPUT_SCHEMA_VERSION",
    "Alternative",
    "DeadLetterEvent",
    "DeadLetterReason",
    "TicketCategorized",
    "TicketCreated",
]
