"""maintenance counts in rollups, announced status of monitor states

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 22:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("maintenance", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("monitor_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("announced_status", sa.String(length=10), nullable=True))
    # What exists was announced as it happened (no windows before this revision).
    op.execute("UPDATE monitor_states SET announced_status = status")


def downgrade():
    with op.batch_alter_table("monitor_states", schema=None) as batch_op:
        batch_op.drop_column("announced_status")
    with op.batch_alter_table("rollups", schema=None) as batch_op:
        batch_op.drop_column("maintenance")
