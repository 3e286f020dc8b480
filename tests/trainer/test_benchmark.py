"""The benchmark's results file and its timing of the consumer's per-batch work."""

import json

import pytest

from classifier.artifact import ModelArtifact
from tests.support.data import load_appeals
from trainer import benchmark

TEXTS = ["не работает лифт в подъезде", "яма на дороге у дома 5"] * 20


def test_time_serving_times_the_call_and_each_member(appeals_model_dir):
    artifact = ModelArtifact.load(appeals_model_dir)

    serving = benchmark.time_serving(artifact, TEXTS, batch_size=8)

    assert serving["batches"] == 4  # five full batches, the first one warms up
    assert serving["model_call_ms"] > 0
    assert serving["cleaning_ms"] > 0
    assert serving["tickets_per_second"] > 0
    assert set(serving["member_ms"]) == {"member_1", "member_2"}


@pytest.mark.slow
def test_benchmark_writes_results_with_command_and_machine(tmp_path, capsys):
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
    assert results["peak_rss_mib"] > 0
    report = output / f"{path.stem}-report"
    assert (report / "report.html").is_file()
    assert (report / "report.json").is_file()
    assert not list(report.glob("*.keras"))
    printed = capsys.readouterr().out
    assert "| category |" in printed
    assert f"results {path}, report {report / 'report.html'}" in printed
