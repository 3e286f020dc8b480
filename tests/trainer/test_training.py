import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from classifier.artifact import ModelArtifact, read_current_version
from demo.sample_data import REPO_ROOT, write_sqlite_table
from tests.support.data import load_appeals
from trainer.fitting import class_weights
from trainer.pipeline import run_training
from trainer.settings import TrainerSettings
from trainer.source import History

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
    assert set(metadata["metrics"]) == {
        "top1_accuracy",
        "top3_accuracy",
        "macro_f1",
        "weighted_f1",
        "ece",
    }
    assert set(metadata["baseline_metrics"]) == {
        "top1_accuracy",
        "top3_accuracy",
        "macro_f1",
        "weighted_f1",
    }
    assert metadata["calibration"]["temperature"] > 0
    assert metadata["promotion"]["promote"] is True
    assert (model_dir / version / "report.html").is_file()
    assert "report:" in result.stdout
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


def small_settings(model_dir: Path, **overrides) -> TrainerSettings:
    values: dict[str, object] = {
        "table": "appeals",
        "time_column": "created_at",
        "model_dir": model_dir,
        "epochs": 1,
        "lstm_units": 8,
        "embedding_dim": 8,
        "sequence_length": 30,
        "max_tokens": 3000,
        "mlp_units": 16,
    }
    values.update(overrides)
    return TrainerSettings.model_validate(values)


def appeals_history(rows: int, label: str = "category") -> History:
    frame = load_appeals(rows).rename(columns={label: "label", "created_at": "time"})
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return History(frame=frame[["text", "label", "time"]], rows_read=rows, has_time=True)


@pytest.mark.slow
def test_training_writes_report_with_every_section(tmp_path: Path, english_locale: None):
    result = run_training(small_settings(tmp_path / "m"), appeals_history(1500, "reason"))

    report = json.loads((result.version_dir / "report.json").read_text(encoding="utf-8"))
    assert set(report["metrics"]) >= {"top1_accuracy", "top3_accuracy", "macro_f1", "ece"}
    assert report["baseline"]["metrics"]["macro_f1"] > 0
    per_class = report["evaluation"]["per_class"]
    assert [row["f1"] for row in per_class] == sorted(row["f1"] for row in per_class)
    assert report["evaluation"]["confused_pairs"]
    assert len(report["evaluation"]["confusion_labels"]) <= 20
    assert report["calibration"]["coverage"][0]["threshold"] == 0.0
    assert report["calibration"]["reliability"]
    assert len(report["learning_curves"]["loss"]) == 1
    assert report["data"]["rows"]["read"] == 1500
    assert report["data"]["rare_classes"]["categories"]
    assert report["data"]["duplicates"]["duplicate_rows"] > 0
    assert report["data"]["time_range"]["start"].startswith("2020-10-18")
    for name in ("report.html", "learning_curves.png", "reliability.png", "confusion.png"):
        assert (result.version_dir / name).stat().st_size > 1000, name
    assert report["run"]["hyperparameters"]["ensemble_members"] == 2
    assert report["run"]["hyperparameters"]["refit_epochs"] == 1
    html = result.report_path.read_text(encoding="utf-8")
    assert "macro-F1" in html
    assert "averages the logits of 2 networks" in html


@pytest.mark.slow
def test_calibrated_model_serves_temperature_scaled_probabilities(tmp_path: Path):
    result = run_training(small_settings(tmp_path / "m", epochs=2), appeals_history(1200))
    artifact = ModelArtifact.load(tmp_path / "m")

    layer_names = [layer.name for layer in artifact.model.layers]
    assert layer_names[-2:] == ["temperature", "category"]
    probabilities = artifact.predict_proba(["нет горячий вода", "снег на дорога"])
    assert probabilities.sum(axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert result.metadata.calibration["temperature"] != 1.0


@pytest.mark.slow
def test_training_rejects_worse_model_unless_forced(tmp_path: Path):
    history = appeals_history(1500)
    better = small_settings(tmp_path / "m", architecture="mlp", epochs=6, baseline=False)
    first = run_training(better, history)
    worse = small_settings(tmp_path / "m", epochs=1, max_tokens=100, baseline=False)
    second = run_training(worse, history)

    assert first.promotion.promote
    assert second.promotion.current_macro_f1 == pytest.approx(first.metadata.metrics["macro_f1"])
    assert not second.promotion.promote
    assert second.promotion.current_version == first.metadata.version
    assert read_current_version(tmp_path / "m") == first.metadata.version
    report = json.loads((second.version_dir / "report.json").read_text(encoding="utf-8"))
    assert report["promotion"]["promote"] is False

    forced = run_training(worse.model_copy(update={"force": True}), history)
    assert forced.promotion.promote
    assert read_current_version(tmp_path / "m") == forced.metadata.version


@pytest.mark.slow
def test_mlp_architecture_trains_and_loads(tmp_path: Path):
    settings = small_settings(tmp_path / "m", architecture="mlp", class_weights="sqrt")
    result = run_training(settings, appeals_history(1000))

    artifact = ModelArtifact.load(tmp_path / "m")
    assert artifact.metadata.architecture == "mlp"
    assert result.metadata.hyperparameters["class_weights"] == "sqrt"
    assert artifact.predict_proba(["лифт не работать"]).shape == (1, len(artifact.metadata.labels))


@pytest.mark.slow
def test_training_with_fixed_seed_is_reproducible(tmp_path: Path):
    history = appeals_history(800)
    first = run_training(small_settings(tmp_path / "a", baseline=False), history)
    second = run_training(small_settings(tmp_path / "b", baseline=False), history)
    assert first.metadata.metrics == second.metadata.metrics


def test_class_weights_balance_rare_classes():
    targets = np.array([0] * 90 + [1] * 10)
    balanced = class_weights(targets, 2, "balanced")
    root = class_weights(targets, 2, "sqrt")

    assert class_weights(targets, 2, "none") is None
    assert balanced is not None
    assert root is not None
    assert balanced[1] / balanced[0] == pytest.approx(9.0)
    assert root[1] / root[0] == pytest.approx(3.0)
    assert np.mean([balanced[t] for t in targets]) == pytest.approx(1.0)
