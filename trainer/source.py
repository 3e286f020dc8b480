"""Read the ticket history from an SQL database through SQLAlchemy, chunk by chunk.

SQLite, PostgreSQL (psycopg) and MS SQL (pymssql) are read with the same code: the queries are
built with SQLAlchemy Core, so the dialect quotes names and writes ``LIMIT`` or ``TOP``. Rows
arrive in chunks of ``chunk_size``, either from a server-side cursor (``stream_results``, used by
psycopg; SQLite reads lazily anyway) or, when ``key_column`` is set, page by page with
``WHERE key > last key`` (keyset pagination), which needs no cursor support from the driver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement, Select
from tqdm import tqdm

from classifier.i18n import tr
from trainer.errors import SourceError
from trainer.settings import TrainerSettings

logger = logging.getLogger(__name__)

TEXT = "text"
LABEL = "label"
TIME = "time"
KEY = "key"


@dataclass(frozen=True)
class History:
    """Ticket history with columns ``text``, ``label`` and, when known, ``time``."""

    frame: pd.DataFrame
    rows_read: int
    has_time: bool


@dataclass(frozen=True)
class _Source:
    """The table or wrapped query, and the alias-to-column mapping to select from it."""

    table: sa.FromClause
    names: dict[str, str]

    def column(self, alias: str) -> ColumnElement[Any]:
        return self.table.c[self.names[alias]]


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


def _source(settings: TrainerSettings) -> _Source:
    names = {TEXT: settings.text_column, LABEL: settings.label_column}
    if settings.time_column:
        names[TIME] = settings.time_column
    if settings.key_column:
        names[KEY] = settings.key_column
    columns: list[sa.ColumnClause[Any]] = [sa.column(n) for n in dict.fromkeys(names.values())]

    if settings.table:
        schema, _, table_name = settings.table.rpartition(".")
        return _Source(sa.table(table_name, *columns, schema=schema or None), names)
    assert settings.query is not None
    return _Source(sa.text(settings.query).columns(*columns).subquery("history"), names)


def _filtered(source: _Source, settings: TrainerSettings, since: date | None) -> Select[Any]:
    query = sa.select(*(source.column(alias).label(alias) for alias in source.names))
    if since is not None:
        # Typed as a date so every dialect, SQLite's text dates included, compares it correctly.
        query = query.where(source.column(TIME) >= sa.literal(since, sa.Date()))
    return query


def build_query(settings: TrainerSettings, since: date | None = None) -> Select[Any]:
    """Build the SELECT of text, label and time, oldest first when a time column is given.

    ``since`` keeps only tickets from that date on. With ``max_rows`` and a time column the
    newest rows are selected, newest first; :func:`read_history` puts them back in time order.
    """
    source = _source(settings)
    query = _filtered(source, settings, since)
    if settings.time_column:
        if settings.max_rows:
            return query.order_by(source.column(TIME).desc()).limit(settings.max_rows)
        return query.order_by(source.column(TIME))
    if settings.max_rows:
        query = query.limit(settings.max_rows)
    return query


def build_page_query(
    settings: TrainerSettings, after: tuple[Any, ...] | None, since: date | None = None
) -> Select[Any]:
    """Build the SELECT of the ``chunk_size`` rows that follow the sort key ``after``.

    Rows are ordered by (time, key), or by key alone without a time column, descending when
    ``max_rows`` selects the newest rows. ``after`` is that row's (time, key) or (key,).
    """
    if not settings.key_column:
        raise ValueError("paging by key needs key_column")
    source = _source(settings)
    sort_aliases = [TIME, KEY] if settings.time_column else [KEY]
    sort_columns = [source.column(alias) for alias in sort_aliases]
    descending = bool(settings.time_column and settings.max_rows)

    query = _filtered(source, settings, since)
    if after is not None:
        query = query.where(_after(sort_columns, list(after), descending))
    order = [column.desc() if descending else column for column in sort_columns]
    return query.order_by(*order).limit(settings.chunk_size)


def _after(columns: list[ColumnElement[Any]], values: list[Any], descending: bool) -> Any:
    """(c1, c2) > (v1, v2) written as c1 > v1 OR (c1 = v1 AND c2 > v2), which MS SQL accepts."""
    column, value = columns[0], values[0]
    beyond = column < value if descending else column > value
    if len(columns) == 1:
        return beyond
    return sa.or_(beyond, sa.and_(column == value, _after(columns[1:], values[1:], descending)))


def build_count_query(settings: TrainerSettings, since: date | None = None) -> Select[Any]:
    """Build the SELECT COUNT(*) of the rows :func:`build_query` would return, before max_rows."""
    source = _source(settings)
    return sa.select(sa.func.count()).select_from(_filtered(source, settings, since).subquery())


def window_start(settings: TrainerSettings, connection: Connection) -> date | None:
    """Return the first date to read: ``since``, or ``months`` before the newest ticket's date."""
    if settings.since is not None or not settings.months:
        return settings.since
    source = _source(settings)
    newest = connection.execute(sa.select(sa.func.max(source.column(TIME)))).scalar()
    if newest is None:
        return None
    newest_date = pd.Timestamp(newest).date()
    start = pd.Timestamp(newest_date) - pd.DateOffset(months=settings.months)
    return start.date()


