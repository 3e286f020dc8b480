"""Load real ticket CSV files into an SQLite history table, as a helpdesk database stores them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent
RUTUBE_CSV = REPO_ROOT / "data" / "rutube-support" / "questions.csv"


def write_sqlite_table(frame: pd.DataFrame, db_path: Path, table: str) -> Path:
    """Replace ``table`` in the SQLite file ``db_path`` with ``frame``; return the path."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db_path) as connection:
        frame.to_sql(table, connection, if_exists="replace", index=False)
    return db_path


def read_csv(path: Path) -> pd.DataFrame:
    """Read a ticket CSV with every column as text, keeping ``\\r\\n`` inside quoted fields."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
