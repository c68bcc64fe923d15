"""Copying an installation's data into another database: the embedded SQLite file into PostgreSQL.

Every table of :mod:`shared.models` is copied, parents before children
(``Base.metadata.sorted_tables``), so a table added by a later revision is copied without a change
here. Rows are streamed from the source in batches and inserted in batches, in one transaction on
the target: a copy that fails, or whose counts don't match afterwards, leaves nothing behind.

What a caller may rely on:

- The target is refused (:class:`CopyRefused`, nothing written) unless it is empty; the source is
  refused unless it is at the schema revision this version of OnlineTracker writes. The target is
  then brought to that revision (:func:`shared.db.migrate`), so both are at the same one.
- Values are copied as stored: secrets stay encrypted with the source's ``SECRET_KEY``, so the new
  installation must run with the same key.
- After the copy, every table has as many rows in the target as were read from the source, and the
  source still has that many (:class:`CopyFailed` otherwise: it was written to while copying);
  PostgreSQL sequences continue after the largest copied id.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Table, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from shared.config import ConfigError, normalise_database_url, redact_url
from shared.db import alembic_config, check_reachable, first_line, make_engine, migrate
from shared.models import Base

#: Rows per batch read from the source and per insert into the target.
DEFAULT_BATCH_SIZE = 5000


class CopyRefused(ConfigError):
    """The copy did not start and nothing was written; the message says why, in one line."""


class CopyFailed(Exception):
    """The copy started but was rolled back (a row the target refused, counts that differ)."""


@dataclass(frozen=True)
class TableCopied:
    name: str
    rows: int
    seconds: float


@dataclass
class CopyReport:
    revision: str
    tables: list[TableCopied] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


def _label(engine: Engine) -> str:
    return redact_url(engine.url.render_as_string(hide_password=False))


def open_database(url: str, role: str, must_exist: bool = False) -> Engine:
    """An engine for ``url`` that answers, or :class:`CopyRefused` in one line.

    ``role`` ("source", "target") names the database in messages. With ``must_exist`` a SQLite
    file that isn't there is refused instead of being created empty."""
    try:
        url = normalise_database_url(url)
        parsed = make_url(url)
    except ConfigError as exc:
        raise CopyRefused(str(exc).replace("DATABASE_URL", f"{role} database", 1)) from None
    except (ArgumentError, ValueError):
        raise CopyRefused(f"{role} database: {redact_url(url)!r} is not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:":
            raise CopyRefused(f"{role} database: a SQLite URL needs a file path (sqlite:////path/to/file.db)")
        if must_exist and not Path(path).is_file():
            raise CopyRefused(f"{role} database: there is no SQLite file at {path}")
    engine = make_engine(url)
    try:
        check_reachable(engine)
    except ConfigError as exc:
        engine.dispose()
        raise CopyRefused(str(exc).replace("DATABASE_URL", f"{role} database", 1)) from None
    return engine


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at; None when it has no OnlineTracker schema."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def newest_revision(engine: Engine) -> str:
    """The revision this version of OnlineTracker migrates to."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def _known(engine: Engine, revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision) is not None
    except CommandError:
        return False


def _check_source(source: Engine) -> str:
    head = newest_revision(source)
    try:
        revision = schema_revision(source)
    except SQLAlchemyError as exc:
        raise CopyRefused(f"source database {_label(source)}: {first_line(exc)}") from None
    if revision is None:
        raise CopyRefused(f"source database {_label(source)} holds no OnlineTracker schema")
    if revision != head:
        if _known(source, revision):
            raise CopyRefused(
                f"source database is at schema revision {revision}, this version writes {head}: "
                "upgrade the source first (onlinetracker migrate, with DATABASE_URL pointing at it), "
                "then run migrate-data again"
            )
        raise CopyRefused(
            f"source database is at schema revision {revision}, which this version of OnlineTracker "
            f"does not know (it writes {head}): run migrate-data with the version that wrote the source"
        )
    return revision


def tables_with_rows(engine: Engine) -> list[str]:
    """The product's tables that exist in the database and hold at least one row."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return [
            table.name
            for table in Base.metadata.sorted_tables
            if table.name in present and conn.execute(select(1).select_from(table).limit(1)).first()
        ]


