from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, postgresql

from demo.sample_data import write_sqlite_table
from tests.support.data import load_appeals
from trainer.errors import SourceError
from trainer.settings import TrainerSettings
from trainer.source import build_query, read_history, redact_url


def settings_for(url: str, **overrides) -> TrainerSettings:
    values: dict[str, object] = {
        "db_url": url,
        "table": "appeals",
        "label_column": "reason",
        "time_column": "created_at",
    }
    values.update(overrides)
    return TrainerSettings.model_validate(values)


def test_query_compiles_for_mssql_with_top():
    query = build_query(settings_for("mssql+pymssql://u:p@h/db", table="dbo.tickets", max_rows=10))
    sql = str(query.compile(dialect=mssql.dialect()))
    assert "TOP __[POSTCOMPILE_param_1]" in sql or "TOP 10" in sql
    assert "FROM dbo.tickets" in sql
    assert "ORDER BY dbo.tickets.created_at DESC" in sql


def test_query_compiles_for_mssql_from_raw_query():
    settings = settings_for(
        "mssql+pymssql://u:p@h/db",
        table=None,
        query="SELECT body AS text, queue AS reason, opened AS created_at FROM dbo.requests",
        text_column="text",
    )
    sql = str(build_query(settings).compile(dialect=mssql.dialect()))
    assert "FROM (SELECT body AS text" in sql
    assert "ORDER BY history.created_at" in sql


def test_query_quotes_reserved_column_for_postgres():
    settings = settings_for("postgresql://h/db", text_column="order", time_column=None)
    sql = str(build_query(settings).compile(dialect=postgresql.dialect()))
    assert '"order" AS text' in sql


def test_redact_url_hides_password():
    assert redact_url("mssql+pymssql://svc:s3cret@db.local/helpdesk") == (
        "mssql+pymssql://svc:***@db.local/helpdesk"
    )


def test_read_history_from_sqlite_in_time_order(tmp_path: Path):
    appeals = load_appeals(3000)
    db = write_sqlite_table(appeals.iloc[::-1], tmp_path / "h.sqlite", "appeals")
    history = read_history(settings_for(f"sqlite:///{db}", chunk_size=500))

    assert history.rows_read == 3000
    assert history.has_time
    assert history.frame["time"].is_monotonic_increasing
    assert list(history.frame.columns) == ["text", "label", "time"]


def test_read_history_max_rows_takes_newest(tmp_path: Path):
    appeals = load_appeals(3000)
    db = write_sqlite_table(appeals, tmp_path / "h.sqlite", "appeals")
    history = read_history(settings_for(f"sqlite:///{db}", max_rows=100))
    assert history.rows_read == 100
    oldest_kept = history.frame["time"].min().strftime("%Y-%m-%d")
    assert oldest_kept >= appeals["created_at"].iloc[-100]
    assert history.frame["time"].max().strftime("%Y-%m-%d") == appeals["created_at"].iloc[-1]


def test_read_history_missing_table_raises_source_error(tmp_path: Path):
    db = tmp_path / "empty.sqlite"
    engine = sa.create_engine(f"sqlite:///{db}")
    engine.connect().close()
    engine.dispose()
    with pytest.raises(SourceError, match="cannot read ticket history from appeals"):
        read_history(settings_for(f"sqlite:///{db}"))


@pytest.mark.integration
def test_read_history_from_postgres(postgres_url: str):
    appeals = load_appeals(2000)
    engine = sa.create_engine(postgres_url)
    appeals.assign(created_at=appeals["created_at"].astype("datetime64[ns]")).to_sql(
        "appeals_read_test", engine, if_exists="replace", index=False
    )
    engine.dispose()
    history = read_history(settings_for(postgres_url, table="appeals_read_test", chunk_size=300))

    assert history.rows_read == 2000
    assert history.frame["time"].is_monotonic_increasing
    assert set(history.frame["label"]) <= set(appeals["reason"])


def test_page_query_compiles_for_mssql_with_keyset():
    settings = settings_for(
        "mssql+pymssql://u:p@h/db", table="dbo.tickets", key_column="id", chunk_size=500
    )
    from trainer.source import build_page_query

    sql = str(build_page_query(settings, ("2021-01-01", 7)).compile(dialect=mssql.dialect()))
    assert "TOP __[POSTCOMPILE_param_1]" in sql or "TOP 500" in sql
    assert "dbo.tickets.created_at > " in sql
    assert "dbo.tickets.id > " in sql
    assert "ORDER BY dbo.tickets.created_at, dbo.tickets.id" in sql


