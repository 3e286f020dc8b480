import pandas as pd

from classifier.cleaning import TextCleaner
from trainer.dataset import CLEAN, normalize_label, prepare
from trainer.source import LABEL, TEXT, TIME


def test_normalize_label_strips_non_breaking_space():
    assert normalize_label("Отключение/подключение монетизации\u00a0") == (
        "Отключение/подключение монетизации"
    )
    assert normalize_label("  ") is None
    assert normalize_label(None) is None
    assert normalize_label(float("nan")) is None


def test_prepare_counts_every_dropped_row():
    frame = pd.DataFrame(
        {
            TEXT: ["нет воды", None, "лифт сломан", "12345 !!!", "снег"],
            LABEL: ["вода", "вода", None, "прочее", "снег\u00a0"],
            TIME: pd.to_datetime(
                pd.Series(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", None])
            ),
        }
    )
    prepared = prepare(frame, TextCleaner(), has_time=True)

    assert prepared.frame[LABEL].tolist() == ["вода"]
    assert prepared.frame[CLEAN].tolist() == ["нет вода"]
    assert prepared.dropped == {
        "missing_label": 1,
        "missing_text": 1,
        "missing_time": 1,
        "empty_after_cleaning": 1,
    }
