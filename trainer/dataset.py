"""Turn raw history rows into cleaned, labelled examples, counting every row dropped and why."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from trainer.cleaning_pool import BatchCleaner
from trainer.source import LABEL, TEXT, TIME

logger = logging.getLogger(__name__)

CLEAN = "clean"


@dataclass
class PreparedData:
    """Cleaned examples (columns ``clean``, ``label``, maybe ``time`` and ``text``) and drops."""

    frame: pd.DataFrame
    dropped: Counter[str] = field(default_factory=Counter)


def normalize_label(value: object) -> str | None:
    """Strip surrounding whitespace, non-breaking spaces included; None for a missing label."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    label = str(value).strip()
    return label or None


def prepare(
    frame: pd.DataFrame, cleaner: BatchCleaner, has_time: bool, *, keep_text: bool = True
) -> PreparedData:
    """Drop rows without text, label or time, clean the texts, drop texts that clean to nothing.

    With ``keep_text=False`` the raw text column is dropped after cleaning, which is how the
    trainer keeps a large history within memory.
    """
    dropped: Counter[str] = Counter()
    frame = frame.copy()

    frame[LABEL] = frame[LABEL].map(normalize_label)
    missing_label = frame[LABEL].isna()
    dropped["missing_label"] = int(missing_label.sum())
    frame = frame[~missing_label]

    missing_text = frame[TEXT].isna() | (frame[TEXT].astype(str).str.strip() == "")
    dropped["missing_text"] = int(missing_text.sum())
    frame = frame[~missing_text]

    if has_time:
        missing_time = frame[TIME].isna()
        dropped["missing_time"] = int(missing_time.sum())
        frame = frame[~missing_time]

    texts = frame[TEXT].astype(str).tolist()
    frame = frame.assign(**{TEXT: texts, CLEAN: cleaner.clean_many(texts)})
    if not keep_text:
        frame = frame.drop(columns=[TEXT])

    empty = frame[CLEAN] == ""
    dropped["empty_after_cleaning"] = int(empty.sum())
    frame = frame[~empty].reset_index(drop=True)

    dropped = Counter({reason: count for reason, count in dropped.items() if count})
    logger.debug("dataset prepared rows=%d dropped=%s", len(frame), dict(dropped))
    return PreparedData(frame=frame, dropped=dropped)


def duplicate_summary(frame: pd.DataFrame) -> dict[str, int]:
    """Count repeated cleaned texts, and the texts that carry more than one label."""
    labels_per_text = frame.groupby(CLEAN, sort=False)[LABEL].nunique()
    return {
        "rows": len(frame),
        "distinct_texts": int(labels_per_text.size),
        "duplicate_rows": int(frame[CLEAN].duplicated().sum()),
        "texts_with_conflicting_labels": int((labels_per_text > 1).sum()),
    }
