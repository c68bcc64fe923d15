"""Each process's PostgreSQL pool is bounded by DB_POOL_SIZE + DB_MAX_OVERFLOW, read from the
environment by every engine (web, gateway, worker, beat, CLI)."""

from __future__ import annotations

import pytest

from shared.config import ConfigError, PoolLimits, load, pool_limits
from shared.db import engine_options, make_engine


def test_defaults_and_variables():
    assert pool_limits({}) == PoolLimits(size=5, overflow=10, timeout=30)
    limits = pool_limits({"DB_POOL_SIZE": "2", "DB_MAX_OVERFLOW": "0", "DB_POOL_TIMEOUT": "7"})
    assert (limits.size, limits.overflow, limits.timeout, limits.most) == (2, 0, 7, 2)
    assert load({"DATA_DIR": "/tmp/x", "DB_POOL_SIZE": "3"}).db_pool.size == 3


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"DB_POOL_SIZE": "0"}, "DB_POOL_SIZE must be between 1 and 1000"),
        ({"DB_MAX_OVERFLOW": "many"}, "DB_MAX_OVERFLOW must be a whole number"),
        ({"DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "0"}, "must be at least 2"),
    ],
)
def test_bad_values_are_one_line(env, says):
    with pytest.raises(ConfigError, match=says):
        pool_limits(env)


def test_engines_take_the_limits_from_the_environment(monkeypatch, pg_url):
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "1")
    options = engine_options(pg_url)
    assert (options["pool_size"], options["max_overflow"]) == (3, 1)
    engine = make_engine(pg_url)
    try:
        assert engine.pool.size() == 3 and engine.pool._max_overflow == 1
    finally:
        engine.dispose()
    assert "pool_size" not in engine_options("sqlite:////tmp/x.db")
