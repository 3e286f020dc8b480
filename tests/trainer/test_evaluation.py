import numpy as np
import pytest

from trainer.evaluation import score


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
