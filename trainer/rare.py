"""Categories with too few examples to learn or to score: merged into a fallback, or dropped."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from trainer.source import LABEL

logger = logging.getLogger(__name__)

RarePolicy = Literal["merge", "drop"]


@dataclass(frozen=True)
class RareClasses:
    """Rare categories with their row counts, the policy applied, and the rows it dropped."""

    policy: RarePolicy
    min_examples: int
    fallback_label: str
    counts: dict[str, int] = field(default_factory=dict)
    dropped_rows: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "min_examples": self.min_examples,
            "fallback_label": self.fallback_label,
            "categories": dict(self.counts),
            "dropped_rows": self.dropped_rows,
        }


def handle_rare(
    frame: pd.DataFrame, min_examples: int, policy: RarePolicy, fallback_label: str
) -> tuple[pd.DataFrame, RareClasses]:
    """Merge or drop the rows of categories with fewer than ``min_examples`` rows.

    Counts are taken over the whole prepared history. With ``merge`` the rare rows are relabelled
    ``fallback_label`` (joining a category of that name if one exists); when the fallback still
    has fewer than ``min_examples`` rows, those rows are dropped as well, so no category below
    the threshold ever reaches the split.
    """
    counts = frame[LABEL].value_counts()
    rare = counts[counts < min_examples]
    rare_counts = {str(label): int(count) for label, count in rare.items()}
    report = RareClasses(policy, min_examples, fallback_label, counts=rare_counts)
    if rare.empty:
        return frame, report

    is_rare = frame[LABEL].isin(rare.index)
    if policy == "drop":
        kept = frame[~is_rare].reset_index(drop=True)
    else:
        kept = frame.assign(**{LABEL: frame[LABEL].where(~is_rare, fallback_label)})
        fallback_rows = kept[LABEL] == fallback_label
        if fallback_rows.sum() < min_examples:
            kept = kept[~fallback_rows]
        kept = kept.reset_index(drop=True)

    dropped = len(frame) - len(kept)
    logger.info(
        "rare classes policy=%s min_examples=%d categories=%d rows=%d dropped=%d",
        policy,
        min_examples,
        len(rare),
        int(rare.sum()),
        dropped,
    )
    return kept, RareClasses(
        policy, min_examples, fallback_label, counts=rare_counts, dropped_rows=dropped
    )
