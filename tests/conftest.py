"""Fixtures against real services: a PostgreSQL database made for this run, Redis, SQLite files."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import text

from shared import config as config_mod
from shared.db import make_engine, migrate, session_factory
from shared.models import Base
from tests import services
from tests.auth import anonymous, sign_in


@pytest.fixture(scope="session")
def _services():
    throwaway = services.Throwaway()
    try:
        pg_admin, redis_url = services.locate(throwaway)
    except services.MissingService as exc:
        pytest.exit(str(exc), returncode=3)
    # Celery keys of this run under their own prefix: runs sharing one Redis never take each other's tasks.
    os.environ.setdefault("REDIS_KEY_PREFIX", f"ot-test-{os.getpid()}-{uuid.uuid4().hex[:6]}:")
    yield pg_admin, redis_url
    services.flush_prefix(redis_url)
    throwaway.stop()


@pytest.fixture(scope="session")
def redis_url(_services) -> str:
    return _services[1]


@pytest.fixture(scope="session")
def pg_url(_services):
    """A database of this test session's own, migrated, dropped at the end."""
    admin = _services[0]
    name = f"ot_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = services.create_database(admin, name)
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    migrate(engine)
    engine.dispose()
    yield url.replace("postgresql://", "postgresql+psycopg2://")
    services.drop_database(admin, name)


def _truncate(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


def make_config(tmp_path, database_url: str, redis_url: str | None = None) -> config_mod.Config:
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return config_mod.load(env)


@pytest.fixture(params=["postgresql", "sqlite"])
def any_db_url(request, tmp_path):
    """Storage tests run on both databases the product supports."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        engine = make_engine(url)
        _truncate(engine)
        engine.dispose()
        return url
    url = f"sqlite:///{tmp_path / 'test.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture
def db_url(pg_url):
    engine = make_engine(pg_url)
    _truncate(engine)
    engine.dispose()
    return pg_url


@pytest.fixture
def empty_pg(_services):
    """A new PostgreSQL database with nothing in it, not even the schema; dropped afterwards."""
    admin = _services[0]
    name = f"ot_empty_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = services.create_database(admin, name).replace("postgresql://", "postgresql+psycopg2://")
    yield url
    services.drop_database(admin, name)


@pytest.fixture
def sessions(db_url):
    """A session factory on the test's PostgreSQL database, for tests that work below the API."""
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def key(config) -> bytes:
    """The SECRET_KEY the test's apps encrypt with."""
    return config.secret_key


@pytest.fixture
def config(tmp_path, db_url, redis_url):
    return make_config(tmp_path, db_url, redis_url)


@pytest.fixture
def app(config):
    from web import create_app

    app = create_app(config)
    app.config["TESTING"] = True
    yield app
    with app.app_context():
        from web.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Signed in as an admin (tests/auth.py)."""
    return sign_in(app)


@pytest.fixture
def viewer(app):
    """Signed in as a viewer."""
    return sign_in(app, "viewer", "viewer")


@pytest.fixture
def anon(app):
    """No credentials at all."""
    return anonymous(app)


@pytest.fixture
def any_db_app(tmp_path, any_db_url, redis_url):
    from web import create_app

    app = create_app(replace(make_config(tmp_path, any_db_url, redis_url)))
    yield app
    with app.app_context():
        from web.extensions import db

        db.engine.dispose()


@pytest.fixture
def any_db_client(any_db_app):
    return sign_in(any_db_app)


@pytest.fixture(scope="module")
def ca():
    """A test certificate authority for the TLS peers (tests/peers/tls_server.py)."""
    from tests.peers.tls_server import TestCA

    authority = TestCA()
    yield authority
    authority.cleanup()
