"""Migrations build exactly the schema the models describe, on PostgreSQL and SQLite."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import make_engine, migrate
from shared.models import Base


def test_migrated_schema_matches_the_models(any_db_url):
    engine = make_engine(any_db_url)
    migrate(engine)  # a second run at head is a no-op
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
