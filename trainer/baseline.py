"""The classic baseline the network has to beat: TF-IDF word 1-2-grams and a linear SVM.

It is trained on the same cleaned texts and scored on the same test rows as the network, so the
report can show both side by side. It trains on the training and validation rows together,
because it needs no early stopping; the network uses the validation rows for early stopping and
calibration only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from trainer.evaluation import score

logger = logging.getLogger(__name__)

NAME = "TF-IDF (1-2-grams) + LinearSVC"


@dataclass(frozen=True)
class BaselineResult:
    """Test scores of the baseline and how long it took to train."""

    name: str
    metrics: dict[str, float]
    train_seconds: float


def build_baseline(seed: int) -> Pipeline:
    """Return the untrained TF-IDF + LinearSVC pipeline."""
    return make_pipeline(
        # The texts are already cleaned lemmas separated by spaces.
        TfidfVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            lowercase=False,
            tokenizer=str.split,
            token_pattern=None,
        ),
        LinearSVC(C=0.5, random_state=seed),
    )


def run_baseline(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
    seed: int,
) -> BaselineResult:
    """Train the baseline on the training texts and score it on the test texts."""
    started = time.monotonic()
    pipeline = build_baseline(seed).fit(list(train_texts), list(train_labels))
    train_seconds = time.monotonic() - started

    decision = pipeline.decision_function(list(test_texts))
    classes = [str(label) for label in pipeline.classes_]
    if decision.ndim == 1:  # two classes: one column, positive means classes_[1]
        decision = decision.reshape(-1, 1) * [[-1.0, 1.0]]
    metrics = score(list(test_labels), decision, classes)
    logger.info(
        "baseline %s seconds=%.1f %s",
        NAME,
        train_seconds,
        " ".join(f"{key}={value:.4f}" for key, value in metrics.items()),
    )
    return BaselineResult(NAME, metrics, train_seconds)
