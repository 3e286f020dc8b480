"""Publishing a batch's records and committing its offsets, under one of two guarantees.

* :class:`AtLeastOncePublisher` produces the records, waits until the broker has acknowledged every
  one of them, and only then commits the offsets of every partition in the batch. A crash in
  between means the batch is published again after restart.
* :class:`ExactlyOncePublisher` produces the records and the offsets in one Kafka transaction.
  Readers with ``isolation.level=read_committed`` see each output once; an aborted transaction
  rewinds the consumer so the batch is processed again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from consumer.batch import BatchOutcome, Outbound
from consumer.health import HealthState
from consumer.metrics import ConsumerMetrics
from consumer.settings import ConsumerSettings

logger = logging.getLogger(__name__)

# NOTE: with the librdkafka 2.16 mock cluster rejecting produce requests, abort_transaction()
# sometimes never drains the rejected records; past this limit the process restarts instead.
ABORT_TIMEOUT_S = 60.0


class DeliveryInterruptedError(Exception):
    """Shutdown was requested while some outputs were still unacknowledged."""


class Publisher:
    """Shared by both guarantees: produce records and wait for their delivery reports."""

    def __init__(
        self,
        producer: Producer,
        consumer: Consumer,
        settings: ConsumerSettings,
        metrics: ConsumerMetrics,
        health: HealthState,
        stopping: threading.Event,
    ) -> None:
        self.producer = producer
        self.consumer = consumer
        self.settings = settings
        self.metrics = metrics
        self.health = health
        self.stopping = stopping

    def start(self) -> None:
        """Prepare the producer before the first batch."""

    def deliver(self, outcome: BatchOutcome) -> bool:
        """Publish the batch and commit its offsets; return False if the batch must be redone."""
        raise NotImplementedError

    def _produce(self, record: Outbound, failed: list[Outbound]) -> None:
        def on_delivery(error: KafkaError | None, _message: Any) -> None:
            if error is not None:
                logger.debug("delivery failed topic=%s error=%s", record.topic, error)
                failed.append(record)

        while True:
            try:
                self.producer.produce(
                    record.topic, value=record.value, key=record.key, on_delivery=on_delivery
                )
                return
            except BufferError:
                # The local queue is full: serve delivery reports to make room.
                self.producer.poll(0.1)
            except KafkaException as exc:
                # Rejected before sending, e.g. the topic is known to refuse writes: the same
                # as a failed delivery, so the record is produced again later.
                logger.debug("produce rejected topic=%s error=%s", record.topic, exc.args[0])
                failed.append(record)
                return

    def _await_delivery_reports(self) -> None:
        """Wait until librdkafka has reported on every record, success or failure.

        librdkafka retries on its own until ``delivery.timeout.ms``; after a stop request the
        wait is cut at ``shutdown_timeout_s``.
        """
        deadline: float | None = None
        while self.producer.flush(1.0):
            self.health.beat()  # waiting for the broker is progress, not a stalled loop
            if self.stopping.is_set():
                deadline = deadline or time.monotonic() + self.settings.shutdown_timeout_s
                if time.monotonic() > deadline:
                    raise DeliveryInterruptedError


class AtLeastOncePublisher(Publisher):
    def deliver(self, outcome: BatchOutcome) -> bool:
        self._publish(outcome.records)
        self._commit(outcome.next_offsets)
        return True

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
                len(failed), self.settings.delivery_retry_backoff_ms,
            )  # fmt: skip
            if self.stopping.wait(self.settings.delivery_retry_backoff_ms / 1000):
                raise DeliveryInterruptedError
            pending = failed

    def _commit(self, next_offsets: dict[tuple[str, int], int]) -> None:
        offsets = _topic_partitions(next_offsets)
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # The outputs are published; the records will be read again, as at-least-once allows.
            logger.warning("commit failed partitions=%d error=%s", len(offsets), exc.args[0])


class ExactlyOncePublisher(Publisher):
    def start(self) -> None:
        # Aborts a transaction a previous incarnation with the same transactional.id left open.
        self.producer.init_transactions(60)

    def deliver(self, outcome: BatchOutcome) -> bool:
        self.producer.begin_transaction()
        try:
            failed: list[Outbound] = []
            for record in outcome.records:
                self._produce(record, failed)
            if failed:
                # Committing now would commit the offsets of records that were not written.
                raise KafkaException(
                    KafkaError(KafkaError._STATE, "a record was rejected", txn_requires_abort=True)
                )
            self.producer.send_offsets_to_transaction(
                _topic_partitions(outcome.next_offsets),
                self.consumer.consumer_group_metadata(),
                30,
            )
            self._commit_transaction()
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if not error.txn_requires_abort():
                raise  # fatal: the process must restart with a new producer
            logger.warning("transaction aborted error=%s; the batch will be processed again", error)
            self.metrics.transactions_aborted.inc()
            self._abort_transaction()
            self._rewind(outcome.first_offsets)
            self.stopping.wait(self.settings.delivery_retry_backoff_ms / 1000)
            return False
        return True

    def _commit_transaction(self) -> None:
        while True:
            try:
                self.producer.commit_transaction(30)
                return
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                if not error.retriable() or self.stopping.is_set():
                    raise
                logger.warning("transaction commit retrying error=%s", error)

    def _abort_transaction(self) -> None:
        """Abort, first serving the delivery reports librdkafka must hand out before it can.

        Gives up after ``ABORT_TIMEOUT_S`` by raising: the process then exits, and the next
        incarnation's init_transactions() aborts the transaction on the broker side.
        """
        deadline = time.monotonic() + ABORT_TIMEOUT_S
        while True:
            self.producer.poll(0.1)
            try:
                self.producer.abort_transaction(10)
                return
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                if not error.retriable() or time.monotonic() > deadline:
                    logger.error("transaction abort failed error=%s; exiting for a restart", error)
                    raise
                self.health.beat()
                logger.warning("transaction abort retrying error=%s", error)

    def _rewind(self, first_offsets: dict[tuple[str, int], int]) -> None:
        assigned = {(tp.topic, tp.partition) for tp in self.consumer.assignment()}
        for (topic, partition), offset in first_offsets.items():
            if (topic, partition) in assigned:
                self.consumer.seek(TopicPartition(topic, partition, offset))


def _topic_partitions(offsets: dict[tuple[str, int], int]) -> list[TopicPartition]:
    return [
        TopicPartition(topic, partition, offset)
        for (topic, partition), offset in sorted(offsets.items())
    ]
