"""Every Prometheus metric the consumer exports, defined once, with units in the names."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

PREFIX = "ticket_classifier"

_BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


class ConsumerMetrics:
    """The consumer's metrics in one registry, so tests can read them back."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events_consumed = Counter(
            f"{PREFIX}_events_consumed", "Records read from the input topic.", registry=r
        )
        self.events_classified = Counter(
            f"{PREFIX}_events_classified",
            "Events classified and acknowledged on the output topic.",
            registry=r,
        )
        self.events_dead_lettered = Counter(
            f"{PREFIX}_events_dead_lettered",
            "Events acknowledged on the dead-letter topic, by reason.",
            ["reason"],
            registry=r,
        )
        self.consume_errors = Counter(
            f"{PREFIX}_consume_errors",
            "Errors returned by the Kafka consumer instead of records, by librdkafka error name.",
            ["error"],
            registry=r,
        )
        self.delivery_failures = Counter(
            f"{PREFIX}_delivery_failures",
            "Output records the broker did not acknowledge; they are produced again.",
            registry=r,
        )
        self.batch_size = Histogram(
            f"{PREFIX}_batch_size_events",
            "Records per batch.",
            buckets=_BATCH_SIZE_BUCKETS,
            registry=r,
        )
        self.batch_seconds = Histogram(
            f"{PREFIX}_batch_processing_seconds",
            "Time from a batch's arrival to the commit of its offsets.",
            buckets=_SECONDS_BUCKETS,
            registry=r,
        )
        self.inference_seconds = Histogram(
            f"{PREFIX}_inference_seconds",
            "Time of the one model call per batch.",
            buckets=_SECONDS_BUCKETS,
            registry=r,
        )
        self.event_latency_seconds = Histogram(
            f"{PREFIX}_event_latency_seconds",
            "Time from the input record's timestamp to the acknowledgement of its output.",
            buckets=_SECONDS_BUCKETS,
            registry=r,
        )
        self.confidence = Histogram(
            f"{PREFIX}_confidence",
            "Probability of the chosen category.",
            buckets=_CONFIDENCE_BUCKETS,
            registry=r,
        )
        self.events_needing_review = Counter(
            f"{PREFIX}_events_needing_review",
            "Classified events whose confidence is below the review threshold.",
            registry=r,
        )
        self.model = Info(f"{PREFIX}_model", "Model version in service.", registry=r)
        self.model_reload_failures = Counter(
            f"{PREFIX}_model_reload_failures",
            "New model versions rejected because they failed to load or to score.",
            registry=r,
        )
        self.transactions_aborted = Counter(
            f"{PREFIX}_transactions_aborted",
            "Exactly-once transactions aborted; their batches are processed again.",
            registry=r,
        )
        self.model_loaded_timestamp = Gauge(
            f"{PREFIX}_model_loaded_timestamp_seconds",
            "Unix time the model in service was loaded.",
            registry=r,
        )
        self.assigned_partitions = Gauge(
            f"{PREFIX}_assigned_partitions",
            "Input partitions assigned to this process.",
            registry=r,
        )
        self.consumer_lag = Gauge(
            f"{PREFIX}_consumer_lag_records",
            "Records behind the partition's high watermark, from librdkafka statistics.",
            ["topic", "partition"],
            registry=r,
        )
        self.ready = Gauge(
            f"{PREFIX}_ready", "1 when the model is loaded and partitions are assigned.", registry=r
        )
