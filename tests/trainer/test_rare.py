import pandas as pd
import pytest

from trainer.dataset import CLEAN
from trainer.rare import handle_rare
from trainer.source import LABEL
from trainer.split import make_split


def labelled(labels: list[str]) -> pd.DataFrame:
    texts = [f"текст {i}" for i in range(len(labels))]
    return pd.DataFrame({CLEAN: texts, LABEL: labels})


def test_handle_rare_merges_into_fallback():
    frame = labelled(["a"] * 10 + ["b"] * 2 + ["c"] * 3 + ["d"])
    kept, rare = handle_rare(frame, min_examples=5, policy="merge", fallback_label="Прочее")

    assert rare.counts == {"b": 2, "c": 3, "d": 1}
    assert kept[LABEL].value_counts().to_dict() == {"a": 10, "Прочее": 6}
    assert rare.dropped_rows == 0


def test_handle_rare_drops_rows():
    frame = labelled(["a"] * 10 + ["b"] * 2 + ["c"] * 7)
    kept, rare = handle_rare(frame, min_examples=5, policy="drop", fallback_label="Прочее")

    assert set(kept[LABEL]) == {"a", "c"}
    assert rare.dropped_rows == 2
    assert rare.as_dict()["categories"] == {"b": 2}


def test_handle_rare_drops_fallback_still_too_small():
    frame = labelled(["a"] * 10 + ["b"] * 5 + ["c"])
    kept, rare = handle_rare(frame, min_examples=5, policy="merge", fallback_label="Прочее")

    assert set(kept[LABEL]) == {"a", "b"}
    assert rare.dropped_rows == 1


def test_handle_rare_joins_existing_fallback_category():
    frame = labelled(["a"] * 10 + ["Прочее"] * 4 + ["b"])
    kept, _ = handle_rare(frame, min_examples=3, policy="merge", fallback_label="Прочее")
    assert kept[LABEL].value_counts()["Прочее"] == 5


@pytest.mark.parametrize("policy", ["merge", "drop"])
def test_random_split_after_rare_handling_survives_singletons(policy):
    frame = labelled(["a"] * 60 + ["b"] * 30 + ["одна"] + ["две"] * 2 + ["c"] * 7)
    kept, _ = handle_rare(frame, min_examples=5, policy=policy, fallback_label="Прочее")
    split = make_split(kept, by_time=False, test_fraction=0.2, validation_fraction=0.1, seed=0)

    counts = pd.concat([split.train, split.validation, split.test])[LABEL].value_counts()
    assert counts.min() >= 5
    assert len(split.train) + len(split.validation) + len(split.test) == len(kept)
