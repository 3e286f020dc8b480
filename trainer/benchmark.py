"""``python -m trainer.benchmark``: the full quality run on the St Petersburg appeals.

Loads ``appeals.csv`` into a temporary SQLite history, trains with the default settings on a
time-ordered split (oldest 70% train, next 10% validation, newest 20% test), and prints the
figures as a Markdown table row for docs/results.md. Extra arguments after ``--`` go to the
trainer unchanged, e.g. ``python -m trainer.benchmark --label category -- --epochs 5``.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from classifier.cli import parse_settings
from classifier.logs import configure_logging
from demo.sample_data import read_csv, write_sqlite_table
from trainer.settings import TrainerSettings

logger = logging.getLogger("trainer.benchmark")

DEFAULT_CSV = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "spb-appeals" / "appeals.csv"
)


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(prog="python -m trainer.benchmark", description=__doc__)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="Path of appeals.csv.")
    parser.add_argument("--label", default="reason", help="Label column: reason or category.")
    parser.add_argument("--model-dir", type=Path, help="Where to write the model (temporary).")
    args, trainer_args = parser.parse_known_args(argv)
    if trainer_args[:1] == ["--"]:
        trainer_args = trainer_args[1:]
    if not args.csv.is_file():
        parser.error(f"appeals.csv not found at {args.csv}; pass --csv PATH")

    from trainer.pipeline import run_training  # TensorFlow loads here, after --help

    with tempfile.TemporaryDirectory(prefix="trainer-benchmark-") as scratch:
        db = write_sqlite_table(read_csv(args.csv), Path(scratch) / "appeals.sqlite", "appeals")
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
    return 0


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
