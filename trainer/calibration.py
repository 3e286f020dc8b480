"""Whether the model's confidence can be trusted, and temperature scaling to make it so.

The consumer publishes the top probability as ``confidence`` and routing sends low-confidence
tickets to people, so a confidence of 0.8 should be right about 80% of the time. Expected
calibration error (ECE) measures the gap: the test rows are binned by confidence and the
accuracy-confidence gap of each bin is averaged, weighted by the bin's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_BINS = 15
THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


@dataclass(frozen=True)
class ReliabilityBin:
    """Rows whose confidence falls in [lower, upper), their mean confidence and accuracy."""

    lower: float
    upper: float
    rows: int
    confidence: float
    accuracy: float


@dataclass(frozen=True)
class CoverageRow:
    """Share of rows at or above a confidence threshold, and the accuracy on them."""

    threshold: float
    coverage: float
    rows: int
    accuracy: float


def correctness(
    true_labels: Sequence[str], probabilities: np.ndarray, labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's confidence (top probability) and whether its top category is right."""
    predicted = np.asarray(labels, dtype=object)[np.argmax(probabilities, axis=1)]
    correct = predicted == np.asarray(true_labels, dtype=object)
    return probabilities.max(axis=1), correct.astype(bool)


def reliability(
    confidence: np.ndarray, correct: np.ndarray, bins: int = DEFAULT_BINS
) -> list[ReliabilityBin]:
    """Bin rows by confidence into ``bins`` equal-width bins; empty bins are left out."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    # The last bin includes confidence 1.0.
    positions = np.clip(np.digitize(confidence, edges[1:-1], right=False), 0, bins - 1)
    result = []
    for position in range(bins):
        members = positions == position
        if not members.any():
            continue
        result.append(
            ReliabilityBin(
                lower=float(edges[position]),
                upper=float(edges[position + 1]),
                rows=int(members.sum()),
                confidence=float(confidence[members].mean()),
                accuracy=float(correct[members].mean()),
            )
        )
    return result


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = DEFAULT_BINS
) -> float:
    """Return the row-weighted mean gap between confidence and accuracy over the bins."""
    if len(confidence) == 0:
        return 0.0
    total = len(confidence)
    return float(
        sum(
            b.rows / total * abs(b.accuracy - b.confidence)
            for b in reliability(confidence, correct, bins)
        )
    )


def coverage_table(
    confidence: np.ndarray, correct: np.ndarray, thresholds: Sequence[float] = THRESHOLDS
) -> list[CoverageRow]:
    """For each threshold, the share of tickets decided automatically and their accuracy."""
    total = max(len(confidence), 1)
    rows = []
    for threshold in thresholds:
        kept = confidence >= threshold
        count = int(kept.sum())
        rows.append(
            CoverageRow(
                threshold=float(threshold),
                coverage=count / total,
                rows=count,
                accuracy=float(correct[kept].mean()) if count else 0.0,
            )
        )
    return rows


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Return log(softmax(logits)) row by row, computed without overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return np.asarray(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Return softmax(logits) row by row."""
    return np.asarray(np.exp(log_softmax(logits)))


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """Return the temperature T that minimises the negative log-likelihood of softmax(logits / T).

    ``targets`` are class indices. T is searched on a log-scale grid between 0.05 and 20, then
    on a finer grid around the best point (steps of about 0.03%); T > 1 softens an
    overconfident model and T < 1 sharpens an underconfident one. The argmax, and so accuracy
    and F1, do not change.
    """
    if len(targets) == 0:
        return 1.0
    rows = np.arange(len(targets))
    logits = logits.astype(np.float64)

    def nll(log_t: float) -> float:
        return float(-log_softmax(logits / np.exp(log_t))[rows, targets].mean())

    grid = np.linspace(np.log(0.05), np.log(20.0), 121)
    for _ in range(2):
        best = grid[int(np.argmin([nll(value) for value in grid]))]
        step = grid[1] - grid[0]
        grid = np.linspace(best - step, best + step, 41)
    return float(np.exp(grid[int(np.argmin([nll(value) for value in grid]))]))
