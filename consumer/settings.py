"""Consumer settings: flags of ``python -m consumer`` and ``CONSUMER_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifier.cli import russian_help


class ConsumerSettings(BaseSettings):
    """Broker, topics, model and batching of one consumer process."""

    model_config = SettingsConfigDict(env_prefix="CONSUMER_", frozen=True, validate_by_name=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("CONSUMER_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
        description="Kafka bootstrap servers, host:port[,host:port]; KAFKA_BOOTSTRAP_SERVERS "
        "is read too.",
        json_schema_extra=russian_help(
            "Адреса Kafka host:port[,host:port]; читается и KAFKA_BOOTSTRAP_SERVERS."
        ),
    )
    input_topic: str = Field(
        default="tickets.created",
        description="Topic with new-ticket events.",
        json_schema_extra=russian_help("Топик с событиями о новых заявках."),
    )
    output_topic: str = Field(
        default="tickets.categorized",
        description="Topic the categorized events are published to.",
        json_schema_extra=russian_help("Топик для событий с категорией."),
    )
    dead_letter_topic: str = Field(
        default="tickets.dead-letter",
        description="Topic for events that cannot be classified, with the reason.",
        json_schema_extra=russian_help(
            "Топик для событий, которые нельзя классифицировать, с причиной."
        ),
    )
    group_id: str = Field(
        default="ticket-classifier",
        description="Kafka consumer group; processes with one group share the partitions.",
        json_schema_extra=russian_help(
            "Группа потребителей Kafka; процессы одной группы делят партиции."
        ),
    )
    model_dir: Path = Field(
        default=Path("models"),
        description="Model directory written by the trainer; the version in CURRENT is served.",
        json_schema_extra=russian_help(
            "Каталог моделей от тренера; обслуживается версия из CURRENT."
        ),
    )
    batch_size: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="Maximum events classified in one model call.",
        json_schema_extra=russian_help("Максимум событий за один вызов модели."),
    )
    batch_timeout_ms: int = Field(
        default=500,
        ge=1,
        description="Maximum wait, in milliseconds, to fill a batch before classifying it.",
        json_schema_extra=russian_help("Максимальное ожидание наполнения пачки, мс."),
    )
    metrics_port: int = Field(
        default=9108,
        ge=0,
        le=65535,
        description="Port of the HTTP server with /metrics, /livez and /readyz; 0 picks one.",
        json_schema_extra=russian_help(
            "Порт HTTP-сервера с /metrics, /livez и /readyz; 0 — любой свободный."
        ),
    )
    metrics_host: str = Field(
        default="0.0.0.0",  # noqa: S104 - Prometheus and the kubelet scrape from outside the pod
        description="Address the metrics and health server listens on.",
        json_schema_extra=russian_help("Адрес, на котором слушает сервер метрик и проверок."),
    )
    kafka_properties: dict[str, str] = Field(
        default_factory=dict,
        description="Extra librdkafka property for both clients; prefix the key with consumer. "
        "or producer. to set one client only. The environment variable takes a JSON object.",
        json_schema_extra=russian_help(
            "Дополнительное свойство librdkafka для обоих клиентов; префикс consumer. или "
            "producer. — только для одного. Переменная окружения принимает JSON-объект.",
            flag="--kafka-property",
        ),
    )
    max_payload_bytes: int = Field(
        # 500 kB stays under the broker's default 1 MB message limit after base64 in a
        # dead-letter event.
        default=500_000,
        ge=1,
        description="Events larger than this many bytes are dead-lettered unread.",
        json_schema_extra=russian_help(
            "События больше этого числа байт уходят в dead-letter без чтения."
        ),
    )
    delivery_retry_backoff_ms: int = Field(
        default=1_000,
        ge=1,
        description="Pause, in milliseconds, before producing again the outputs the broker "
        "did not acknowledge.",
        json_schema_extra=russian_help(
            "Пауза перед повторной отправкой неподтверждённых событий, мс."
        ),
    )
    shutdown_timeout_s: float = Field(
        default=20.0,
        gt=0,
        description="Seconds allowed to finish the batch, flush and commit after SIGTERM.",
        json_schema_extra=russian_help(
            "Секунд на завершение пачки, отправку и коммит после SIGTERM."
        ),
    )
    processing_guarantee: Literal["at-least-once", "exactly-once"] = Field(
        default="at-least-once",
        description="at-least-once commits offsets after outputs are acknowledged; "
        "exactly-once publishes outputs and offsets in one Kafka transaction.",
        json_schema_extra=russian_help(
            "at-least-once: коммит после подтверждения выходных событий; exactly-once: "
            "выходные события и смещения в одной транзакции Kafka."
        ),
    )
    transactional_id: str | None = Field(
        default=None,
        description="Transactional id in exactly-once mode; keep it stable across restarts "
        "of one replica (default: GROUP_ID-HOSTNAME).",
        json_schema_extra=russian_help(
            "transactional.id в режиме exactly-once; должен сохраняться при перезапуске "
            "реплики (по умолчанию GROUP_ID-HOSTNAME)."
        ),
    )
    review_threshold: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Outputs with confidence below this are marked needs_review=true; 0 "
        "turns review off.",
        json_schema_extra=russian_help(
            "События с уверенностью ниже порога помечаются needs_review=true; 0 — выключено."
        ),
    )
    review_topic: str | None = Field(
        default=None,
        description="Topic that also receives the outputs marked for review (optional).",
        json_schema_extra=russian_help(
            "Топик, куда дополнительно идут события, помеченные для проверки (необязательно)."
        ),
    )
    model_poll_interval_s: float = Field(
        default=30.0,
        ge=0,
        description="Seconds between checks of the model directory for a new version; 0 "
        "checks only on SIGHUP.",
        json_schema_extra=russian_help(
            "Интервал проверки каталога моделей на новую версию, с; 0 — только по SIGHUP."
        ),
    )
