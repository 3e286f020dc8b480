"""Whether a new model may replace the one in service.

Both models are scored on the new run's test split, so the comparison uses the same tickets.
The new model is promoted when there is no model in service, when its macro-F1 is at most
``tolerance`` below the current one's, or when promotion is forced.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from classifier.artifact import ArtifactError, ModelArtifact, read_current_version
from trainer.evaluation import score

logger = logging.getLogger(__name__)

BATCH = 512


@dataclass(frozen=True)
class PromotionDecision:
    """The decision, the two test macro-F1 scores it compared, and the reason in words."""

    promote: bool
    reason: str
    new_macro_f1: float
    current_version: str | None = None
    current_macro_f1: float | None = None
    tolerance: float = 0.0
    forced: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "promote": self.promote,
            "reason": self.reason,
            "new_macro_f1": self.new_macro_f1,
            "current_version": self.current_version,
            "current_macro_f1": self.current_macro_f1,
            "tolerance": self.tolerance,
            "forced": self.forced,
        }


def score_current(
    model_dir: Path, clean_texts: Sequence[str], true_labels: Sequence[str]
) -> tuple[str, float] | None:
    """Return the version in service and its test macro-F1, or None when none can be loaded.

    The texts are the new run's cleaned test texts. A current model whose cleaning settings
    differ is still scored on them.
    """
    if read_current_version(model_dir) is None:
        return None
    try:
        current = ModelArtifact.load(model_dir)
    except ArtifactError as exc:
        logger.warning("promotion cannot load the current model, treating it as absent: %s", exc)
        return None

    batches = [
        current.predict_proba(list(clean_texts[start : start + BATCH]))
        for start in range(0, len(clean_texts), BATCH)
    ]
    probabilities = np.concatenate(batches) if batches else np.zeros((0, 1))
    macro_f1 = score(list(true_labels), probabilities, current.metadata.labels)["macro_f1"]
    return current.version, macro_f1


def decide(
    new_macro_f1: float,
    current: tuple[str, float] | None,
    tolerance: float,
    forced: bool,
) -> PromotionDecision:
    """Decide whether the new model replaces ``current`` (its version and macro-F1)."""
    if current is None:
        return PromotionDecision(True, "no model in service", new_macro_f1, tolerance=tolerance)

    version, current_f1 = current
    base = PromotionDecision(True, "", new_macro_f1, version, current_f1, tolerance, forced)
    if new_macro_f1 >= current_f1 - tolerance:
        reason = f"macro-F1 {new_macro_f1:.4f} is within {tolerance} of or above {current_f1:.4f}"
        return replace(base, reason=reason)
    if forced:
        reason = f"forced although macro-F1 {new_macro_f1:.4f} is below {current_f1:.4f}"
        return replace(base, reason=reason)
    reason = (
        f"macro-F1 {new_macro_f1:.4f} is more than {tolerance} below {current_f1:.4f} of "
        f"version {version}"
    )
    return replace(base, promote=False, reason=reason)
