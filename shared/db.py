"""Engines, sessions and migrations for every process.

The Flask apps use Flask-SQLAlchemy for per-request sessions; workers, beat and the CLI use
:func:`session_factory`. Both map the same models from ``shared.models``.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from shared.config import ConfigError, PoolLimits, pool_limits, redact_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed number: every process that migrates at start takes this lock, so only one runs Alembic.
_MIGRATION_LOCK_ID = 0x0_711E_7AC4


def engine_options(url: str, pool: PoolLimits | None = None) -> dict:
    """``pool``: this process's PostgreSQL connection limits, by default ``DB_POOL_SIZE``,
    ``DB_MAX_OVERFLOW`` and ``DB_POOL_TIMEOUT`` from the environment.

    Nothing here needs a session of its own on the server (no server-side prepared statements,
    which psycopg2 does not use; no session ``SET``, ``LISTEN`` or session advisory lock), so the
    URL may point at PgBouncer in transaction pooling mode."""
    if url.startswith("sqlite"):
        # Several processes (web, worker, beat) share one file: wait for locks instead of failing.
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    pool = pool or pool_limits()
    return {
        "pool_pre_ping": True,
        "pool_size": pool.size,
        "max_overflow": pool.overflow,
        "pool_timeout": pool.timeout,
        "connect_args": {"connect_timeout": 5},
    }


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def install_sqlite_pragmas(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


def make_engine(url: str, pool: PoolLimits | None = None) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **engine_options(url, pool))
    install_sqlite_pragmas(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line only: enough for a log line, never a traceback."""
    text_ = str(getattr(exc, "orig", None) or exc).strip()
    return (text_.splitlines() or [type(exc).__name__])[0][:200]


def is_unavailable(exc: BaseException) -> bool:
    """The database can't be reached right now (stopped, restarting, network): worth retrying."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def check_reachable(engine: Engine) -> None:
    """Raise :class:`ConfigError` naming ``DATABASE_URL`` (password hidden) when it can't be used."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"DATABASE_URL {redact_url(engine.url.render_as_string(hide_password=False))} "
            f"is not reachable: {reason}"
        ) from None


def alembic_config(engine: Engine, secret_key: bytes | None = None):
    """``secret_key`` is for revisions that move data into encrypted columns (0007: the webhook
    URL of Settings > Alerts into an encrypted channel); without it they refuse such data."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    cfg.attributes["secret_key"] = secret_key
    return cfg


#: How often a process that waits for another's migration asks for the lock again.
MIGRATION_LOCK_POLL_SECONDS = 0.5


@contextmanager
def _migration_lock(engine: Engine):
    """One migrating process at a time on PostgreSQL, through PgBouncer's transaction pooling too.

    The lock is transaction-scoped (``pg_advisory_xact_lock``) on a connection of its own, held
    in a transaction kept open while Alembic works on another: transaction pooling keeps a
    transaction on one server connection, and the lock ends with it, also when the process dies.
    A waiter asks with ``pg_try_advisory_xact_lock`` and ends its transaction between tries, so
    waiting processes don't pin PgBouncer's server connections that the migrating one needs."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        while not conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
        ).scalar():
            conn.rollback()
            time.sleep(MIGRATION_LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            conn.rollback()  # nothing else ran on this connection: ending it releases the lock


def migrate(engine: Engine, secret_key: bytes | None = None) -> None:
    """Bring the schema to the newest revision; safe when several processes start at once."""
    from alembic import command

    with _migration_lock(engine):
        command.upgrade(alembic_config(engine, secret_key), "head")
