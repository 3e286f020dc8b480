"""``python -m consumer``: classify new-ticket events from Kafka until SIGINT or SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from confluent_kafka import KafkaException

from classifier.artifact import ArtifactError, ModelArtifact
from classifier.cleaning import TextCleaner
from classifier.cli import fail, parse_settings
from classifier.i18n import tr
from classifier.logs import configure_logging
from consumer.batch import BatchClassifier
from consumer.health import HealthServer, HealthState
from consumer.metrics import ConsumerMetrics
from consumer.reloader import ModelReloader
from consumer.settings import ConsumerSettings

logger = logging.getLogger("consumer")

# A loop that has not come round for this long is reported as not live.
STALL_TIMEOUT_S = 120.0


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    settings = parse_settings(
        ConsumerSettings,
        argv,
        prog="python -m consumer",
        description=tr(
            "Classify new-ticket events from a Kafka topic and publish their categories.",
            "Классифицировать события о новых заявках из топика Kafka и публиковать категории.",
        ),
    )
    metrics = ConsumerMetrics()
    health = HealthState(stall_timeout_s=STALL_TIMEOUT_S)
    server = HealthServer(settings.metrics_host, settings.metrics_port, metrics.registry, health)
    server.start()

    try:
        artifact = ModelArtifact.load(settings.model_dir)
    except ArtifactError as exc:
        server.stop()
        fail(tr(f"cannot load the model: {exc}", f"не удалось загрузить модель: {exc}"), code=1)
    metrics.model.info(
        {"version": artifact.version, "architecture": artifact.metadata.architecture}
    )
    metrics.model_loaded_timestamp.set(time.time())
    health.model_loaded = True

    classifier = BatchClassifier(
        artifact,
        TextCleaner(artifact.metadata.cleaning),
        output_topic=settings.output_topic,
        dead_letter_topic=settings.dead_letter_topic,
        max_payload_bytes=settings.max_payload_bytes,
        review_threshold=settings.review_threshold,
        review_topic=settings.review_topic,
    )
    from consumer.service import ConsumerService

    reloader = ModelReloader(
        settings.model_dir, artifact.version, metrics, settings.model_poll_interval_s
    )
    try:
        service = ConsumerService(settings, classifier, metrics, health, reloader)
    except KafkaException as exc:
        server.stop()
        fail(
            tr(
                f"invalid Kafka client configuration: {exc.args[0].str()}",
                f"неверная конфигурация клиента Kafka: {exc.args[0].str()}",
            ),
            code=2,
        )

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info(
            "consumer received %s; finishing the batch in flight", signal.Signals(signum).name
        )
        service.stop()

    def request_reload(_signum: int, _frame: FrameType | None) -> None:
        logger.info("consumer received SIGHUP; checking %s for a new model", settings.model_dir)
        reloader.request_check()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGHUP, request_reload)
    reloader.start()
    try:
        service.run()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