def read_history(
    settings: TrainerSettings,
    engine: Engine | None = None,
    transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> History:
    """Read the history in chunks of ``chunk_size`` rows, with a progress bar and an estimate.

    ``transform`` is applied to each chunk as it arrives (the trainer cleans there and drops
    the raw text), so memory keeps the transformed rows only. ``History.rows_read`` counts the
    rows before the transform. Raises SourceError when the database cannot be read.
    """
    if engine is None:
        owned = create_db_engine(settings)
        try:
            return read_history(settings, owned, transform)
        finally:
            owned.dispose()

    url = redact_url(settings.db_url.get_secret_value())
    where = settings.table or "query"
    chunks: list[pd.DataFrame] = []
    rows_read = 0
    try:
        with engine.connect() as connection:
            since = window_start(settings, connection)
            total = _expected_rows(settings, connection, since)
            logger.info(
                "source reading db=%s from=%s rows=%d since=%s chunk_size=%d paging=%s",
                url,
                where,
                total,
                since,
                settings.chunk_size,
                "key" if settings.key_column else "cursor",
            )
            _warn_without_cursor(settings, engine)
            progress = tqdm(
                total=total, desc=tr("reading rows", "чтение строк"), unit=" rows", mininterval=2
            )
            with progress:
                for raw in _chunks(settings, connection, since):
                    chunk = _typed(raw, settings)
                    rows_read += len(chunk)
                    progress.update(len(chunk))
                    chunks.append(transform(chunk) if transform else chunk)
    except sa.exc.SQLAlchemyError as exc:
        raise _source_error(settings, exc) from exc

    frame = _combine(chunks, settings)
    logger.info("source read rows=%d kept=%d", rows_read, len(frame))
    return History(frame=frame, rows_read=rows_read, has_time=bool(settings.time_column))


def count_rows(settings: TrainerSettings, engine: Engine) -> int:
    """Return how many rows :func:`read_history` will read; raise SourceError when it cannot."""
    try:
        with engine.connect() as connection:
            return _expected_rows(settings, connection, window_start(settings, connection))
    except sa.exc.SQLAlchemyError as exc:
        raise _source_error(settings, exc) from exc


def _source_error(settings: TrainerSettings, exc: sa.exc.SQLAlchemyError) -> SourceError:
    where = settings.table or "query"
    url = redact_url(settings.db_url.get_secret_value())
    first_line = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return SourceError(f"cannot read ticket history from {where} at {url}: {first_line}")


def _expected_rows(settings: TrainerSettings, connection: Connection, since: date | None) -> int:
    count = int(connection.execute(build_count_query(settings, since)).scalar() or 0)
    return min(count, settings.max_rows) if settings.max_rows else count


def _warn_without_cursor(settings: TrainerSettings, engine: Engine) -> None:
    if engine.dialect.name == "mssql" and not settings.key_column:
        logger.warning(
            "source driver=%s has no server-side cursor; set key_column to read in pages",
            engine.dialect.driver,
        )


def _chunks(
    settings: TrainerSettings, connection: Connection, since: date | None
) -> Iterator[pd.DataFrame]:
    if settings.key_column:
        yield from _pages(settings, connection, since)
        return
    query = build_query(settings, since)
    streaming = connection.execution_options(stream_results=True, yield_per=settings.chunk_size)
    result = streaming.execute(query)
    columns = list(result.keys())
    for rows in result.partitions(settings.chunk_size):
        yield pd.DataFrame(rows, columns=columns)


def _pages(
    settings: TrainerSettings, connection: Connection, since: date | None
) -> Iterator[pd.DataFrame]:
    # NOTE: rows whose time is NULL never compare greater than a page's last time, so paging
    # with a time column skips them; the cursor path reads them and counts them as missing_time.
    remaining = settings.max_rows
    after: tuple[Any, ...] | None = None
    sort_aliases = [TIME, KEY] if settings.time_column else [KEY]
    while remaining is None or remaining > 0:
        result = connection.execute(build_page_query(settings, after, since))
        columns = list(result.keys())
        rows = result.fetchall()
        if remaining is not None:
            rows = rows[:remaining]
            remaining -= len(rows)
        if not rows:
            return
        last = rows[-1]._mapping
        after = tuple(last[alias] for alias in sort_aliases)
        yield pd.DataFrame(rows, columns=columns)
        if len(rows) < settings.chunk_size:
            return


def _typed(chunk: pd.DataFrame, settings: TrainerSettings) -> pd.DataFrame:
    chunk = chunk.drop(columns=[KEY], errors="ignore")
    if settings.time_column:
        # An unparseable time becomes NaT, and the trainer drops that row as missing_time.
        chunk[TIME] = pd.to_datetime(chunk[TIME], errors="coerce", utc=True)
    return chunk


def _combine(chunks: list[pd.DataFrame], settings: TrainerSettings) -> pd.DataFrame:
    if not chunks:
        columns = [TEXT, LABEL, TIME] if settings.time_column else [TEXT, LABEL]
        return pd.DataFrame(columns=columns)
    frame = pd.concat(chunks, ignore_index=True)
    if settings.time_column:
        frame = frame.sort_values(TIME, kind="stable", ignore_index=True)
    return frame
