"""Read the ticket history from an SQL database through SQLAlchemy.

SQLite, PostgreSQL (psycopg) and MS SQL (pymssql) are read with the same code: the query is
built with SQLAlchemy Core, so the dialect quotes names and writes ``LIMIT`` or ``TOP``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select
from tqdm import tqdm

from classifier.i18n import tr
from trainer.errors import SourceError
from trainer.settings import TrainerSettings

logger = logging.getLogger(__name__)

TEXT = "text"
LABEL = "label"
TIME = "time"


@dataclass(frozen=True)
class History:
    """Ticket history with columns ``text``, ``label`` and, when known, ``time``."""

    frame: pd.DataFrame
    rows_read: int
    has_time: bool


def create_db_engine(settings: TrainerSettings) -> Engine:
    """Create the engine for ``settings.db_url``; raise SourceError for an unusable URL."""
    url = settings.db_url.get_secret_value()
    try:
        return sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise SourceError(f"invalid database URL {redact_url(url)}: {exc}") from exc


def redact_url(url: str) -> str:
    """Return the URL with its password replaced by ``***``; safe to log."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable URL>"


def build_query(settings: TrainerSettings) -> Select[tuple[object, ...]]:
    """Build the SELECT of text, label and time, oldest first when a time column is given."""
    names = {TEXT: settings.text_column, LABEL: settings.label_column}
    if settings.time_column:
        names[TIME] = settings.time_column

    if settings.table:
        schema, _, table_name = settings.table.rpartition(".")
        source: sa.FromClause = sa.table(
            table_name, *(sa.column(name) for name in names.values()), schema=schema or None
        )
    else:
        assert settings.query is not None
        source = (
            sa.text(settings.query)
            .columns(*(sa.column(name) for name in names.values()))
            .subquery("history")
        )

    columns = [source.c[name].label(alias) for alias, name in names.items()]
    query = sa.select(*columns)
    if settings.time_column:
        if settings.max_rows:
            # The newest rows, read newest first, then put back in time order in pandas.
            return query.order_by(source.c[settings.time_column].desc()).limit(settings.max_rows)
        return query.order_by(source.c[settings.time_column])
    if settings.max_rows:
        query = query.limit(settings.max_rows)
    return query


def read_history(settings: TrainerSettings, engine: Engine | None = None) -> History:
    """Read the history in chunks of ``chunk_size`` rows, with a progress bar."""
    if engine is None:
        owned = create_db_engine(settings)
        try:
            return read_history(settings, owned)
        finally:
            owned.dispose()
    query = build_query(settings)
    where = settings.table or "query"
    logger.info(
        "source reading db=%s from=%s chunk_size=%d",
        redact_url(settings.db_url.get_secret_value()),
        where,
        settings.chunk_size,
    )

    chunks = []
    try:
        with (
            engine.connect() as connection,
            tqdm(desc=tr("reading rows", "чтение строк"), unit=" rows", mininterval=2) as progress,
        ):
            streaming = connection.execution_options(stream_results=True)
            for chunk in pd.read_sql_query(query, streaming, chunksize=settings.chunk_size):
                chunks.append(chunk)
                progress.update(len(chunk))
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        # pandas wraps the driver error; its cause carries the driver's own message.
        cause = exc.__cause__ if isinstance(exc.__cause__, sa.exc.SQLAlchemyError) else exc
        first_line = str(getattr(cause, "orig", None) or cause).splitlines()[0]
        raise SourceError(
            f"cannot read ticket history from {where} at "
            f"{redact_url(settings.db_url.get_secret_value())}: {first_line}"
        ) from exc

    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=[TEXT, LABEL])
    if settings.time_column:
        frame[TIME] = pd.to_datetime(frame[TIME], errors="coerce", utc=True)
        frame = frame.sort_values(TIME, kind="stable", ignore_index=True)
    logger.info("source read rows=%d", len(frame))
    return History(frame=frame, rows_read=len(frame), has_time=bool(settings.time_column))
