"""Helpers shared by the tests that stream real appeals through a consumer process."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from confluent_kafka import Consumer

from demo.runner import ConsumerProcess
from tests.conftest import TRAIN_ROWS
from tests.support.data import load_appeals


def appeal_events(count: int, offset: int = 0) -> list[tuple[bytes, dict[str, str]]]:
    """(key, event) pairs for ``count`` appeals newer than the ones the test model learned."""
    start = TRAIN_ROWS + offset
    appeals = load_appeals(start + count).iloc[start:]
    return [
        (f"A-{row.id}".encode(), {"ticket_id": f"A-{row.id}", "text": str(row.text)})
        for row in appeals.itertuples()
    ]


def consumer_process(
    bootstrap_servers: str,
    topics: dict[str, str],
    model_dir: Path,
    log_path: Path,
    *extra_args: str,
    group_id: str | None = None,
) -> ConsumerProcess:
    return ConsumerProcess(
        bootstrap_servers=bootstrap_servers,
        model_dir=model_dir,
        input_topic=topics["input"],
        output_topic=topics["output"],
        dead_letter_topic=topics["dead_letter"],
        group_id=group_id or f"group-{topics['input']}",
        extra_args=[
            "--batch-size",
            "250",
            "--batch-timeout-ms",
            "200",
            # A killed member keeps its partitions until its session times out (45 s by default).
            "--kafka-property",
            "consumer.session.timeout.ms=6000",
            "--kafka-property",
            "consumer.heartbeat.interval.ms=1000",
            *extra_args,
        ],
        log_path=log_path,
    )


class AnswerCollector:
    """Reads the output and dead-letter topics and counts answers per ticket id.

    With ``read_committed`` (the default) records of aborted transactions are never seen.
    """

    def __init__(self, bootstrap_servers: str, topics: Iterable[str]) -> None:
        self.counts: Counter[str] = Counter()
        self.versions: Counter[str] = Counter()
        self.events: list[dict[str, object]] = []
        self._reader = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": f"collector-{time.monotonic_ns()}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
            }
        )
        self._reader.subscribe(list(topics))

    def poll(self, seconds: float = 0.5) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self._reader.consume(num_messages=1000, timeout=min(0.2, seconds)):
                if message.error() is not None or message.value() is None:
                    continue
                event = json.loads(message.value() or b"{}")
                self.events.append(event)
                self.counts[str(event.get("ticket_id"))] += 1
                if "model_version" in event:
                    self.versions[str(event["model_version"])] += 1

    def wait_for(self, ticket_ids: set[str], timeout_s: float) -> set[str]:
        """Poll until every id has an answer; return the ids still missing."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.poll()
            missing = ticket_ids - set(self.counts)
            if not missing:
                return set()
        return ticket_ids - set(self.counts)

    def close(self) -> None:
        self._reader.close()
