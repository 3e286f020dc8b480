import numpy as np
import pytest

from trainer.evaluation import confused_pairs, confusion_of_largest, per_class, score


def test_score_uses_argmax_not_binary_accuracy():
    labels = [f"c{i}" for i in range(10)]
    truth = ["c0", "c1", "c2", "c3"]
    # Every output near zero: per-output binary accuracy would be about 0.9; top-1 must be 0.25.
    probabilities = np.full((4, 10), 0.01)
    probabilities[:, 0] = 0.1
    metrics = score(truth, probabilities, labels)
    assert metrics["top1_accuracy"] == pytest.approx(0.25)
    assert metrics["macro_f1"] == pytest.approx((2 * 0.25 / 1.25) / 4)


def test_score_top3_counts_second_and_third_choice():
    labels = ["a", "b", "c", "d"]
    probabilities = np.array([[0.4, 0.3, 0.2, 0.1], [0.4, 0.3, 0.2, 0.1], [0.4, 0.3, 0.2, 0.1]])
    metrics = score(["a", "c", "d"], probabilities, labels)
    assert metrics["top1_accuracy"] == pytest.approx(1 / 3)
    assert metrics["top3_accuracy"] == pytest.approx(2 / 3)


def test_score_counts_unseen_test_label_as_error():
    metrics = score(["a", "новая"], np.array([[0.9, 0.1], [0.9, 0.1]]), ["a", "b"])
    assert metrics["top1_accuracy"] == pytest.approx(0.5)


def test_per_class_sorts_worst_first():
    truth = ["a", "a", "b", "b", "b", "c"]
    predicted = ["a", "a", "a", "b", "b", "a"]
    rows = per_class(truth, predicted)
    assert [row.label for row in rows] == ["c", "a", "b"]
    assert rows[0].f1 == 0.0
    assert rows[1].precision == pytest.approx(0.5)
    assert rows[2].recall == pytest.approx(2 / 3)
    assert rows[2].support == 3


def test_confused_pairs_most_frequent_first():
    truth = ["a", "a", "a", "b", "c"]
    predicted = ["b", "b", "a", "c", "c"]
    pairs = confused_pairs(truth, predicted)
    assert (pairs[0].true, pairs[0].predicted, pairs[0].rows) == ("a", "b", 2)
    assert pairs[0].share_of_true == pytest.approx(2 / 3)
    assert len(pairs) == 2


def test_confusion_of_largest_normalises_rows():
    truth = ["a"] * 4 + ["b"] * 2 + ["c"]
    predicted = ["a", "a", "b", "c", "b", "b", "c"]
    labels, matrix = confusion_of_largest(truth, predicted, size=2)
    assert labels == ["a", "b"]
    assert matrix[0].tolist() == [0.5, 0.25]
    assert matrix[1].tolist() == [0.0, 1.0]
