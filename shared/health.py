"""Whether the database and the broker answer: for /healthz and container health checks."""

from __future__ import annotations

from sqlalchemy import text


def _database_ok(engine) -> str | None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any driver error means "not reachable"
        return type(exc).__name__


def _broker_ok(redis_url: str | None) -> str | None:
    if redis_url is None:
        return None  # the embedded broker is a folder in the data directory
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:
        return type(exc).__name__


def health_report(engine, config) -> dict:
    db_error = _database_ok(engine)
    broker_error = _broker_ok(config.redis_url)
    return {
        "ok": db_error is None and broker_error is None,
        "database": "ok" if db_error is None else f"unreachable ({db_error})",
        "broker": "ok" if broker_error is None else f"unreachable ({broker_error})",
    }
