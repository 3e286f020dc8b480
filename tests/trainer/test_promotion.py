from pathlib import Path

import pytest

from trainer.promotion import decide, score_current


def test_decide_promotes_without_current_model():
    decision = decide(0.3, None, tolerance=0.01, forced=False)
    assert decision.promote
    assert decision.reason == "no model in service"


def test_decide_promotes_within_tolerance():
    decision = decide(0.545, ("20260101T000000Z", 0.55), tolerance=0.01, forced=False)
    assert decision.promote
    assert decision.current_macro_f1 == pytest.approx(0.55)


def test_decide_rejects_worse_model():
    decision = decide(0.50, ("20260101T000000Z", 0.55), tolerance=0.01, forced=False)
    assert not decision.promote
    assert "20260101T000000Z" in decision.reason


def test_decide_forced_promotes_worse_model():
    decision = decide(0.50, ("20260101T000000Z", 0.55), tolerance=0.01, forced=True)
    assert decision.promote
    assert decision.forced
    assert decision.as_dict()["current_version"] == "20260101T000000Z"


def test_score_current_without_model_returns_none(tmp_path: Path):
    assert score_current(tmp_path, ["снег"], ["снег"]) is None
