"""SIGKILL the consumer process at random moments while it streams 20,000 real appeals."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from demo.runner import produce_json
from tests.conftest import Broker
from tests.consumer.streaming import AnswerCollector, appeal_events, consumer_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KILL_EVENTS = int(os.environ.get("KILL_TEST_EVENTS", "20000"))
KILLS = 3


def stream_with_kills(
    broker: Broker,
    topics: dict[str, str],
    model_dir: Path,
    tmp_path: Path,
    *extra_args: str,
) -> tuple[AnswerCollector, set[str], list[int]]:
    """Produce the events, kill -9 the consumer KILLS times mid-stream, then let one finish.

    Each kill waits until a random number of further tickets (2.5% to 12.5% of them) has been
    answered since the restart, so it lands while batches are in flight.
    """
    events = appeal_events(KILL_EVENTS)
    produce_json(broker.bootstrap_servers, topics["input"], events)
    ticket_ids = {key.decode() for key, _ in events}
    collector = AnswerCollector(broker.bootstrap_servers, [topics["output"], topics["dead_letter"]])
    seed = int(os.environ.get("KILL_TEST_SEED", str(time.time_ns() % 10_000)))
    rng = random.Random(seed)
    killed_at: list[int] = []

    for attempt in range(KILLS + 1):
        process = consumer_process(
            broker.bootstrap_servers, topics, model_dir, tmp_path / f"consumer-{attempt}.log",
            "--batch-size", "100", *extra_args,
        )  # fmt: skip
        process.start()
        process.wait_ready()
        if attempt == KILLS:
            missing = collector.wait_for(ticket_ids, timeout_s=600)
            assert process.stop(signal.SIGTERM) == 0
            assert not missing, (
                f"{len(missing)} tickets lost (seed {seed}), e.g. {sorted(missing)[:5]}"
            )
            break
        kill_point = len(collector.counts) + rng.randint(KILL_EVENTS // 40, KILL_EVENTS // 8)
        while len(collector.counts) < kill_point:
            collector.poll(0.01)
        process.stop(signal.SIGKILL)
        killed_at.append(len(collector.counts))

    collector.poll(2.0)
    collector.close()
    print(f"kill test seed={seed} killed after {killed_at} answered tickets")
    assert all(0 < answered < len(ticket_ids) for answered in killed_at)
    return collector, ticket_ids, killed_at


def test_at_least_once_survives_sigkill(
    broker: Broker, topics, appeals_model_dir: Path, tmp_path: Path, record_property
):
    if broker.kind == "tansu":
        pytest.skip("runs on the mock cluster and on a real cluster; one embedded broker suffices")
    collector, ticket_ids, _ = stream_with_kills(broker, topics, appeals_model_dir, tmp_path)

    duplicates = sum(count - 1 for count in collector.counts.values() if count > 1)
    record_property("duplicates", duplicates)
    print(f"at-least-once: {len(ticket_ids)} tickets, {duplicates} duplicate answers")
    assert set(collector.counts) >= ticket_ids
    assert all(collector.counts[ticket_id] >= 1 for ticket_id in ticket_ids)


def test_exactly_once_survives_sigkill(
    broker: Broker, topics, appeals_model_dir: Path, tmp_path: Path, record_property
):
    if broker.kind == "mock":
        pytest.skip(
            "the librdkafka 2.16 mock cluster accepts TxnOffsetCommit but does not store the "
            "offsets, so every restart would start over; this test runs on Tansu instead"
        )
    collector, ticket_ids, _ = stream_with_kills(
        broker, topics, appeals_model_dir, tmp_path,
        "--processing-guarantee", "exactly-once", "--transactional-id", f"tx-{topics['input']}",
    )  # fmt: skip

    duplicated = {ticket_id for ticket_id, count in collector.counts.items() if count > 1}
    record_property("duplicates", len(duplicated))
    print(f"exactly-once: {len(ticket_ids)} tickets, {len(duplicated)} duplicated")
    assert set(collector.counts) == ticket_ids
    assert not duplicated, f"duplicated answers: {sorted(duplicated)[:5]}"
