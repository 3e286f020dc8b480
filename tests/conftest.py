"""Session fixtures: a broker, a PostgreSQL server and a small model trained on real appeals."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.broker import EmbeddedBroker, create_topics
from tests.support.data import load_appeals
from tests.support.postgres import find_bindir, running_postgres

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Rows of the appeals (oldest first) the shared test model trains on; newer rows are streamed.
TRAIN_ROWS = 4000


@dataclass(frozen=True)
class Broker:
    """A broker the tests can reach, and how it was obtained."""

    bootstrap_servers: str
    kind: str
    embedded: EmbeddedBroker | None

    def create_topics(self, names: list[str], partitions: int = 3) -> None:
        if self.embedded is not None:
            self.embedded.create_topics(names, partitions)
        else:
            create_topics(self.bootstrap_servers, names, partitions)


def _broker_kinds() -> list[str]:
    """External cluster when KAFKA_BOOTSTRAP_SERVERS is set, else TEST_BROKERS (mock,tansu)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return ["external"]
    return [kind.strip() for kind in os.environ.get("TEST_BROKERS", "mock,tansu").split(",")]


@pytest.fixture(scope="session", params=_broker_kinds())
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    """A broker reached over TCP; integration tests run once per kind."""
    kind = request.param
    if kind == "external":
        yield Broker(os.environ["KAFKA_BOOTSTRAP_SERVERS"], kind, None)
        return
    if kind not in ("mock", "tansu"):
        pytest.fail(f"TEST_BROKERS may list mock and tansu, got {kind!r}")
    with EmbeddedBroker(kind) as embedded:
        yield Broker(embedded.bootstrap_servers, kind, embedded)


def unique_topic_names() -> dict[str, str]:
    """Input, output and dead-letter topic names with a random suffix."""
    suffix = uuid.uuid4().hex[:8]
    return {
        "input": f"test.tickets.created.{suffix}",
        "output": f"test.tickets.categorized.{suffix}",
        "dead_letter": f"test.tickets.dead-letter.{suffix}",
    }


@pytest.fixture
def topics(broker: Broker) -> dict[str, str]:
    """Fresh input, output and dead-letter topics, created with 3 partitions each."""
    names = unique_topic_names()
    broker.create_topics(list(names.values()))
    return names


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on loopback for this test session."""
    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries not found; run `make system-deps`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    base = Path(tempfile.mkdtemp(prefix="ticket-classifier-pg-"))
    try:
        with running_postgres(bindir, base) as url:
            yield url
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear the locale variables so that messages and reports come out in English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(scope="session")
def appeals_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the oldest appeals (label ``category``), small enough for CI.

    TEST_MODEL_DIR names an existing model directory to use instead, to skip the training
    when iterating on consumer tests.
    """
    if os.environ.get("TEST_MODEL_DIR"):
        return Path(os.environ["TEST_MODEL_DIR"])
    from trainer.pipeline import run_training
    from trainer.settings import TrainerSettings
    from trainer.source import History

    frame = load_appeals(TRAIN_ROWS).rename(columns={"category": "label", "created_at": "time"})
    frame["time"] = frame["time"].astype("datetime64[ns, UTC]")
    model_dir = tmp_path_factory.mktemp("appeals-model")
    settings = TrainerSettings(
        table="appeals",
        model_dir=model_dir,
        time_column="created_at",
        epochs=3,
        lstm_units=32,
        embedding_dim=32,
        sequence_length=60,
        max_tokens=8000,
    )
    history = History(frame=frame[["text", "label", "time"]], rows_read=len(frame), has_time=True)
    run_training(settings, history)
    return model_dir
