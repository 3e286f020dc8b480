"""Access to the real ticket data sets kept outside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from demo.sample_data import read_csv

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("TICKET_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
APPEALS_CSV = SHARED_DATA / "spb-appeals" / "appeals.csv"


def require_file(path: Path) -> Path:
    """Return ``path``; skip the test when it is absent, except under CI=true where it fails."""
    if path.is_file():
        return path
    message = f"real ticket data not found at {path}; set TICKET_DATA_DIR to its folder"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def load_appeals(rows: int | None = None) -> pd.DataFrame:
    """The St Petersburg appeals, oldest first, optionally only the first ``rows``."""
    frame = read_csv(require_file(APPEALS_CSV))
    return frame if rows is None else frame.head(rows).reset_index(drop=True)
