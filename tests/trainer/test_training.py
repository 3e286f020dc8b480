import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from classifier.artifact import ModelArtifact, read_current_version
from demo.sample_data import REPO_ROOT, write_sqlite_table
from tests.support.data import load_appeals
from trainer.pipeline import run_training
from trainer.settings import TrainerSettings

SMALL_MODEL = [
    "--epochs", "2", "--lstm-units", "16", "--embedding-dim", "16",
    "--sequence-length", "40", "--max-tokens", "5000",
]  # fmt: skip


@pytest.mark.slow
def test_trainer_cli_trains_from_sqlite(tmp_path: Path):
    appeals = load_appeals(3000)
    db = write_sqlite_table(appeals, tmp_path / "history.sqlite", "appeals")
    model_dir = tmp_path / "models"

    result = subprocess.run(
        [
            sys.executable, "-m", "trainer",
            "--db-url", f"sqlite:///{db}",
            "--table", "appeals",
            "--label-column", "category",
            "--time-column", "created_at",
            "--model-dir", str(model_dir),
            *SMALL_MODEL,
        ],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, env={"LANG": "C.UTF-8",
        "PATH": "/usr/bin:/bin"},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    assert "macro-F1" in result.stdout
    version = read_current_version(model_dir)
    assert version is not None
    metadata = json.loads((model_dir / version / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["rows"]["read"] == 3000
    assert (
        metadata["rows"]["train"]
        + metadata["rows"]["validation"]
        + metadata["rows"]["test"]
        + metadata["rows"]["validation_unseen_label"]
        == 3000
    )
    assert set(metadata["metrics"]) == {"top1_accuracy", "top3_accuracy", "macro_f1", "weighted_f1"}
    assert 0.0 <= metadata["metrics"]["macro_f1"] <= 1.0
    assert metadata["data_time_range"]["start"].startswith(appeals["created_at"].iloc[0])
    assert metadata["data_time_range"]["end"].startswith(appeals["created_at"].iloc[-1])
    assert metadata["source"]["split"] == "time"
    assert set(metadata["labels"]) <= set(appeals["category"])


@pytest.mark.slow
def test_trainer_cli_prints_russian_summary(tmp_path: Path):
    db = write_sqlite_table(load_appeals(800), tmp_path / "h.sqlite", "appeals")
    result = subprocess.run(
        [
            sys.executable, "-m", "trainer", "--db-url", f"sqlite:///{db}", "--table", "appeals",
            "--model-dir", str(tmp_path / "m"), *SMALL_MODEL,
        ],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env={"LANG": "ru_RU.UTF-8", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "тестовая выборка" in result.stdout


def test_trainer_cli_rejects_missing_source():
    result = subprocess.run(
        [sys.executable, "-m", "trainer"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "give exactly one of --table or --query" in result.stderr


def test_trainer_cli_reports_unreadable_table(tmp_path: Path):
    db = tmp_path / "empty.sqlite"
    engine = sa.create_engine(f"sqlite:///{db}")
    engine.connect().close()
    engine.dispose()
    result = subprocess.run(
        [sys.executable, "-m", "trainer", "--db-url", f"sqlite:///{db}", "--table", "nope",
         "--model-dir", str(tmp_path / "m")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "training failed: cannot read ticket history from nope" in result.stderr
    assert "no such table: nope" in result.stderr


@pytest.mark.integration
@pytest.mark.slow
def test_training_from_postgres_with_query(postgres_url: str, tmp_path: Path):
    appeals = load_appeals(2500)
    engine = sa.create_engine(postgres_url)
    appeals.to_sql("appeals_train_test", engine, if_exists="replace", index=False)
    engine.dispose()
    settings = TrainerSettings(
        db_url=postgres_url,
        query="SELECT text, category, CAST(created_at AS date) AS created_at "
        "FROM appeals_train_test",
        label_column="category",
        time_column="created_at",
        model_dir=tmp_path / "models",
        epochs=2,
        lstm_units=16,
        embedding_dim=16,
        sequence_length=40,
    )
    result = run_training(settings)

    artifact = ModelArtifact.load(tmp_path / "models")
    assert artifact.version == result.metadata.version
    assert result.metadata.rows["read"] == 2500
    assert result.metadata.source["db_url"] == postgres_url
    assert result.metadata.data_time_range is not None
    probabilities = artifact.predict_proba(["лифт не работать", "снег на дорога"])
    assert probabilities.shape == (2, len(artifact.metadata.labels))