def test_count_query_compiles_for_mssql_with_window():
    from datetime import date

    from trainer.source import build_count_query

    settings = settings_for("mssql+pymssql://u:p@h/db", table="dbo.tickets")
    sql = str(build_count_query(settings, date(2021, 1, 1)).compile(dialect=mssql.dialect()))
    assert sql.startswith("SELECT count(*)")
    assert "dbo.tickets.created_at >= " in sql


def test_read_history_pages_by_key_in_time_order(tmp_path: Path):
    appeals = load_appeals(3000)
    db = write_sqlite_table(appeals.iloc[::-1], tmp_path / "h.sqlite", "appeals")
    history = read_history(settings_for(f"sqlite:///{db}", key_column="id", chunk_size=170))

    assert history.rows_read == 3000
    assert history.frame["time"].is_monotonic_increasing
    assert sorted(history.frame["text"]) == sorted(appeals["text"])


def test_read_history_pages_newest_by_key(tmp_path: Path):
    appeals = load_appeals(3000)
    db = write_sqlite_table(appeals, tmp_path / "h.sqlite", "appeals")
    settings = settings_for(f"sqlite:///{db}", key_column="id", chunk_size=100, max_rows=250)
    history = read_history(settings)

    assert history.rows_read == 250
    assert history.frame["time"].max().strftime("%Y-%m-%d") == appeals["created_at"].iloc[-1]
    assert history.frame["time"].min().strftime("%Y-%m-%d") >= appeals["created_at"].iloc[-250]


def test_read_history_since_date(tmp_path: Path):
    appeals = load_appeals(3000)
    db = write_sqlite_table(appeals, tmp_path / "h.sqlite", "appeals")
    since = appeals["created_at"].iloc[2000]
    history = read_history(settings_for(f"sqlite:///{db}", since=since))

    assert history.rows_read == int((appeals["created_at"] >= since).sum())
    assert history.frame["time"].min().strftime("%Y-%m-%d") == since


def test_read_history_last_months(tmp_path: Path):
    appeals = load_appeals()
    db = write_sqlite_table(appeals, tmp_path / "h.sqlite", "appeals")
    history = read_history(settings_for(f"sqlite:///{db}", months=1))

    newest = appeals["created_at"].max()
    start = (pd.Timestamp(newest) - pd.DateOffset(months=1)).strftime("%Y-%m-%d")
    assert history.rows_read == int((appeals["created_at"] >= start).sum())
    assert 0 < history.rows_read < len(appeals)


def test_read_history_transform_sees_every_chunk(tmp_path: Path):
    db = write_sqlite_table(load_appeals(1000), tmp_path / "h.sqlite", "appeals")
    sizes: list[int] = []

    def keep_first(chunk: pd.DataFrame) -> pd.DataFrame:
        sizes.append(len(chunk))
        return chunk.head(1)

    history = read_history(settings_for(f"sqlite:///{db}", chunk_size=300), transform=keep_first)
    assert sizes == [300, 300, 300, 100]
    assert history.rows_read == 1000
    assert len(history.frame) == 4


def test_window_needs_time_column():
    with pytest.raises(ValueError, match="need --time-column"):
        settings_for("sqlite://", time_column=None, months=3)


@pytest.mark.integration
def test_read_history_from_postgres_by_key(postgres_url: str):
    appeals = load_appeals(2000)
    engine = sa.create_engine(postgres_url)
    appeals.assign(
        id=appeals["id"].astype(int), created_at=appeals["created_at"].astype("datetime64[ns]")
    ).to_sql("appeals_key_test", engine, if_exists="replace", index=False)
    engine.dispose()
    settings = settings_for(
        postgres_url, table="appeals_key_test", key_column="id", chunk_size=300, since="2020-11-01"
    )
    history = read_history(settings)

    assert history.rows_read == int((appeals["created_at"] >= "2020-11-01").sum())
    assert history.frame["time"].is_monotonic_increasing
