"""notification channels, routing, per-monitor alert policy, a delivery row per (event, channel)

Settings > Alerts' webhook URL and alert email become the first two channels ("Webhook",
"Email"), defaults, given to every existing monitor, so an upgraded install sends exactly where it
did. Each alert event's webhook/email states become delivery rows for those channels (pending ones
are still sent, with their attempts and backoff), then the old columns go.

The webhook URL is stored encrypted from now on, so moving one needs SECRET_KEY (``migrate`` passes
it; ``onlinetracker migrate`` and every process start do).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:30:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ALL_EVENTS = json.dumps(["down", "degraded", "up", "ssl_expiring"])


def _big_id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("config", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("secret_enc", sa.Text(), nullable=True),
        sa.Column("masked", sa.String(length=2048), nullable=False, server_default=""),
        sa.Column("events", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("from_settings", sa.String(length=10), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("from_settings"),
    )
    op.create_table(
        "monitor_channels",
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("monitor_id", "channel_id"),
    )
    op.create_index("ix_monitor_channels_channel_id", "monitor_channels", ["channel_id"], unique=False)
    op.create_table(
        "alert_deliveries",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("event_id", _big_id(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("channel_name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["event_id"], ["alert_events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "channel_id", name="uq_alert_deliveries_event_channel"),
    )
    op.create_index("ix_alert_deliveries_channel_id", "alert_deliveries", ["channel_id"], unique=False)
    op.create_index(
        "ix_alert_deliveries_pending",
        "alert_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_type", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("repeat_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("alert_on_restored", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("confirm_checks", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("monitor_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fail_streak", sa.Integer(), server_default="0", nullable=False))

    # The events' delivery columns are kept aside while alert_events loses them: on SQLite that
    # rebuilds the table, and dropping the old one would cascade to deliveries already written.
    op.execute(
        "CREATE TABLE old_event_states AS SELECT id, created_at, webhook_state, email_state, attempts,"
        " last_error, next_attempt_at FROM alert_events"
    )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_alert_events_pending",
            postgresql_where=sa.text("webhook_state = 'pending' OR email_state = 'pending'"),
            sqlite_where=sa.text("webhook_state = 'pending' OR email_state = 'pending'"),
        )
        for column in ("webhook_state", "email_state", "attempts", "last_error", "next_attempt_at"):
            batch_op.drop_column(column)
    _move_settings_channels()
    op.drop_table("old_event_states")


def _move_settings_channels():
    """Settings > Alerts' two destinations → channels; the events' states → delivery rows."""
    from shared import crypto
    from shared.channels import mask_url

    bind = op.get_bind()
    row = bind.execute(sa.text("SELECT value FROM settings WHERE section = 'alerts'")).first()
    stored = json.loads(row[0]) if row else {}
    webhook_url, alert_email = stored.pop("webhook_url", ""), stored.pop("alert_email", "")
    now = sa.func.now() if bind.dialect.name == "postgresql" else sa.text("CURRENT_TIMESTAMP")
    channels = sa.table(
        "channels",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
        sa.column("config", sa.Text),
        sa.column("secret_enc", sa.Text),
        sa.column("masked", sa.String),
        sa.column("events", sa.Text),
        sa.column("is_default", sa.Boolean),
        sa.column("from_settings", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    made = {}
    if webhook_url:
        secret_key = op.get_context().config.attributes.get("secret_key")
        if not secret_key:
            raise RuntimeError(
                "moving the Settings > Alerts webhook URL into an encrypted channel needs SECRET_KEY: "
                "run `onlinetracker migrate` with the install's configuration"
            )
        made["webhook"] = (
            "Webhook",
            json.dumps({"service": "Webhook"}),
            crypto.encrypt(secret_key, webhook_url),
        )
        masked_webhook = mask_url(webhook_url)
    if alert_email:
        made["email"] = ("Email", json.dumps({"to": alert_email}), None)
    for slot, (name, config, secret) in made.items():
        bind.execute(
            channels.insert().values(
                name=name,
                kind=slot,
                config=config,
                secret_enc=secret,
                masked=masked_webhook if slot == "webhook" else "",
                events=ALL_EVENTS,
                is_default=True,
                from_settings=slot,
                created_at=now,
                updated_at=now,
            )
        )
        channel_id = bind.execute(
            sa.text("SELECT id FROM channels WHERE from_settings = :slot"), {"slot": slot}
        ).scalar_one()
        bind.execute(
            sa.text("INSERT INTO monitor_channels (monitor_id, channel_id) SELECT id, :cid FROM monitors"),
            {"cid": channel_id},
        )
        # Every event keeps its state for this channel: pending ones are still sent, with the
        # attempts and the backoff they had; skipped ones never had this channel.
        bind.execute(
            sa.text(
                "INSERT INTO alert_deliveries (event_id, channel_id, channel_name, kind, state, attempts,"
                " last_error, next_attempt_at, sent_at)"
                f" SELECT id, :cid, :name, :kind, {slot}_state, attempts,"
                f" CASE WHEN {slot}_state = 'sent' THEN NULL ELSE last_error END, next_attempt_at,"
                f" CASE WHEN {slot}_state = 'sent' THEN created_at ELSE NULL END"
                f" FROM old_event_states WHERE {slot}_state <> 'skipped'"
            ),
            {"cid": channel_id, "name": name, "kind": slot},
        )
    if row is not None:
        bind.execute(
            sa.text("UPDATE settings SET value = :value WHERE section = 'alerts'"),
            {"value": json.dumps(stored)},
        )


def downgrade():
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_state", sa.String(length=10), server_default="skipped"))
        batch_op.add_column(sa.Column("email_state", sa.String(length=10), server_default="skipped"))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0"))
        batch_op.add_column(sa.Column("last_error", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_alert_events_pending",
            ["id"],
            unique=False,
            postgresql_where=sa.text("webhook_state = 'pending' OR email_state = 'pending'"),
            sqlite_where=sa.text("webhook_state = 'pending' OR email_state = 'pending'"),
        )
    with op.batch_alter_table("monitor_states", schema=None) as batch_op:
        batch_op.drop_column("fail_streak")
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        for column in ("confirm_checks", "alert_on_restored", "repeat_minutes", "alert_type"):
            batch_op.drop_column(column)
    op.drop_index("ix_alert_deliveries_pending", table_name="alert_deliveries")
    op.drop_index("ix_alert_deliveries_channel_id", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_monitor_channels_channel_id", table_name="monitor_channels")
    op.drop_table("monitor_channels")
    op.drop_table("channels")
