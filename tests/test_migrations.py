"""Migrations build exactly the schema the models describe, on PostgreSQL and SQLite."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared import partitions
from shared.db import make_engine, migrate
from shared.models import Base


def _modelled(name, type_, _parent_names) -> bool:
    """The results' day partitions are made at run time, not by the models."""
    return not (type_ == "table" and partitions.is_partition(name))


def test_migrated_schema_matches_the_models(any_db_url):
    engine = make_engine(any_db_url)
    migrate(engine)  # a second run at head is a no-op
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_name": _modelled}), Base.metadata
        )
    engine.dispose()
    assert diff == []
