"""Assemble the numbers of one training run into the report dictionary (``report.json``)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from classifier.artifact import ArtifactMetadata
from trainer.baseline import BaselineResult
from trainer.calibration import correctness, coverage_table, reliability
from trainer.dataset import duplicate_summary
from trainer.evaluation import confused_pairs, confusion_of_largest, per_class, predicted_labels
from trainer.promotion import PromotionDecision
from trainer.rare import RareClasses
from trainer.settings import TrainerSettings
from trainer.source import LABEL
from trainer.split import Split

CONFUSION_SIZE = 20
CONFUSED_PAIRS = 25


def build_report(
    *,
    metadata: ArtifactMetadata,
    settings: TrainerSettings,
    split: Split,
    validation: pd.DataFrame,
    test_probabilities: np.ndarray,
    calibration: Mapping[str, float],
    history: dict[str, list[float]],
    train_seconds: float,
    dropped: Mapping[str, int],
    rare: RareClasses,
    baseline: BaselineResult | None,
    promotion: PromotionDecision,
    prepared: pd.DataFrame,
) -> dict[str, Any]:
    """Return every number the report shows, as plain JSON-ready values."""
    truth = split.test[LABEL].tolist()
    predicted = predicted_labels(test_probabilities, metadata.labels).tolist()
    confidence, correct = correctness(truth, test_probabilities, metadata.labels)
    confusion_labels, matrix = confusion_of_largest(truth, predicted, CONFUSION_SIZE)

    return {
        "run": {
            "version": metadata.version,
            "created_at": metadata.created_at.isoformat(),
            "command": " ".join(sys.argv),
            "architecture": metadata.architecture,
            "label_column": settings.label_column,
            "classes": len(metadata.labels),
            "split": split.strategy,
            "epochs_run": metadata.hyperparameters.get("epochs_run"),
            "train_seconds": train_seconds,
            "hyperparameters": metadata.hyperparameters,
            "source": metadata.source,
        },
        "metrics": metadata.metrics,
        "baseline": asdict(baseline) if baseline else None,
        "promotion": promotion.as_dict(),
        "calibration": {
            **calibration,
            "reliability": [asdict(row) for row in reliability(confidence, correct)],
            "coverage": [asdict(row) for row in coverage_table(confidence, correct)],
        },
        "evaluation": {
            "per_class": [asdict(row) for row in per_class(truth, predicted)],
            "confused_pairs": [
                asdict(pair) for pair in confused_pairs(truth, predicted, CONFUSED_PAIRS)
            ],
            "confusion_labels": confusion_labels,
            "confusion_matrix": matrix.round(4).tolist(),
        },
        "learning_curves": history,
        "data": {
            "rows": dict(metadata.rows),
            "dropped": dict(dropped),
            "rare_classes": rare.as_dict(),
            "duplicates": duplicate_summary(prepared),
            "class_counts": _class_counts(split, validation),
            "time_range": metadata.data_time_range.model_dump(mode="json")
            if metadata.data_time_range
            else None,
        },
    }


def _class_counts(split: Split, validation: pd.DataFrame) -> list[dict[str, Any]]:
    counts = pd.DataFrame(
        {
            "train": split.train[LABEL].value_counts(),
            "validation": validation[LABEL].value_counts(),
            "test": split.test[LABEL].value_counts(),
        }
    )
    counts = counts.fillna(0).astype(int).sort_values(["train", "test"], ascending=False)
    return [
        {"label": str(label), **{str(key): int(value) for key, value in row.items()}}
        for label, row in counts.iterrows()
    ]
