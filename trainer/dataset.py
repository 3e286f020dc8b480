"""Turn raw history rows into cleaned, labelled examples, counting every row dropped and why."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from tqdm import tqdm

from classifier.cleaning import TextCleaner
from classifier.i18n import tr
from trainer.source import LABEL, TEXT, TIME

logger = logging.getLogger(__name__)

CLEAN = "clean"


@dataclass
class PreparedData:
    """Cleaned examples (columns ``text``, ``clean``, ``label`` and maybe ``time``) and drops."""

    frame: pd.DataFrame
    dropped: Counter[str] = field(default_factory=Counter)


def normalize_label(value: object) -> str | None:
    """Strip surrounding whitespace, non-breaking spaces included; None for a missing label."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    label = str(value).strip()
    return label or None


def prepare(frame: pd.DataFrame, cleaner: TextCleaner, has_time: bool) -> PreparedData:
    """Drop rows without text, label or time, clean the texts, drop texts that clean to nothing."""
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
    progress = tqdm(
        texts, desc=tr("cleaning texts", "очистка текстов"), unit=" texts", mininterval=2
    )
    frame = frame.assign(**{TEXT: texts, CLEAN: [cleaner.clean(text) for text in progress]})

    empty = frame[CLEAN] == ""
    dropped["empty_after_cleaning"] = int(empty.sum())
    frame = frame[~empty].reset_index(drop=True)

    dropped = Counter({reason: count for reason, count in dropped.items() if count})
    logger.info("dataset prepared rows=%d dropped=%s", len(frame), dict(dropped))
    return PreparedData(frame=frame, dropped=dropped)
