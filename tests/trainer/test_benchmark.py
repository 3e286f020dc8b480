"""The benchmark's results file, its input checks and its timing of the consumer's batches."""

import json

import pytest

from classifier.artifact import ModelArtifact
from tests.support.data import load_appeals
from trainer import benchmark

TEXTS = ["не работает лифт в подъезде", "яма на дороге у дома 5"] * 20


def test_time_serving_times_each_member(appeals_model_dir):
    artifact = ModelArtifact.load(appeals_model_dir)

    serving = benchmark.time_serving(artifact, TEXTS, batch_size=8)

    assert serving["batches"] == 4  # five full batches, and the first one is a warm-up
    assert serving["model_call_ms"] > 0
    assert serving["cleaning_ms"] > 0
    assert serving["tickets_per_second"] > 0
    assert set(serving["member_ms"]) == {"member_1", "member_2"}


def test_time_serving_rejects_one_batch(appeals_model_dir):
    artifact = ModelArtifact.load(appeals_model_dir)

    with pytest.raises(ValueError, match="fewer than two batches of 8"):
        benchmark.time_serving(artifact, TEXTS[:15], batch_size=8)


def test_benchmark_rejects_missing_csv(tmp_path, capsys, english_locale):
    missing = tmp_path / "absent.csv"

    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--csv", str(missing)])

    assert exit_info.value.code == 2
    assert f"appeals.csv not found at {missing}; pass --csv PATH" in capsys.readouterr().err


def test_benchmark_rejects_batch_larger_than_data(tmp_path, capsys, english_locale):
    csv = tmp_path / "appeals.csv"
    load_appeals(300).to_csv(csv, index=False)
    output = tmp_path / "results"

    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--csv", str(csv), "--batch-size", "200", "--output", str(output)])

    assert exit_info.value.code == 2
    assert "has 300 rows, fewer than two batches of --batch-size 200" in capsys.readouterr().err
    assert not output.exists()


def test_benchmark_rejects_zero_batch_size(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--csv", str(tmp_path / "a.csv"), "--batch-size", "0"])

    assert exit_info.value.code == 2
    assert "must be at least 1, got 0" in capsys.readouterr().err


@pytest.mark.slow
def test_benchmark_writes_results_file(tmp_path, capsys):
    csv = tmp_path / "appeals.csv"
    load_appeals(800).to_csv(csv, index=False)
    output = tmp_path / "results"

    code = benchmark.main(
        [
            "--csv", str(csv),
            "--label", "category",
            "--output", str(output),
            "--batch-size", "16",
            "--",
            "--epochs", "1",
            "--lstm-units", "8",
            "--embedding-dim", "8",
            "--no-baseline",
        ]
    )  # fmt: skip

    assert code == 0
    [path] = output.glob("category-*.json")
    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["command"].startswith("python -m trainer.benchmark --csv")
    assert results["machine"]["cpu_cores"] >= 1
    assert results["machine"]["tensorflow"]
    assert 0 <= results["metrics"]["macro_f1"] <= 1
    assert results["serving"]["batch_size"] == 16
    assert results["run_seconds"] >= results["train_seconds"]
    assert results["peak_rss_mib"] > 0
    report = output / f"{path.stem}-report"
    assert (report / "report.html").is_file()
    assert (report / "report.json").is_file()
    assert not list(report.glob("*.keras"))
    printed = capsys.readouterr().out
    assert "| category |" in printed
    assert f"results {path}, report {report / 'report.html'}" in printed
