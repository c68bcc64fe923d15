"""Retention benchmark: retiring one day of results by dropping its partition vs deleting its rows.

    python -m bench.retention --rows 2000000

One day of results (1,389 monitors at 60 s make 2 M rows) is generated inside PostgreSQL into that
day's partition, and the same rows copied into a table shaped as results were before partitioning
(one table, primary key ``id``, unique ``uid``, the same two indexes). The day is then retired both
ways, as ``shared.retention`` does: its partition dropped (``shared.partitions.retire``), and the
plain table's rows deleted in batches of ``retention.BATCH``, a commit each (the statements of
``retention._purge_batched``), then the VACUUM that makes their space reusable timed apart.

Then the upgrade: the database is taken back to revision 0007, the same number of rows put in its
plain results table, and migration 0008 (partitioning it) timed. Times, the ratio and the day's
size on disk are printed; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from datetime import timedelta

from alembic import command
from sqlalchemy import MetaData, Table, delete, select, text

from bench.common import scratch_database
from shared import partitions, retention
from shared.db import alembic_config, make_engine, session_factory
from shared.models import utcnow

MINUTES = 1440

FILL = """
INSERT INTO check_results (monitor_id, agent_id, uid, checked_at, slot_at{key}, status, latency_ms, details)
SELECT m.id, NULL, 'srv:' || m.id || ':' || g, s + interval '0.4 s', s{key_value},
       CASE WHEN random() < 0.01 THEN 'down' WHEN random() < 0.05 THEN 'degraded' ELSE 'ok' END,
       20 + random() * 100, 'HTTP 200'
FROM monitors m, generate_series(0, :minutes - 1) g,
     LATERAL (SELECT CAST(:day AS timestamptz) + make_interval(mins => g)) AS slot(s)
ORDER BY g, m.id
LIMIT :rows
"""

# The results table as it was before migration 0008, with the day's rows.
PLAIN = [
    "CREATE TABLE results_plain (LIKE check_results INCLUDING DEFAULTS)",
    "INSERT INTO results_plain SELECT * FROM {day}",
    "ALTER TABLE results_plain ADD PRIMARY KEY (id)",
    "ALTER TABLE results_plain ADD UNIQUE (uid)",
    "CREATE INDEX ix_plain_checked_at ON results_plain (checked_at)",
    "CREATE INDEX ix_plain_monitor_time ON results_plain (monitor_id, checked_at)",
    "ANALYZE results_plain",
    "ANALYZE {day}",
]


def _fill(conn, day, rows: int, partitioned: bool = True) -> None:
    fill = FILL.format(key=", partition_at" if partitioned else "", key_value=", s" if partitioned else "")
    conn.execute(text(fill), {"minutes": MINUTES, "day": partitions.day_start(day), "rows": rows})


def _fill_both(engine, day, rows: int) -> float:
    """Monitors, the day's partition filled, and the plain table with the same rows."""
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO monitors (name, type, target, interval_seconds, timeout_seconds, enabled, "
                "created_at, updated_at) SELECT 'bench ' || g, 'http', 'http://127.0.0.1:9/', 60, 10, true, "
                "now(), now() FROM generate_series(1, :m) g"
            ),
            {"m": math.ceil(rows / MINUTES)},
        )
        _fill(conn, day, rows)
        for statement in PLAIN:
            conn.execute(text(statement.format(day=partitions.name_for(day))))
    return time.perf_counter() - t0


def _time_upgrade(engine, day, rows: int) -> float:
    """Back to 0007, ``rows`` results in the plain table, and the upgrade to 0008 timed."""
    cfg = alembic_config(engine)
    command.downgrade(cfg, "0007")
    with engine.begin() as conn:
        _fill(conn, day, rows, partitioned=False)
        conn.execute(text("ANALYZE check_results"))
    t0 = time.perf_counter()
    command.upgrade(cfg, "0008")
    took = time.perf_counter() - t0
    with engine.connect() as conn:
        assert conn.scalar(text(f"SELECT count(*) FROM {partitions.name_for(day)}")) == rows
    return took


def _delete_batched(engine, table: Table, cutoff, batch: int) -> int:
    """``retention._purge_batched`` on the plain table."""
    removed = 0
    with session_factory(engine)() as session:
        while True:
            ids = session.scalars(select(table.c.id).where(table.c.checked_at < cutoff).limit(batch)).all()
            if not ids:
                return removed
            session.execute(delete(table).where(table.c.id.in_(ids)))
            session.commit()
            removed += len(ids)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args(argv)

    with scratch_database("ot_bench_ret") as (db_url, _redis):
        engine = make_engine(db_url)
        day = (utcnow() - timedelta(days=30)).date()
        cutoff = partitions.day_start(day + timedelta(days=1))
        with session_factory(engine)() as session:
            partitions.make_day(session, day)
        fill_s = _fill_both(engine, day, args.rows)
        with engine.connect() as conn:
            rows = conn.scalar(text(f"SELECT count(*) FROM {partitions.name_for(day)}"))
            size = conn.scalar(text(f"SELECT pg_total_relation_size('{partitions.name_for(day)}')"))

        t0 = time.perf_counter()
        with session_factory(engine)() as session:
            dropped = partitions.retire(session, cutoff)
        drop_s = time.perf_counter() - t0
        assert dropped == [day], dropped

        plain = Table("results_plain", MetaData(), autoload_with=engine)
        t0 = time.perf_counter()
        deleted = _delete_batched(engine, plain, cutoff, retention.BATCH)
        delete_s = time.perf_counter() - t0
        assert deleted == rows, (deleted, rows)
        t0 = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM results_plain"))
        vacuum_s = time.perf_counter() - t0
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE results_plain"))

        migrate_s = _time_upgrade(engine, day, rows)
        engine.dispose()

    result = {
        "rows": rows,
        "day_size_mb": round(size / 2**20),
        "fill_s": round(fill_s, 1),
        "drop_partition_s": round(drop_s, 3),
        "batched_delete_s": round(delete_s, 1),
        "vacuum_after_delete_s": round(vacuum_s, 1),
        "batch": retention.BATCH,
        "delete_over_drop": round(delete_s / drop_s),
        "migration_0008_s": round(migrate_s, 1),
    }
    print(f"one day: {rows:,} rows, {result['day_size_mb']} MB with indexes (filled in {fill_s:.0f} s)")
    print(f"DROP of its partition       {drop_s * 1000:10.1f} ms")
    print(f"batched DELETE ({retention.BATCH}/commit) {delete_s * 1000:10.1f} ms")
    print(f"  then VACUUM                {vacuum_s * 1000:10.1f} ms")
    print(f"the delete takes {result['delete_over_drop']:,}x as long as the drop")
    print(f"migration 0008 of {rows:,} rows: {migrate_s:.1f} s")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
