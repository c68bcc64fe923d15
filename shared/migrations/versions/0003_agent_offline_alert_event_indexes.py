"""agent offline, alert event indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:26:20.997795
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offline_since", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index("ix_alert_events_monitor_id", ["monitor_id"], unique=False)
        batch_op.create_index(
            "ix_alert_events_pending",
            ["id"],
            unique=False,
            postgresql_where=sa.text("webhook_state = 'pending' OR email_state = 'pending'"),
            sqlite_where=sa.text("webhook_state = 'pending' OR email_state = 'pending'"),
        )


def downgrade():

    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_alert_events_pending",
            postgresql_where=sa.text("webhook_state = 'pending' OR email_state = 'pending'"),
            sqlite_where=sa.text("webhook_state = 'pending' OR email_state = 'pending'"),
        )
        batch_op.drop_index("ix_alert_events_monitor_id")

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("offline_since")
