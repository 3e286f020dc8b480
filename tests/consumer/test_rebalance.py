"""Two consumer processes in one group: one joins mid-stream, then the other leaves."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from demo.runner import produce_json
from tests.conftest import Broker
from tests.consumer.streaming import AnswerCollector, appeal_events, consumer_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_member_joining_and_leaving_loses_nothing(
    broker: Broker, topics, appeals_model_dir: Path, tmp_path: Path
):
    events = appeal_events(9000)
    ticket_ids = {key.decode() for key, _ in events}
    collector = AnswerCollector(broker.bootstrap_servers, [topics["output"], topics["dead_letter"]])
    group = f"rebalance-{topics['input']}"
    first = consumer_process(
        broker.bootstrap_servers, topics, appeals_model_dir, tmp_path / "first.log",
        "--batch-size", "50", group_id=group,
    )  # fmt: skip
    second = consumer_process(
        broker.bootstrap_servers, topics, appeals_model_dir, tmp_path / "second.log",
        "--batch-size", "50", group_id=group,
    )  # fmt: skip

    with first:
        first.wait_ready()
        produce_json(broker.bootstrap_servers, topics["input"], events[:4500])
        while len(collector.counts) < 1000:
            collector.poll(0.05)

        with second:
            second.wait_ready()
            produce_json(broker.bootstrap_servers, topics["input"], events[4500:])
            while len(collector.counts) < 6000:
                collector.poll(0.05)
            first_metrics = first.metrics()
            first_exit = first.stop(signal.SIGTERM)

            missing = collector.wait_for(ticket_ids, timeout_s=300)
            second_metrics = second.metrics()
            second_exit = second.stop(signal.SIGTERM)
    collector.close()

    assert first_exit == 0
    assert second_exit == 0

    assert not missing, f"{len(missing)} tickets lost across rebalances"
    assert first_metrics["ticket_classifier_events_classified_total"] > 0
    assert second_metrics["ticket_classifier_events_classified_total"] > 0
    duplicates = sum(count - 1 for count in collector.counts.values())
    print(f"rebalance: {len(ticket_ids)} tickets, {duplicates} duplicate answers")
    second_log = (tmp_path / "second.log").read_text(encoding="utf-8", errors="replace")
    assert second_log.count("partitions assigned") >= 2
