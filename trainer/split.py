"""Train/validation/test splits that measure what serving will see.

With a time column the split is by time: the oldest tickets train, the newest test, because the
model will always classify tickets newer than its history. Without one, the split is random but
stratified by label and grouped by cleaned text, so identical texts never sit on both sides.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from trainer.dataset import CLEAN
from trainer.errors import DataError
from trainer.source import LABEL

TIME_SPLIT = "time"
RANDOM_SPLIT = "random_grouped_stratified"


@dataclass(frozen=True)
class Split:
    """Three disjoint parts of the prepared data and how they were made."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    strategy: str


def split_by_time(frame: pd.DataFrame, test_fraction: float, validation_fraction: float) -> Split:
    """Split rows already sorted by time: oldest train, then validation, newest test."""
    n_rows = len(frame)
    n_test = max(1, round(n_rows * test_fraction))
    n_validation = max(1, round(n_rows * validation_fraction))
    if n_rows - n_test - n_validation < 1:
        raise DataError(f"{n_rows} rows are too few for a train/validation/test split")

    train_end = n_rows - n_test - n_validation
    return Split(
        train=frame.iloc[:train_end].reset_index(drop=True),
        validation=frame.iloc[train_end : n_rows - n_test].reset_index(drop=True),
        test=frame.iloc[n_rows - n_test :].reset_index(drop=True),
        strategy=TIME_SPLIT,
    )


def split_random(
    frame: pd.DataFrame, test_fraction: float, validation_fraction: float, seed: int
) -> Split:
    """Split at random, stratified by label and grouped by cleaned text."""
    rest, test = _hold_out(frame, test_fraction, seed)
    train, validation = _hold_out(rest, validation_fraction / (1 - test_fraction), seed + 1)
    return Split(train=train, validation=validation, test=test, strategy=RANDOM_SPLIT)


def _hold_out(frame: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_splits = max(2, round(1 / fraction))
    if len(frame) < n_splits * 2:
        raise DataError(f"{len(frame)} rows are too few to hold out a fraction of {fraction:.2f}")

    groups = pd.factorize(frame[CLEAN])[0]
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # Classes with fewer rows than folds are expected; they simply land in one part.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        keep_index, held_index = next(folds.split(np.zeros(len(frame)), frame[LABEL], groups))
    return (
        frame.iloc[np.sort(keep_index)].reset_index(drop=True),
        frame.iloc[np.sort(held_index)].reset_index(drop=True),
    )


def make_split(
    frame: pd.DataFrame,
    *,
    by_time: bool,
    test_fraction: float,
    validation_fraction: float,
    seed: int,
) -> Split:
    """Choose the time split when the rows carry a time, the grouped random split otherwise."""
    if by_time:
        return split_by_time(frame, test_fraction, validation_fraction)
    return split_random(frame, test_fraction, validation_fraction, seed)
