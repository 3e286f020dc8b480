import numpy as np
import pytest

from trainer.calibration import (
    correctness,
    coverage_table,
    expected_calibration_error,
    fit_temperature,
    reliability,
    softmax,
)


def test_ece_zero_when_confidence_matches_accuracy():
    confidence = np.array([0.8] * 10)
    correct = np.array([True] * 8 + [False] * 2)
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.0)


def test_ece_of_overconfident_model():
    confidence = np.array([0.95] * 10)
    correct = np.array([True] * 5 + [False] * 5)
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.45)


def test_reliability_bins_include_confidence_one():
    bins = reliability(np.array([1.0, 0.05]), np.array([True, False]), bins=10)
    assert [(b.lower, b.rows) for b in bins] == [(0.0, 1), (pytest.approx(0.9), 1)]


def test_coverage_table_counts_rows_above_threshold():
    confidence = np.array([0.2, 0.6, 0.7, 0.95])
    correct = np.array([False, False, True, True])
    rows = {row.threshold: row for row in coverage_table(confidence, correct, [0.0, 0.5, 0.9])}
    assert rows[0.0].coverage == pytest.approx(1.0)
    assert rows[0.5].rows == 3
    assert rows[0.5].accuracy == pytest.approx(2 / 3)
    assert rows[0.9].accuracy == pytest.approx(1.0)


def test_fit_temperature_softens_overconfident_logits():
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 5, size=2000)
    true_logits = rng.normal(size=(2000, 5))
    true_logits[np.arange(2000), targets] += 1.0
    # The data follow softmax(true_logits); the model reports them three times too sharp.
    sampled = np.array([rng.choice(5, p=p) for p in softmax(true_logits)])
    temperature = fit_temperature(true_logits * 3, sampled)
    assert temperature == pytest.approx(3.0, rel=0.15)


def test_temperature_lowers_ece_and_keeps_argmax():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(3000, 4))
    targets = np.array([rng.choice(4, p=p) for p in softmax(logits)])
    labels = ["a", "b", "c", "d"]
    truth = [labels[t] for t in targets]
    sharp = logits * 4
    temperature = fit_temperature(sharp, targets)

    before = expected_calibration_error(*correctness(truth, softmax(sharp), labels))
    after = expected_calibration_error(*correctness(truth, softmax(sharp / temperature), labels))
    assert after < before / 2
    assert (softmax(sharp / temperature).argmax(1) == sharp.argmax(1)).all()
