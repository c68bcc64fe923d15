"""check results partitioned by day on PostgreSQL, unique by (uid, partition_at)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 00:30:00

On PostgreSQL the table is rebuilt as a range-partitioned one (``shared.partitions``): a partition
for every day that has results and for today and the next three, a default partition, every row
copied in one transaction (the table is locked while it runs: about a minute per few million
rows), then the old table dropped and the new one named in its place, keeping the ids and their
sequence. On SQLite only the new column and the unique key change.
"""

from datetime import UTC, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = "id, monitor_id, agent_id, uid, checked_at, slot_at, status, latency_ms, details, days_left"
# shared.partitions.partition_key in SQL: the slot, else checked_at to the second.
PARTITION_KEY = "coalesce(slot_at, date_trunc('second', checked_at, 'UTC'))"
AHEAD_DAYS = 3


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _partition()
        return
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partition_at", sa.DateTime(timezone=True), nullable=True))
    # SQLite holds times as 'YYYY-MM-DD HH:MM:SS.ffffff' text (SQLAlchemy's format).
    op.execute(
        "UPDATE check_results SET partition_at = coalesce(slot_at, substr(checked_at, 1, 19) || '.000000')"
    )
    with op.batch_alter_table(
        "check_results", naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}
    ) as batch_op:
        batch_op.alter_column("partition_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_constraint("uq_check_results_uid", type_="unique")
        batch_op.create_unique_constraint("uq_check_results_uid_partition_at", ["uid", "partition_at"])


def _partition():
    op.execute(
        """
        CREATE TABLE check_results_new (
            id bigint NOT NULL DEFAULT nextval('check_results_id_seq'::regclass),
            monitor_id integer NOT NULL,
            agent_id integer,
            uid varchar(100) NOT NULL,
            checked_at timestamptz NOT NULL,
            slot_at timestamptz,
            partition_at timestamptz NOT NULL,
            status varchar(10) NOT NULL,
            latency_ms double precision,
            details varchar(500) NOT NULL,
            days_left integer
        ) PARTITION BY RANGE (partition_at)
        """
    )
    op.execute("CREATE TABLE check_results_default PARTITION OF check_results_new DEFAULT")
    days = op.get_bind().execute(
        sa.text(
            f"SELECT DISTINCT date_trunc('day', {PARTITION_KEY}, 'UTC') FROM check_results "
            "UNION SELECT date_trunc('day', now(), 'UTC') + make_interval(days => n) "
            f"FROM generate_series(0, {AHEAD_DAYS}) n"
        )
    )
    for (start,) in days:
        start = start.astimezone(UTC)  # the session's time zone may be another
        op.execute(
            f"CREATE TABLE check_results_{start:%Y%m%d} PARTITION OF check_results_new FOR VALUES "
            f"FROM ('{start.isoformat()}') TO ('{(start + timedelta(days=1)).isoformat()}')"
        )
    op.execute(
        f"INSERT INTO check_results_new ({COLUMNS}, partition_at) "
        f"SELECT {COLUMNS}, {PARTITION_KEY} FROM check_results"
    )
    op.execute("ALTER SEQUENCE check_results_id_seq OWNED BY check_results_new.id")
    op.execute("DROP TABLE check_results")
    op.execute("ALTER TABLE check_results_new RENAME TO check_results")
    # Keys and indexes after the copy: built once per partition instead of row by row.
    op.execute("ALTER TABLE check_results ADD CONSTRAINT check_results_pkey PRIMARY KEY (id, partition_at)")
    op.execute(
        "ALTER TABLE check_results "
        "ADD CONSTRAINT uq_check_results_uid_partition_at UNIQUE (uid, partition_at)"
    )
    op.execute(
        "ALTER TABLE check_results ADD CONSTRAINT check_results_monitor_id_fkey "
        "FOREIGN KEY (monitor_id) REFERENCES monitors (id) ON DELETE CASCADE"
    )
    op.execute("CREATE INDEX ix_check_results_checked_at ON check_results (checked_at)")
    op.execute("CREATE INDEX ix_check_results_monitor_time ON check_results (monitor_id, checked_at)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _unpartition()
        return
    with op.batch_alter_table(
        "check_results", naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}
    ) as batch_op:
        batch_op.drop_constraint("uq_check_results_uid_partition_at", type_="unique")
        batch_op.drop_column("partition_at")
        batch_op.create_unique_constraint("uq_check_results_uid", ["uid"])


def _unpartition():
    """Back to one plain table; of a uid stored under two partition keys the first row is kept."""
    op.execute("ALTER TABLE check_results RENAME TO check_results_partitioned")
    op.execute("ALTER INDEX check_results_pkey RENAME TO check_results_partitioned_pkey")
    op.execute("ALTER INDEX ix_check_results_checked_at RENAME TO ix_check_results_partitioned_checked_at")
    op.execute(
        "ALTER INDEX ix_check_results_monitor_time RENAME TO ix_check_results_partitioned_monitor_time"
    )
    op.execute(
        """
        CREATE TABLE check_results (
            id bigint NOT NULL DEFAULT nextval('check_results_id_seq'::regclass) PRIMARY KEY,
            monitor_id integer NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
            agent_id integer,
            uid varchar(100) NOT NULL UNIQUE,
            checked_at timestamptz NOT NULL,
            slot_at timestamptz,
            status varchar(10) NOT NULL,
            latency_ms double precision,
            details varchar(500) NOT NULL,
            days_left integer
        )
        """
    )
    op.execute(
        f"INSERT INTO check_results ({COLUMNS}) SELECT {COLUMNS} FROM check_results_partitioned "
        "ORDER BY id ON CONFLICT (uid) DO NOTHING"
    )
    op.execute("ALTER SEQUENCE check_results_id_seq OWNED BY check_results.id")
    op.execute("DROP TABLE check_results_partitioned")
    op.execute("CREATE INDEX ix_check_results_checked_at ON check_results (checked_at)")
    op.execute("CREATE INDEX ix_check_results_monitor_time ON check_results (monitor_id, checked_at)")
