"""``python -m trainer.benchmark``: the full quality run on the St Petersburg appeals.

Loads ``appeals.csv`` into a temporary SQLite history, trains with the default settings on a
time-ordered split (oldest 70% train, next 10% validation, newest 20% test), and prints the
figures as a Markdown table row for docs/results.md. It then times the consumer's work per
batch on the newest appeals with the saved model: cleaning, and the one model call (and each
ensemble member alone). Everything, with the command and the machine, goes to a JSON file under
``--output``, next to a copy of the training report. Extra arguments after ``--`` go to the
trainer unchanged, e.g. ``python -m trainer.benchmark --label category -- --epochs 5``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.artifact import ModelArtifact
from classifier.cleaning import TextCleaner
from classifier.cli import parse_settings
from classifier.i18n import tr
from classifier.logs import configure_logging
from demo.sample_data import read_csv, write_sqlite_table
from trainer.settings import TrainerSettings

if TYPE_CHECKING:
    from trainer.pipeline import TrainingResult

logger = logging.getLogger("trainer.benchmark")

DEFAULT_CSV = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "spb-appeals" / "appeals.csv"
)
DEFAULT_OUTPUT = Path("bench-results")
TIMED_BATCHES = 20


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    parser = build_parser()
    args, trainer_args = parser.parse_known_args(argv)
    if trainer_args[:1] == ["--"]:
        trainer_args = trainer_args[1:]
    if not args.csv.is_file():
        parser.error(
            tr(
                f"appeals.csv not found at {args.csv}; pass --csv PATH",
                f"appeals.csv не найден по пути {args.csv}; укажите --csv PATH",
            )
        )
    appeals = read_csv(args.csv)
    # Checked before training, which takes minutes. Timing needs a warm-up and a timed batch.
    if len(appeals) < 2 * args.batch_size:
        parser.error(
            tr(
                f"{args.csv} has {len(appeals)} rows, fewer than two batches of "
                f"--batch-size {args.batch_size}; pass a smaller --batch-size",
                f"в {args.csv} {len(appeals)} строк, меньше двух пачек по --batch-size "
                f"{args.batch_size}; укажите --batch-size меньше",
            )
        )

    from trainer.pipeline import run_training  # TensorFlow loads here, after --help

    with tempfile.TemporaryDirectory(prefix="trainer-benchmark-") as scratch:
        db = write_sqlite_table(appeals, Path(scratch) / "appeals.sqlite", "appeals")
        model_dir = args.model_dir or Path(scratch) / "models"
        settings = parse_settings(
            TrainerSettings,
            [
                "--db-url", f"sqlite:///{db}",
                "--table", "appeals",
                "--label-column", args.label,
                "--time-column", "created_at",
                "--key-column", "id",
                "--model-dir", str(model_dir),
                *trainer_args,
            ],
            prog="python -m trainer.benchmark",
            description="",
        )  # fmt: skip
        started = time.monotonic()
        result = run_training(settings)
        total_seconds = time.monotonic() - started
        print_row(args.label, result.metadata.metrics, result.metadata.baseline_metrics)
        print(
            f"training {result.train_seconds:.0f} s, whole run {total_seconds:.0f} s, "
            f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}; "
            f"epochs {result.metadata.hyperparameters['epochs_run']}; "
            f"temperature {result.metadata.calibration.get('temperature', 1.0):.3f}; "
            f"report {result.report_path}"
        )

        newest = appeals.sort_values("created_at")["text"].dropna().astype(str)
        texts = newest.tail(args.batch_size * (TIMED_BATCHES + 1)).tolist()
        serving = time_serving(ModelArtifact.load(result.version_dir), texts, args.batch_size)
        print(
            f"serving, batches of {args.batch_size}: cleaning {serving['cleaning_ms']:.0f} ms, "
            f"model call {serving['model_call_ms']:.0f} ms "
            f"({serving['tickets_per_second']:.0f} tickets/s); members alone "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in serving["member_ms"].items())
        )

        command = " ".join(["python -m trainer.benchmark", *(argv or sys.argv[1:])])
        path, report = write_results(
            args.output, args.label, command, result, total_seconds, serving
        )
        print(f"results {path}, report {report}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for the benchmark's own options. Other arguments go to the trainer."""
    parser = argparse.ArgumentParser(prog="python -m trainer.benchmark", description=__doc__)
    parser.add_argument(
        "--csv",
        type=Path,
        default=DEFAULT_CSV,
        help=tr("Path of appeals.csv.", "Путь к appeals.csv."),
    )
    parser.add_argument(
        "--label",
        default="reason",
        help=tr("Label column: reason or category.", "Столбец метки: reason или category."),
    )
    parser.add_argument(
        "--model-dir",
        type=Path,
        help=tr(
            "Where to write the model (default: a temporary folder).",
            "Куда записать модель (по умолчанию во временный каталог).",
        ),
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=tr(
            "Folder for the JSON results file and the copy of the report.",
            "Каталог для файла результатов JSON и копии отчёта.",
        ),
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=256,
        help=tr(
            "Batch size to time, in tickets (the consumer's default).",
            "Размер пачки для замера, в заявках (по умолчанию как у консьюмера).",
        ),
    )
    return parser


