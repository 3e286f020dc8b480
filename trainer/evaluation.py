"""Test-split scores computed from argmax predictions, not from Keras metric names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support


@dataclass(frozen=True)
class ClassScore:
    """Precision, recall and F1 of one category on the test split, and its test rows."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ConfusedPair:
    """Test rows of category ``true`` predicted as ``predicted``, and their share of ``true``."""

    true: str
    predicted: str
    rows: int
    share_of_true: float


def predicted_labels(scores: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Return the top-scoring label of each row."""
    label_array: np.ndarray = np.asarray(labels, dtype=object)
    return np.asarray(label_array[np.argmax(scores, axis=1)])


def score(
    true_labels: Sequence[str], scores: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    """Return top-1 and top-3 accuracy, macro-F1 and weighted F1.

    ``scores`` has one column per entry of ``labels``: probabilities, or any score whose order
    ranks the categories (such as a linear model's decision function). Test rows whose label the
    model never saw in training count as errors, which is what serving would do with them.
    """
    label_array = np.asarray(labels, dtype=object)
    predicted = predicted_labels(scores, labels)
    truth = np.asarray(true_labels, dtype=object)

    top3 = label_array[np.argsort(-scores, axis=1)[:, :3]]
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


def per_class(true_labels: Sequence[str], predicted: Sequence[str]) -> list[ClassScore]:
    """Score every category present in the test truth or predictions, worst F1 first.

    Ties are broken by larger support first, since a bad large category costs more tickets.
    """
    truth = np.asarray(true_labels, dtype=object)
    guesses = np.asarray(predicted, dtype=object)
    labels = sorted(set(truth) | set(guesses))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, guesses, labels=labels, zero_division=0
    )
    rows = [
        ClassScore(str(label), float(p), float(r), float(f), int(s))
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    ]
    return sorted(rows, key=lambda row: (row.f1, -row.support, row.label))


def confused_pairs(
    true_labels: Sequence[str], predicted: Sequence[str], limit: int = 20
) -> list[ConfusedPair]:
    """Return the ``limit`` most frequent (true, predicted) mistakes, most rows first."""
    frame = pd.DataFrame({"true": list(true_labels), "predicted": list(predicted)})
    support = frame["true"].value_counts()
    mistakes = frame[frame["true"] != frame["predicted"]]
    counts = mistakes.groupby(["true", "predicted"]).size().sort_values(ascending=False)
    pairs = []
    for key, rows in counts.head(limit).items():
        true, guess = str(key[0]), str(key[1])  # type: ignore[index]
        pairs.append(ConfusedPair(true, guess, int(rows), int(rows) / int(support[true])))
    return pairs


def confusion_of_largest(
    true_labels: Sequence[str], predicted: Sequence[str], size: int = 20
) -> tuple[list[str], np.ndarray]:
    """Return the ``size`` largest test categories and their row-normalised confusion matrix.

    Row i is the share of category i's test rows predicted as each of the listed categories;
    predictions outside the list are left out, so a row may sum to less than 1.
    """
    truth = pd.Series(list(true_labels), dtype=object)
    largest = [str(label) for label in truth.value_counts().head(size).index]
    index = {label: position for position, label in enumerate(largest)}
    matrix = np.zeros((len(largest), len(largest)))
    for true, guess in zip(true_labels, predicted, strict=True):
        if true in index and guess in index:
            matrix[index[true], index[guess]] += 1
    totals = truth.value_counts().reindex(largest).to_numpy(dtype=float)
    return largest, matrix / np.maximum(totals, 1)[:, None]
