"""INSERT … ON CONFLICT for PostgreSQL and SQLite alike (both support it, with their own constructs)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def insert(session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def upsert(session, table, keys: list[str], values: dict, update: tuple[str, ...] = ()):
    stmt = insert(session, table).values(**values)
    if not update:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(index_elements=keys, set_={k: stmt.excluded[k] for k in update})
