"""The librdkafka configuration of both clients, built in one place.

Order: the service's defaults, then the user's extra properties, then the values the service
relies on for its delivery guarantee, which no extra property can override.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from consumer.settings import ConsumerSettings

CONSUMER_DEFAULTS: dict[str, Any] = {
    "auto.offset.reset": "earliest",
    "enable.partition.eof": False,
    "partition.assignment.strategy": "cooperative-sticky",
    "statistics.interval.ms": 15_000,
    "max.poll.interval.ms": 300_000,
}
# Offsets are committed by the service, and only after every output of a batch is acknowledged.
CONSUMER_ENFORCED: dict[str, Any] = {
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
}

PRODUCER_DEFAULTS: dict[str, Any] = {
    "linger.ms": 5,
    "compression.type": "lz4",
    "delivery.timeout.ms": 30_000,
}
PRODUCER_ENFORCED: dict[str, Any] = {
    "acks": "all",
    "enable.idempotence": True,
}


def _split_extras(extras: dict[str, str], side: str) -> dict[str, str]:
    """Keep unprefixed keys and ``side.``-prefixed keys (prefix removed)."""
    selected = {}
    for key, value in extras.items():
        head, _, rest = key.partition(".")
        if head in ("consumer", "producer"):
            if head == side:
                selected[rest] = value
        else:
            selected[key] = value
    return selected


def consumer_config(
    settings: ConsumerSettings,
    *,
    on_error: Callable[[Any], None] | None = None,
    on_stats: Callable[[str], None] | None = None,
    read_committed: bool = False,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": settings.bootstrap_servers,
        "group.id": settings.group_id,
        **CONSUMER_DEFAULTS,
    }
    config.update(_split_extras(settings.kafka_properties, "consumer"))
    config.update(CONSUMER_ENFORCED)
    if read_committed:
        # Exactly-once must not classify records of transactions that are later aborted.
        config["isolation.level"] = "read_committed"
    if on_error:
        config["error_cb"] = on_error
    if on_stats:
        config["stats_cb"] = on_stats
    return config


def producer_config(
    settings: ConsumerSettings,
    *,
    on_error: Callable[[Any], None] | None = None,
    transactional_id: str | None = None,
) -> dict[str, Any]:
    config: dict[str, Any] = {"bootstrap.servers": settings.bootstrap_servers, **PRODUCER_DEFAULTS}
    if transactional_id:
        # A transaction left open by a killed replica blocks read_committed readers until the
        # broker aborts it, so keep that window short.
        # librdkafka requires delivery.timeout.ms <= transaction.timeout.ms.
        config["transaction.timeout.ms"] = PRODUCER_DEFAULTS["delivery.timeout.ms"]
    config.update(_split_extras(settings.kafka_properties, "producer"))
    config.update(PRODUCER_ENFORCED)
    if transactional_id:
        config["transactional.id"] = transactional_id
    if on_error:
        config["error_cb"] = on_error
    return config
