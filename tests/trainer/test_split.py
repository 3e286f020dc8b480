import pandas as pd
import pytest

from trainer.dataset import CLEAN
from trainer.errors import DataError
from trainer.source import LABEL, TEXT, TIME
from trainer.split import RANDOM_SPLIT, TIME_SPLIT, make_split, split_by_time


def frame_with_time(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            TEXT: [f"text {i}" for i in range(n)],
            CLEAN: [f"text {i}" for i in range(n)],
            LABEL: ["a" if i % 2 else "b" for i in range(n)],
            TIME: pd.date_range("2026-01-01", periods=n, freq="h", tz="UTC"),
        }
    )


def test_time_split_puts_newest_rows_in_test():
    split = split_by_time(frame_with_time(100), test_fraction=0.2, validation_fraction=0.1)
    assert split.strategy == TIME_SPLIT
    assert (len(split.train), len(split.validation), len(split.test)) == (70, 10, 20)
    assert split.train[TIME].max() < split.validation[TIME].min()
    assert split.validation[TIME].max() < split.test[TIME].min()


def test_time_split_rejects_too_few_rows():
    with pytest.raises(DataError, match="too few"):
        split_by_time(frame_with_time(2), test_fraction=0.2, validation_fraction=0.1)


def test_random_split_keeps_duplicates_on_one_side():
    texts = [f"уникальный {i}" for i in range(200)] + ["снег на дорога"] * 50
    frame = pd.DataFrame(
        {TEXT: texts, CLEAN: texts, LABEL: ["a" if i % 3 else "b" for i in range(len(texts))]}
    )
    split = make_split(frame, by_time=False, test_fraction=0.2, validation_fraction=0.1, seed=1)

    assert split.strategy == RANDOM_SPLIT
    parts = [set(split.train[CLEAN]), set(split.validation[CLEAN]), set(split.test[CLEAN])]
    assert not parts[0] & parts[2]
    assert not parts[0] & parts[1]
    assert not parts[1] & parts[2]
    assert len(split.train) + len(split.validation) + len(split.test) == len(frame)


def test_random_split_survives_singleton_class():
    texts = [f"текст {i}" for i in range(100)]
    labels = ["a"] * 60 + ["b"] * 39 + ["единственная"]
    frame = pd.DataFrame({TEXT: texts, CLEAN: texts, LABEL: labels})
    split = make_split(frame, by_time=False, test_fraction=0.2, validation_fraction=0.1, seed=3)
    total = pd.concat([split.train, split.validation, split.test])
    assert sorted(total[CLEAN]) == sorted(texts)


def test_random_split_is_reproducible():
    frame = frame_with_time(120).drop(columns=[TIME])
    first = make_split(frame, by_time=False, test_fraction=0.2, validation_fraction=0.1, seed=5)
    second = make_split(frame, by_time=False, test_fraction=0.2, validation_fraction=0.1, seed=5)
    assert first.test[CLEAN].tolist() == second.test[CLEAN].tolist()
