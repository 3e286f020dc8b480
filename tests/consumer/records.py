"""A plain Kafka record for feeding the batch logic without a broker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Record:
    """Same accessors as ``confluent_kafka.Message``."""

    value_bytes: bytes | None
    offset_number: int
    partition_number: int = 0
    topic_name: str = "tickets"
    key_bytes: bytes | None = None
    header_list: list[tuple[str, bytes | None]] = field(default_factory=list)
    timestamp_ms: int = 1_700_000_000_000
    err: Any = None

    def error(self) -> Any:
        return self.err

    def topic(self) -> str:
        return self.topic_name

    def partition(self) -> int:
        return self.partition_number

    def offset(self) -> int:
        return self.offset_number

    def key(self) -> bytes | None:
        return self.key_bytes

    def value(self) -> bytes | None:
        return self.value_bytes

    def headers(self) -> list[tuple[str, bytes | None]]:
        return self.header_list

    def timestamp(self) -> tuple[int, int]:
        return (1, self.timestamp_ms)