def write_results(
    output: Path,
    label: str,
    command: str,
    result: TrainingResult,
    run_seconds: float,
    serving: dict[str, Any],
) -> tuple[Path, Path]:
    """Write ``<label>-<version>.json`` and a copy of the report under ``output``.

    Returns the JSON path and the copied report's HTML path. The model file is left out to
    keep the results small, and --model-dir keeps the model.
    """
    results = {
        "command": command,
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "label": label,
        "metrics": result.metadata.metrics,
        "baseline_metrics": result.metadata.baseline_metrics,
        "calibration": result.metadata.calibration,
        "hyperparameters": result.metadata.hyperparameters,
        "train_seconds": result.train_seconds,
        "run_seconds": run_seconds,
        "serving": serving,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    output.mkdir(parents=True, exist_ok=True)
    name = f"{label}-{result.metadata.version}"
    path = output / f"{name}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    report_dir = output / f"{name}-report"
    shutil.copytree(result.report_path.parent, report_dir, ignore=shutil.ignore_patterns("*.keras"))
    return path, report_dir / result.report_path.name


def time_serving(artifact: ModelArtifact, texts: list[str], batch_size: int) -> dict[str, Any]:
    """Time cleaning and the model call per batch as the consumer does them, in median ms.

    The first batch warms the lemma cache and TensorFlow up and is not counted. For an
    ensemble, each member model is also timed alone on the same batches. Raises ValueError
    when ``texts`` contains fewer than two full batches.
    """
    import tensorflow as tf

    cleaner = TextCleaner(artifact.metadata.cleaning)
    batches = [texts[start : start + batch_size] for start in range(0, len(texts), batch_size)]
    batches = [batch for batch in batches if len(batch) == batch_size]
    if len(batches) < 2:
        raise ValueError(
            f"{len(texts)} texts make fewer than two batches of {batch_size}; "
            "one warm-up and one timed batch are needed"
        )
    members = {
        layer.name: layer for layer in artifact.model.layers if layer.name.startswith("member_")
    }
    cleaning, calls = [], []
    member_calls: dict[str, list[float]] = {name: [] for name in members}
    for number, batch in enumerate(batches):
        started = time.perf_counter()
        cleaned = cleaner.clean_many(batch)
        cleaned_at = time.perf_counter()
        artifact.predict_proba(cleaned)
        called_at = time.perf_counter()
        inputs = tf.constant(np.array(cleaned, dtype=object).reshape(-1, 1))
        for name, member in members.items():
            member_started = time.perf_counter()
            member.predict_on_batch(inputs)
            if number:
                member_calls[name].append(time.perf_counter() - member_started)
        if number:
            cleaning.append(cleaned_at - started)
            calls.append(called_at - cleaned_at)
    clean_s, call_s = float(np.median(cleaning)), float(np.median(calls))
    return {
        "batch_size": batch_size,
        "batches": len(calls),
        "cleaning_ms": 1000 * clean_s,
        "model_call_ms": 1000 * call_s,
        "tickets_per_second": batch_size / (clean_s + call_s),
        "member_ms": {name: 1000 * float(np.median(times)) for name, times in member_calls.items()},
    }


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def machine() -> dict[str, Any]:
    """Return the platform, CPU cores and library versions the figures were measured with."""
    import keras
    import tensorflow as tf

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_cores": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "gpus": len(tf.config.list_physical_devices("GPU")),
    }


def print_row(label: str, metrics: dict[str, float], baseline: dict[str, float]) -> None:
    """Print the Markdown table row: label, model and baseline accuracy and macro-F1, ECE."""
    print("| label | model acc | model macro-F1 | ECE | baseline acc | baseline macro-F1 |")
    print("|---|---|---|---|---|---|")
    missing = float("nan")
    cells = [
        metrics["top1_accuracy"],
        metrics["macro_f1"],
        metrics.get("ece", missing),
        baseline.get("top1_accuracy", missing),
        baseline.get("macro_f1", missing),
    ]
    print(f"| {label} | " + " | ".join(f"{value:.3f}" for value in cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
