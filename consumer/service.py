"""The processing loop: consume a batch, classify it, publish, wait for acks, commit.

At-least-once: auto-commit is off, and a batch's offsets are committed, for every partition it
touched, only after the broker has acknowledged every output and dead-letter record of the batch.
A crash before the commit means the batch is read and published again, so downstream systems may
see a ticket twice but never miss one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections import Counter
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from consumer.batch import BatchClassifier, BatchOutcome, Outbound
from consumer.health import HealthState
from consumer.kafka_config import consumer_config, producer_config
from consumer.metrics import ConsumerMetrics
from consumer.settings import ConsumerSettings

logger = logging.getLogger(__name__)


class DeliveryInterruptedError(Exception):
    """Shutdown was requested while some outputs were still unacknowledged."""


class ConsumerService:
    """Runs the loop until :meth:`stop` is called, then flushes, commits and closes."""

    def __init__(
        self,
        settings: ConsumerSettings,
        classifier: BatchClassifier,
        metrics: ConsumerMetrics,
        health: HealthState,
    ) -> None:
        self.settings = settings
        self.classifier = classifier
        self.metrics = metrics
        self.health = health
        self._stopping = threading.Event()
        self._consumer = Consumer(
            consumer_config(settings, on_error=self._on_client_error, on_stats=self._on_stats)
        )
        self._producer = Producer(producer_config(settings, on_error=self._on_client_error))

    def stop(self) -> None:
        """Ask the loop to finish the batch in flight and exit; safe from a signal handler."""
        self._stopping.set()

    def run(self) -> None:
        """Consume until stopped; always closes the clients."""
        self._consumer.subscribe(
            [self.settings.input_topic],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )
        logger.info(
            "consumer started input_topic=%s output_topic=%s dead_letter_topic=%s group_id=%s "
            "batch_size=%d batch_timeout_ms=%d model_version=%s",
            self.settings.input_topic,
            self.settings.output_topic,
            self.settings.dead_letter_topic,
            self.settings.group_id,
            self.settings.batch_size,
            self.settings.batch_timeout_ms,
            self.classifier.artifact.version,
        )
        try:
            while not self._stopping.is_set():
                self.health.beat()
                messages = self._consumer.consume(
                    num_messages=self.settings.batch_size,
                    timeout=self.settings.batch_timeout_ms / 1000,
                )
                if messages:
                    self._handle(messages)
        except DeliveryInterruptedError:
            logger.warning("consumer stopping with unacknowledged outputs; offsets not committed")
        finally:
            self._close()

    def _handle(self, messages: list[Any]) -> None:
        started = time.monotonic()
        self.metrics.events_consumed.inc(sum(1 for m in messages if m.error() is None))
        outcome = self.classifier.process(messages)
        self._report_consume_errors(outcome)
        if not outcome.next_offsets:
            return

        self._publish(outcome.records)
        self._commit(outcome.next_offsets)
        self._record_batch(outcome, time.monotonic() - started)

    def _publish(self, records: list[Outbound]) -> None:
        """Produce the records and return once the broker acknowledged every one of them.

        Records the broker rejects or times out are produced again after a pause, until they
        are acknowledged or shutdown is requested.
        """
        pending = records
        while pending:
            failed: list[Outbound] = []
            for record in pending:
                self._produce(record, failed)
            self._await_delivery_reports()
            if not failed:
                return
            self.metrics.delivery_failures.inc(len(failed))
            logger.warning(
                "publish failed records=%d; producing again in %d ms",
                len(failed),
                self.settings.delivery_retry_backoff_ms,
            )
            if self._stopping.wait(self.settings.delivery_retry_backoff_ms / 1000):
                raise DeliveryInterruptedError
            pending = failed

    def _await_delivery_reports(self) -> None:
        """Wait until librdkafka has reported on every record, success or failure.

        librdkafka retries on its own until ``delivery.timeout.ms``; after a stop request the
        wait is cut at ``shutdown_timeout_s``.
        """
        deadline: float | None = None
        while self._producer.flush(1.0):
            self.health.beat()  # waiting for the broker is progress, not a stalled loop
            if self._stopping.is_set():
                deadline = deadline or time.monotonic() + self.settings.shutdown_timeout_s
                if time.monotonic() > deadline:
                    raise DeliveryInterruptedError

    def _produce(self, record: Outbound, failed: list[Outbound]) -> None:
        def on_delivery(error: KafkaError | None, _message: Any) -> None:
            if error is not None:
                logger.debug("delivery failed topic=%s error=%s", record.topic, error)
                failed.append(record)

        while True:
            try:
                self._producer.produce(
                    record.topic, value=record.value, key=record.key, on_delivery=on_delivery
                )
                return
            except BufferError:
                # The local queue is full: serve delivery callbacks to make room.
                self._producer.poll(0.1)

    def _commit(self, next_offsets: dict[tuple[str, int], int]) -> None:
        offsets = [
            TopicPartition(topic, partition, offset)
            for (topic, partition), offset in sorted(next_offsets.items())
        ]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # The outputs are published; the records will be read again, as at-least-once allows.
            logger.warning("commit failed partitions=%d error=%s", len(offsets), exc.args[0])

    def _record_batch(self, outcome: BatchOutcome, seconds: float) -> None:
        now_ms = time.time() * 1000
        reasons: Counter[str] = Counter()
        for record in outcome.records:
            if record.dead_letter_reason is not None:
                reasons[record.dead_letter_reason.value] += 1
                continue
            self.metrics.events_classified.inc()
            if record.confidence is not None:
                self.metrics.confidence.observe(record.confidence)
            if record.source_timestamp_ms is not None:
                latency = max(0.0, (now_ms - record.source_timestamp_ms) / 1000)
                self.metrics.event_latency_seconds.observe(latency)
        for reason, count in reasons.items():
            self.metrics.events_dead_lettered.labels(reason=reason).inc(count)
        if reasons:
            logger.warning("batch dead-lettered events=%s", dict(reasons))

        self.metrics.batch_size.observe(len(outcome.records))
        self.metrics.batch_seconds.observe(seconds)
        if outcome.inference_seconds:
            self.metrics.inference_seconds.observe(outcome.inference_seconds)

    def _report_consume_errors(self, outcome: BatchOutcome) -> None:
        for error in outcome.consume_errors:
            self.metrics.consume_errors.labels(error=error.name()).inc()
            logger.warning("consume error %s", error)

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        logger.info("partitions assigned %s", _describe(partitions))
        self._set_assignment_count(len(self._consumer.assignment()) + len(partitions))

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # The batch in flight is committed before the next consume() call, which is where
        # this callback runs, so nothing uncommitted is left for the revoked partitions.
        logger.info("partitions revoked %s", _describe(partitions))
        for partition in partitions:
            # Another member reports this partition's lag from now on.
            with contextlib.suppress(KeyError):
                self.metrics.consumer_lag.remove(partition.topic, str(partition.partition))
        self._set_assignment_count(max(0, len(self._consumer.assignment()) - len(partitions)))

    def _set_assignment_count(self, count: int) -> None:
        self.health.assigned_partitions = count
        self.metrics.assigned_partitions.set(count)
        self.metrics.ready.set(1 if self.health.ready()[0] else 0)

    def _on_client_error(self, error: KafkaError) -> None:
        logger.warning("kafka client error %s", error)

    def _on_stats(self, stats_json: str) -> None:
        stats = json.loads(stats_json)
        for topic, topic_stats in stats.get("topics", {}).items():
            for partition, partition_stats in topic_stats.get("partitions", {}).items():
                lag = partition_stats.get("consumer_lag", -1)
                if partition == "-1" or lag < 0:
                    continue
                self.metrics.consumer_lag.labels(topic=topic, partition=partition).set(lag)

    def _close(self) -> None:
        remaining = self._producer.flush(self.settings.shutdown_timeout_s)
        if remaining:
            logger.warning("producer closed with unacknowledged records=%d", remaining)
        self._consumer.close()
        self.health.assigned_partitions = 0
        self.metrics.ready.set(0)
        logger.info("consumer stopped")


def _describe(partitions: list[TopicPartition]) -> str:
    return ",".join(f"{p.topic}[{p.partition}]" for p in partitions) or "none"