def _prepare_target(target: Engine, head: str) -> None:
    """Refuse a target that holds data or is at a revision this version doesn't know; then migrate."""
    try:
        filled = tables_with_rows(target)
        revision = schema_revision(target)
    except SQLAlchemyError as exc:
        raise CopyRefused(f"target database {_label(target)}: {first_line(exc)}") from None
    if filled:
        named = ", ".join(filled[:3]) + (f" and {len(filled) - 3} more tables" if len(filled) > 3 else "")
        raise CopyRefused(
            f"target database {_label(target)} is not empty ({named} hold rows): "
            "migrate-data copies only into an empty database"
        )
    if revision is not None and not _known(target, revision):
        raise CopyRefused(
            f"target database is at schema revision {revision}, which this version of OnlineTracker "
            "does not know: give migrate-data a new, empty database"
        )
    try:
        migrate(target)
        revision = schema_revision(target)
    except SQLAlchemyError as exc:
        raise CopyRefused(
            f"target database {_label(target)}: creating the schema failed: {first_line(exc)}"
        ) from None
    if revision != head:
        raise CopyRefused(
            f"target database is at schema revision {revision} after migrating, the source at {head}"
        )


@contextmanager
def _snapshot(engine: Engine):
    """A connection that sees the source as it was at its first read, for the whole copy.

    SQLite: an explicit read transaction (pysqlite would otherwise end it between statements);
    PostgreSQL: REPEATABLE READ."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def _copy_table(src: Connection, dst: Connection, table: Table, batch_size: int) -> int:
    rows = 0
    order = list(table.primary_key.columns) or list(table.columns)
    result = src.execution_options(stream_results=True, yield_per=batch_size).execute(
        select(table).order_by(*order)
    )
    for chunk in result.partitions(batch_size):
        dst.execute(table.insert(), [row._asdict() for row in chunk])
        rows += len(chunk)
    return rows


def _reset_sequences(dst: Connection, tables: list[Table]) -> None:
    """PostgreSQL: each id sequence continues after the largest copied id (copied rows carry their ids,
    which the sequences never handed out). SQLite needs nothing: it continues after the largest rowid."""
    if dst.dialect.name != "postgresql":
        return
    quote = dst.dialect.identifier_preparer
    for table in tables:
        for column in table.primary_key.columns:
            sequence = dst.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": quote.format_table(table), "column": column.name},
            )
            if sequence is not None:
                largest = dst.scalar(select(func.max(column)))
                dst.execute(
                    text("SELECT setval(:sequence, :next, false)"),
                    {"sequence": sequence, "next": (largest or 0) + 1},
                )


def _count(conn: Connection, table: Table) -> int:
    return conn.scalar(select(func.count()).select_from(table))


def _differences(expected: dict[str, int], conn: Connection, tables: list[Table]) -> list[str]:
    found = {table.name: _count(conn, table) for table in tables}
    return [f"{name} {expected[name]} → {found[name]}" for name in expected if found[name] != expected[name]]


def copy_data(
    source: Engine,
    target: Engine,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_table: Callable[[TableCopied], None] | None = None,
) -> CopyReport:
    """Copy every table of ``source`` into the empty ``target``; see the module's docstring.

    ``on_table`` is told about each table once it is copied (the caller's progress output). Raises
    :class:`CopyRefused` before writing anything, :class:`CopyFailed` after rolling back."""
    if batch_size < 1:
        raise CopyRefused(f"the batch size must be at least 1, got {batch_size}")
    if source.url == target.url:
        raise CopyRefused(
            f"the source and the target are the same database ({_label(target)}): run migrate-data with the "
            "embedded install's settings (DATABASE_URL unset), or name the source with --from"
        )
    revision = _check_source(source)
    _prepare_target(target, revision)
    tables = Base.metadata.sorted_tables
    report = CopyReport(revision)
    started = time.monotonic()
    current = None
    try:
        with _snapshot(source) as src, target.begin() as dst:
            for table in tables:
                current = table.name
                t0 = time.monotonic()
                copied = TableCopied(
                    table.name, _copy_table(src, dst, table, batch_size), time.monotonic() - t0
                )
                report.tables.append(copied)
                if on_table:
                    on_table(copied)
            current = None
            _reset_sequences(dst, tables)
            expected = {copied.name: copied.rows for copied in report.tables}
            if wrong := _differences(expected, dst, tables):
                raise CopyFailed(f"row counts differ in the target (copied → found): {', '.join(wrong)}")
            with source.connect() as now:
                if wrong := _differences(expected, now, tables):
                    raise CopyFailed(
                        f"the source changed while copying ({', '.join(wrong)}): stop every OnlineTracker "
                        "process that uses it, then run migrate-data again"
                    )
    except SQLAlchemyError as exc:
        where = f" while copying {current}" if current else ""
        raise CopyFailed(f"the copy was rolled back{where}: {first_line(exc)}") from None
    report.seconds = time.monotonic() - started
    return report
