import subprocess
import sys
from pathlib import Path

import pytest

from demo.sample_data import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_streams_every_held_out_ticket(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "demo", "--work-dir", str(tmp_path), "--epochs", "15"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Accuracy on 161 new tickets" in result.stdout
    assert "without an answer: 0" in result.stdout
    assert "ticket_classifier_events_consumed_total 161" in result.stdout
    assert (tmp_path / "tickets.sqlite").is_file()
    assert (tmp_path / "models" / "CURRENT").is_file()


def test_demo_speaks_russian_under_russian_locale(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "demo", "--work-dir", str(tmp_path), "--epochs", "3"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
        env={"LANG": "ru_RU.UTF-8", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Точность на 161 новых заявках" in result.stdout
    assert "верная категория" in result.stdout
