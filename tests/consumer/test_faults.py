"""Broker faults injected into a private librdkafka mock cluster while the consumer runs."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.broker import EmbeddedBroker
from demo.runner import produce_json
from tests.conftest import unique_topic_names
from tests.consumer.streaming import AnswerCollector, appeal_events, consumer_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PRODUCE_API_KEY = 0
TOPIC_AUTHORIZATION_FAILED = 29


@pytest.fixture
def mock_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker("mock") as broker:
        yield broker


@pytest.fixture
def fault_topics(mock_broker: EmbeddedBroker) -> dict[str, str]:
    names = unique_topic_names()
    mock_broker.create_topics(list(names.values()), partitions=3)
    return names


def log_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def test_waits_for_broker_at_start(
    mock_broker: EmbeddedBroker, fault_topics, appeals_model_dir: Path, tmp_path: Path
):
    assert mock_broker.mock is not None
    mock_broker.mock.set_broker_down(1)
    log = tmp_path / "consumer.log"
    process = consumer_process(mock_broker.bootstrap_servers, fault_topics, appeals_model_dir, log)
    with process:
        deadline = time.monotonic() + 60
        while "kafka client error" not in log_text(log) and time.monotonic() < deadline:
            time.sleep(0.5)
        status, body = process.get("/readyz")
        assert status == 503
        assert "no partitions assigned" in body
        assert process.get("/livez")[0] == 200
        assert "kafka client error" in log_text(log)

        mock_broker.mock.set_broker_up(1)
        process.wait_ready(timeout_s=120)
        events = appeal_events(500)
        produce_json(mock_broker.bootstrap_servers, fault_topics["input"], events)
        collector = AnswerCollector(
            mock_broker.bootstrap_servers, [fault_topics["output"], fault_topics["dead_letter"]]
        )
        missing = collector.wait_for({key.decode() for key, _ in events}, timeout_s=120)
        collector.close()
        assert process.stop(signal.SIGTERM) == 0
    assert not missing


def test_recovers_after_broker_outage(
    mock_broker: EmbeddedBroker, fault_topics, appeals_model_dir: Path, tmp_path: Path
):
    assert mock_broker.mock is not None
    events = appeal_events(6000)
    ticket_ids = {key.decode() for key, _ in events}
    produce_json(mock_broker.bootstrap_servers, fault_topics["input"], events)
    log = tmp_path / "consumer.log"
    process = consumer_process(
        mock_broker.bootstrap_servers, fault_topics, appeals_model_dir, log,
        "--batch-size", "50", "--delivery-retry-backoff-ms", "200",
    )  # fmt: skip
    collector = AnswerCollector(
        mock_broker.bootstrap_servers, [fault_topics["output"], fault_topics["dead_letter"]]
    )
    with process:
        process.wait_ready()
        while len(collector.counts) < 500:
            collector.poll(0.05)
        mock_broker.mock.set_broker_down(1)
        time.sleep(8)
        assert process.get("/livez")[0] == 200
        mock_broker.mock.set_broker_up(1)
        missing = collector.wait_for(ticket_ids, timeout_s=300)
        assert process.stop(signal.SIGTERM) == 0
    collector.close()

    assert not missing, f"{len(missing)} tickets lost after the outage"
    print(f"outage: {sum(c - 1 for c in collector.counts.values())} duplicate answers")


# Exactly-once under the same rejections is not in this suite: with the mock cluster its abort
# sometimes never drains the rejected records, and the process exits for a restart instead.
def test_output_rejection_blocks_commit_until_accepted(
    mock_broker: EmbeddedBroker, fault_topics, appeals_model_dir: Path, tmp_path: Path
):
    assert mock_broker.mock is not None
    events = appeal_events(300)
    ticket_ids = {key.decode() for key, _ in events}
    log = tmp_path / "consumer.log"
    process = consumer_process(
        mock_broker.bootstrap_servers, fault_topics, appeals_model_dir, log,
        "--delivery-retry-backoff-ms", "300",
    )  # fmt: skip
    produce_json(mock_broker.bootstrap_servers, fault_topics["input"], events)
    # The consumer's first produce requests are the next ones the cluster receives.
    mock_broker.mock.push_request_errors(PRODUCE_API_KEY, [TOPIC_AUTHORIZATION_FAILED] * 6)
    with process:
        process.wait_ready()
        collector = AnswerCollector(
            mock_broker.bootstrap_servers, [fault_topics["output"], fault_topics["dead_letter"]]
        )
        missing = collector.wait_for(ticket_ids, timeout_s=180)
        collector.close()
        metrics = process.metrics()
        assert process.stop(signal.SIGTERM) == 0

    assert not missing
    assert metrics["ticket_classifier_delivery_failures_total"] > 0
    assert "publish failed records=" in log_text(log)
