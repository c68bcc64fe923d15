"""check types options heartbeats

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:49:36.710353
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():

    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("options", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("secret_enc", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("grace_seconds", sa.Integer(), server_default="60", nullable=False))
        batch_op.add_column(sa.Column("push_token_enc", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("push_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("run_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pings_ignored", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_index("ix_monitors_push_token_hash", ["push_token_hash"], unique=True)


def downgrade():

    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.drop_index("ix_monitors_push_token_hash")
        batch_op.drop_column("pings_ignored")
        batch_op.drop_column("run_started_at")
        batch_op.drop_column("push_token_hash")
        batch_op.drop_column("push_token_enc")
        batch_op.drop_column("grace_seconds")
        batch_op.drop_column("secret_enc")
        batch_op.drop_column("options")
