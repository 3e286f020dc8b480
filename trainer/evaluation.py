"""Test-split scores computed from argmax predictions, not from Keras metric names."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score


def score(
    true_labels: Sequence[str], probabilities: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    """Return top-1 and top-3 accuracy, macro-F1 and weighted F1.

    ``probabilities`` has one column per entry of ``labels``. Test rows whose label the model
    never saw in training count as errors, which is what serving would do with them.
    """
    label_array = np.asarray(labels, dtype=object)
    predicted = label_array[np.argmax(probabilities, axis=1)]
    truth = np.asarray(true_labels, dtype=object)

    top3 = label_array[np.argsort(-probabilities, axis=1)[:, :3]]
    top3_hits = (top3 == truth[:, None]).any(axis=1)

    scored_labels = sorted(set(truth) | set(predicted))
    return {
        "top1_accuracy": float(accuracy_score(truth, predicted)),
        "top3_accuracy": float(top3_hits.mean()),
        "macro_f1": float(
            f1_score(truth, predicted, labels=scored_labels, average="macro", zero_division=0)
        ),
        "weighted_f1": float(
            f1_score(truth, predicted, labels=scored_labels, average="weighted", zero_division=0)
        ),
    }
