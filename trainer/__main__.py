"""``python -m trainer``: train a new model version from the ticket history in SQL."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from classifier.cli import fail, parse_settings
from classifier.i18n import tr
from classifier.logs import configure_logging
from trainer.errors import TrainerError
from trainer.settings import TrainerSettings

if TYPE_CHECKING:
    from trainer.pipeline import TrainingResult

logger = logging.getLogger("trainer")


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    settings = parse_settings(
        TrainerSettings,
        argv,
        prog="python -m trainer",
        description=tr(
            "Train the ticket classifier from the helpdesk history in SQL and write a new "
            "model version.",
            "Обучить классификатор заявок по истории из SQL и записать новую версию модели.",
        ),
    )
    from trainer.pipeline import run_training  # TensorFlow loads here, after --help

    try:
        result = run_training(settings)
    except TrainerError as exc:
        fail(tr(f"training failed: {exc}", f"обучение не удалось: {exc}"), code=1)
    print_summary(result)
    return 0


def print_summary(result: TrainingResult) -> None:
    """Print the test scores and where the model went, for a person at the terminal."""
    metadata = result.metadata
    names = {
        "top1_accuracy": tr("top-1 accuracy", "точность top-1"),
        "top3_accuracy": tr("top-3 accuracy", "точность top-3"),
        "macro_f1": "macro-F1",
        "weighted_f1": "weighted F1",
        "ece": "ECE",
    }
    print(tr(f"model version {metadata.version}", f"версия модели {metadata.version}"))
    print(tr(f"  written to {result.version_dir}", f"  записана в {result.version_dir}"))
    print(
        tr(
            f"  rows: {metadata.rows}; categories: {len(metadata.labels)}; "
            f"training time {result.train_seconds:.0f} s",
            f"  строки: {metadata.rows}; категорий: {len(metadata.labels)}; "
            f"время обучения {result.train_seconds:.0f} с",
        )
    )
    baseline = metadata.baseline_metrics
    print(tr("  test split:", "  тестовая выборка:"))
    if baseline:
        print(f"    {'':<16} {metadata.architecture:>8} {'TF-IDF+SVM':>11}")
    for key, value in metadata.metrics.items():
        line = f"    {names.get(key, key):<16} {value:8.4f}"
        if key in baseline:
            line += f" {baseline[key]:11.4f}"
        print(line)

    promotion = result.promotion
    verdict = (
        tr("promoted to service", "введена в работу")
        if promotion.promote
        else tr("NOT promoted", "НЕ введена в работу")
    )
    print(f"  {verdict}: {promotion.reason}")
    print(tr(f"  report: {result.report_path}", f"  отчёт: {result.report_path}"))


if __name__ == "__main__":
    sys.exit(main())
