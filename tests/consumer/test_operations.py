"""Operator-facing behaviour of a running consumer: review routing, lag, hot reload, bad models."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from classifier.artifact import METADATA_FILE, MODEL_FILE, promote_version, read_current_version
from demo.runner import produce_json, read_topics
from tests.conftest import Broker
from tests.consumer.streaming import AnswerCollector, appeal_events, consumer_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def copy_version(model_dir: Path, new_name: str) -> Path:
    """Copy the version in service under a new name, as a retrained model would appear."""
    current = read_current_version(model_dir)
    assert current is not None
    target = model_dir / new_name
    shutil.copytree(model_dir / current, target)
    metadata = json.loads((target / METADATA_FILE).read_text(encoding="utf-8"))
    metadata["version"] = new_name
    (target / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")
    return target


def test_review_routing_and_lag_metric(
    broker: Broker, topics, appeals_model_dir: Path, tmp_path: Path
):
    review_topic = topics["input"].replace("created", "review")
    broker.create_topics([review_topic])
    events = appeal_events(600)
    process = consumer_process(
        broker.bootstrap_servers, topics, appeals_model_dir, tmp_path / "consumer.log",
        "--review-threshold", "0.9", "--review-topic", review_topic,
        "--kafka-property", "consumer.statistics.interval.ms=500",
    )  # fmt: skip
    with process:
        process.wait_ready()
        produce_json(broker.bootstrap_servers, topics["input"], events)
        records = read_topics(
            broker.bootstrap_servers, [topics["output"], topics["dead_letter"]], expected=600
        )
        time.sleep(2)  # one more statistics interval after the last batch
        metrics = process.metrics()
        assert process.stop(signal.SIGTERM) == 0

    outputs = [json.loads(v or b"") for t, _, v in records if t == topics["output"]]
    flagged = {e["ticket_id"] for e in outputs if e["needs_review"]}
    assert flagged == {e["ticket_id"] for e in outputs if e["confidence"] < 0.9}
    assert flagged, "a 0.9 threshold should flag some of 600 real appeals"
    review = read_topics(broker.bootstrap_servers, [review_topic], expected=len(flagged))
    assert {json.loads(v or b"")["ticket_id"] for _, _, v in review} == flagged
    assert metrics["ticket_classifier_events_needing_review_total"] == len(flagged)
    lag_samples = [name for name in metrics if name.startswith("ticket_classifier_consumer_lag")]
    assert lag_samples, "no consumer lag samples after statistics were enabled"


def test_hot_reload_switches_version_and_rejects_broken_one(
    broker: Broker, topics, appeals_model_dir: Path, tmp_path: Path
):
    model_dir = tmp_path / "models"
    shutil.copytree(appeals_model_dir, model_dir)
    old_version = read_current_version(model_dir)
    log = tmp_path / "consumer.log"
    process = consumer_process(
        broker.bootstrap_servers, topics, model_dir, log, "--model-poll-interval-s", "1"
    )
    events = appeal_events(900)
    collector = AnswerCollector(broker.bootstrap_servers, [topics["output"]])
    with process:
        process.wait_ready()
        produce_json(broker.bootstrap_servers, topics["input"], events[:300])
        collector.wait_for({k.decode() for k, _ in events[:300]}, timeout_s=120)

        copy_version(model_dir, "20990101T000000Z")
        promote_version(model_dir, "20990101T000000Z")  # found by polling within a second
        deadline = time.monotonic() + 60
        while "model switched" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        produce_json(broker.bootstrap_servers, topics["input"], events[300:600])
        collector.wait_for({k.decode() for k, _ in events[:600]}, timeout_s=120)

        broken = copy_version(model_dir, "20990202T000000Z")
        (broken / MODEL_FILE).write_bytes(b"truncated upload")
        promote_version(model_dir, "20990202T000000Z")
        assert process.process is not None
        process.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        while "model reload rejected" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        produce_json(broker.bootstrap_servers, topics["input"], events[600:])
        missing = collector.wait_for({k.decode() for k, _ in events}, timeout_s=120)
        metrics = process.metrics()
        assert process.stop(signal.SIGTERM) == 0
    collector.close()

    text = log.read_text()
    assert not missing
    assert f"model switched from version={old_version} to version=20990101T000000Z" in text
    assert "model reload rejected version=20990202T000000Z" in text
    assert collector.versions[str(old_version)] >= 300
    assert collector.versions["20990101T000000Z"] >= 300
    assert "20990202T000000Z" not in collector.versions
    assert sum(collector.versions.values()) == len(events)
    # The poller and SIGHUP may both try the broken version, because SIGHUP retries a rejected one.
    rejections = text.count("model reload rejected version=20990202T000000Z")
    assert rejections in (1, 2)
    assert metrics["ticket_classifier_model_reload_failures_total"] == rejections
    assert (
        metrics['ticket_classifier_model_info{architecture="lstm",version="20990101T000000Z"}'] == 1
    )


def test_corrupt_model_exits_with_clear_error(tmp_path: Path, appeals_model_dir: Path):
    model_dir = tmp_path / "models"
    shutil.copytree(appeals_model_dir, model_dir)
    version = read_current_version(model_dir)
    (model_dir / str(version) / MODEL_FILE).write_bytes(b"\x00" * 64)
    result = subprocess.run(
        [
            *consumer_process("127.0.0.1:1", {"input": "i", "output": "o", "dead_letter": "d"},
                              model_dir, tmp_path / "unused.log").command,
        ],
        capture_output=True, text=True, timeout=180,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert result.returncode == 1
    assert "cannot load the model" in result.stderr
    assert str(model_dir / str(version) / MODEL_FILE) in result.stderr


def test_invalid_kafka_property_exits_with_clear_error(tmp_path: Path, appeals_model_dir: Path):
    process = consumer_process(
        "127.0.0.1:1", {"input": "i", "output": "o", "dead_letter": "d"},
        appeals_model_dir, tmp_path / "unused.log",
        "--kafka-property", "producer.linger.ms=soon",
    )  # fmt: skip
    result = subprocess.run(
        process.command, capture_output=True, text=True, timeout=180,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert result.returncode == 2
    assert "invalid Kafka client configuration" in result.stderr
    assert "Invalid value for configuration property" in result.stderr
