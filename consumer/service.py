"""The processing loop: consume a batch, classify it, publish, commit, repeat.

The publisher decides the guarantee (see ``consumer.publisher``). Between batches the loop swaps
in a newly loaded model version, so every batch is classified by exactly one version.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections import Counter
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from consumer.batch import BatchClassifier, BatchOutcome
from consumer.health import HealthState
from consumer.kafka_config import consumer_config, producer_config
from consumer.metrics import ConsumerMetrics
from consumer.publisher import (
    AtLeastOncePublisher,
    DeliveryInterruptedError,
    ExactlyOncePublisher,
    Publisher,
)
from consumer.reloader import ModelReloader
from consumer.settings import ConsumerSettings

logger = logging.getLogger(__name__)

# Repeats of one librdkafka error code are logged at most this often.
CLIENT_ERROR_LOG_INTERVAL_S = 30.0


class ConsumerService:
    """Runs the loop until :meth:`stop` is called, then finishes the batch, commits and closes."""

    def __init__(
        self,
        settings: ConsumerSettings,
        classifier: BatchClassifier,
        metrics: ConsumerMetrics,
        health: HealthState,
        reloader: ModelReloader | None = None,
    ) -> None:
        self.settings = settings
        self.classifier = classifier
        self.metrics = metrics
        self.health = health
        self.reloader = reloader
        self._stopping = threading.Event()
        self._error_log_times: dict[int, float] = {}
        self._suppressed_errors: Counter[int] = Counter()

        exactly_once = settings.processing_guarantee == "exactly-once"
        self._consumer = Consumer(
            consumer_config(
                settings,
                on_error=self._on_client_error,
                on_stats=self._on_stats,
                read_committed=exactly_once,
            )
        )
        transactional_id = None
        if exactly_once:
            transactional_id = settings.transactional_id or (
                f"{settings.group_id}-{socket.gethostname()}"
            )
        self._producer = Producer(
            producer_config(
                settings, on_error=self._on_client_error, transactional_id=transactional_id
            )
        )
        publisher_class = ExactlyOncePublisher if exactly_once else AtLeastOncePublisher
        self._publisher: Publisher = publisher_class(
            self._producer, self._consumer, settings, metrics, health, self._stopping
        )

    def stop(self) -> None:
        """Ask the loop to finish the batch in flight and exit; safe from a signal handler."""
        self._stopping.set()

    def run(self) -> None:
        """Consume until stopped; always closes the clients within ``shutdown_timeout_s``."""
        self._publisher.start()
        self._consumer.subscribe(
            [self.settings.input_topic],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )
        logger.info(
            "consumer started input_topic=%s output_topic=%s dead_letter_topic=%s group_id=%s "
            "guarantee=%s batch_size=%d batch_timeout_ms=%d model_version=%s",
            self.settings.input_topic, self.settings.output_topic,
            self.settings.dead_letter_topic, self.settings.group_id,
            self.settings.processing_guarantee, self.settings.batch_size,
            self.settings.batch_timeout_ms, self.classifier.artifact.version,
        )  # fmt: skip
        try:
            while not self._stopping.is_set():
                self.health.beat()
                self._swap_model_if_ready()
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
        if self._publisher.deliver(outcome):
            self._record_batch(outcome, time.monotonic() - started)

    def _swap_model_if_ready(self) -> None:
        if self.reloader is None:
            return
        artifact = self.reloader.take()
        if artifact is None:
            return
        previous = self.classifier.artifact.version
        self.classifier.use_model(artifact)
        self.metrics.model.info(
            {"version": artifact.version, "architecture": artifact.metadata.architecture}
        )
        self.metrics.model_loaded_timestamp.set(time.time())
        logger.info("model switched from version=%s to version=%s", previous, artifact.version)

    def _record_batch(self, outcome: BatchOutcome, seconds: float) -> None:
        now_ms = time.time() * 1000
        reasons: Counter[str] = Counter()
        for record in outcome.records:
            if record.review_copy:
                continue
            if record.dead_letter_reason is not None:
                reasons[record.dead_letter_reason.value] += 1
                continue
            self.metrics.events_classified.inc()
            if record.needs_review:
                self.metrics.events_needing_review.inc()
            if record.confidence is not None:
                self.metrics.confidence.observe(record.confidence)
            if record.source_timestamp_ms is not None:
                latency = max(0.0, (now_ms - record.source_timestamp_ms) / 1000)
                self.metrics.event_latency_seconds.observe(latency)
        for reason, count in reasons.items():
            self.metrics.events_dead_lettered.labels(reason=reason).inc(count)
        if reasons:
            logger.warning("batch dead-lettered events=%s", dict(reasons))

        self.metrics.batch_size.observe(sum(1 for r in outcome.records if not r.review_copy))
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
        # The batch in flight was published and committed before the next consume() call, which
        # is where this callback runs, so nothing uncommitted is left for these partitions.
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
        code = error.code()
        now = time.monotonic()
        if now - self._error_log_times.get(code, -CLIENT_ERROR_LOG_INTERVAL_S) < (
            CLIENT_ERROR_LOG_INTERVAL_S
        ):
            self._suppressed_errors[code] += 1
            return
        suppressed = self._suppressed_errors.pop(code, 0)
        self._error_log_times[code] = now
        logger.warning(
            "kafka client error %s (%d repeats not logged); librdkafka keeps retrying",
            error, suppressed,
        )  # fmt: skip

    def _on_stats(self, stats_json: str) -> None:
        stats = json.loads(stats_json)
        for topic, topic_stats in stats.get("topics", {}).items():
            for partition, partition_stats in topic_stats.get("partitions", {}).items():
                lag = partition_stats.get("consumer_lag", -1)
                if partition == "-1" or lag < 0:
                    continue
                self.metrics.consumer_lag.labels(topic=topic, partition=partition).set(lag)

    def _close(self) -> None:
        """Flush, leave the group and close, giving up after ``shutdown_timeout_s``.

        ``Consumer.close()`` can block while the group coordinator is unreachable, so it runs
        in a helper thread and the process exits without it when the deadline passes.
        """
        if self.reloader is not None:
            self.reloader.stop()
        deadline = time.monotonic() + self.settings.shutdown_timeout_s
        remaining = self._producer.flush(self.settings.shutdown_timeout_s)
        if remaining:
            logger.warning("producer closed with unacknowledged records=%d", remaining)
        closer = threading.Thread(target=self._consumer.close, name="consumer-close", daemon=True)
        closer.start()
        closer.join(max(0.0, deadline - time.monotonic()))
        if closer.is_alive():
            logger.warning(
                "consumer close timed out after %.0f s; exiting without leaving the group",
                self.settings.shutdown_timeout_s,
            )
        self.health.assigned_partitions = 0
        self.metrics.ready.set(0)
        logger.info("consumer stopped")


def _describe(partitions: list[TopicPartition]) -> str:
    return ",".join(f"{p.topic}[{p.partition}]" for p in partitions) or "none"
