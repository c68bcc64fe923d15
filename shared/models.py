"""The whole product's tables. Nothing else defines tables; migrations mirror this module.

Times are stored in UTC and always come back timezone-aware (see :class:`UTCDateTime`), on
PostgreSQL and on SQLite alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.partitions import partition_key

SERVER = "server"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out; SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A big integer that SQLite still treats as its rowid alias (autoincrement).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The agent's own signing key, encrypted (``shared.crypto``); derived on both ends at
    #: registration, so it never crosses the wire.
    credential_enc: Mapped[str | None] = mapped_column(String(512))
    #: SHA-256 of the shared secret it registered under: changing the secret cuts every agent off.
    secret_fingerprint: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when the agent fell silent for 3 poll periods (an ``agent_offline`` alert was written);
    #: cleared when it is heard again.
    offline_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingAgent(Base):
    """An agent that knew the shared secret but whose UUID is not yet allowed."""

    __tablename__ = "pending_agents"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Monitor(Base):
    __tablename__ = "monitors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(2048), default="")
    interval_seconds: Mapped[int] = mapped_column(Integer, default=60)
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=10)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    # Threshold overrides: NULL means "use the system default from settings".
    ok_ms: Mapped[float | None] = mapped_column(Float)
    degraded_ms: Mapped[float | None] = mapped_column(Float)
    ping_count: Mapped[int | None] = mapped_column(Integer)
    ssl_ok_days: Mapped[int | None] = mapped_column(Integer)
    ssl_warning_days: Mapped[int | None] = mapped_column(Integer)
    #: The type's options as JSON (``HttpOptions`` / ``DnsOptions``) without secrets; NULL: defaults.
    options: Mapped[str | None] = mapped_column(Text)
    #: The HTTP basic-auth password, encrypted (``shared.crypto``); write-only in the API.
    secret_enc: Mapped[str | None] = mapped_column(String(1024))
    #: Heartbeats: slack after the period before the monitor is down.
    grace_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    #: Heartbeats: the push token, encrypted (to show the push URL) and hashed (to look it up).
    push_token_enc: Mapped[str | None] = mapped_column(String(512))
    push_token_hash: Mapped[str | None] = mapped_column(String(64))
    #: Heartbeats: when the job said it started (``/push/<token>/start``), for its run time.
    run_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Heartbeats: pings beyond one a second, counted instead of stored.
    pings_ignored: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: Badges (``/badge/<badge_key>/<kind>.svg``) only while the admin turned them on.
    badges: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    badge_key: Mapped[str | None] = mapped_column(String(64))
    # Alert policy of this monitor; None: Settings > Alerts decides.
    alert_type: Mapped[str | None] = mapped_column(String(10))
    repeat_minutes: Mapped[int | None] = mapped_column(Integer)
    alert_on_restored: Mapped[bool | None] = mapped_column(Boolean)
    confirm_checks: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_monitors_push_token_hash", "push_token_hash", unique=True),
        Index("ix_monitors_badge_key", "badge_key", unique=True),
    )


def _partition_at(context) -> datetime | None:
    params = context.get_current_parameters()
    return partition_key(params.get("checked_at"), params.get("slot_at"))


class CheckResult(Base):
    """One check of one monitor from one location.

    ``uid`` makes recording idempotent: ``srv:<monitor>:<slot>`` for the server's scheduled checks and
    ``agt:<agent>:<client id>`` for agent reports, so a redelivered task or a re-sent batch is stored
    once. It is unique together with ``partition_at`` (filled in from the slot, see
    ``shared.partitions``), the day partitions' key on PostgreSQL, where the primary key is
    ``(id, partition_at)`` too (made by migration 0008; the mapping needs only ``id``).
    """

    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(Integer)
    uid: Mapped[str] = mapped_column(String(100))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    partition_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_partition_at)
    status: Mapped[str] = mapped_column(String(10))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    details: Mapped[str] = mapped_column(String(500), default="")
    days_left: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("uid", "partition_at", name="uq_check_results_uid_partition_at"),
        Index("ix_check_results_monitor_time", "monitor_id", "checked_at"),
        Index("ix_check_results_checked_at", "checked_at"),
    )


class Rollup(Base):
    """Counts per monitor and bucket, folded in as results are written.

    ``resolution`` is the bucket length in seconds: 900 for the 72-hour bars, 3600 and 86400 for
    the uptime histograms. Dashboards read these, never raw results.
    """

    __tablename__ = "rollups"

    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True)
    resolution: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    ok: Mapped[int] = mapped_column(Integer, default=0)
    degraded: Mapped[int] = mapped_column(Integer, default=0)
    down: Mapped[int] = mapped_column(Integer, default=0)
    #: Results recorded inside a maintenance window: neither up nor down for uptime.
    maintenance: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    latency_sum: Mapped[float] = mapped_column(Float, default=0.0)
    latency_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_rollups_resolution_bucket", "resolution", "bucket_start"),)


class MonitorState(Base):
    """The current state of a monitor at one location (``agent_id`` 0 is the server).

    Changed only by compare-and-set on ``status`` so that two workers finishing checks of one
    monitor at once cannot both announce the same change.
    """

    __tablename__ = "monitor_states"

    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True)
    location: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    status: Mapped[str] = mapped_column(String(10), default="unknown")
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_latency_ms: Mapped[float | None] = mapped_column(Float)
    last_details: Mapped[str | None] = mapped_column(String(500))
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ssl_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The status the alert rules last saw (``outbox.on_transition`` outside maintenance); NULL:
    #: none yet. A state that differs from it once a maintenance window is over is announced then.
    announced_status: Mapped[str | None] = mapped_column(String(10))
    #: Consecutive "down" results here, for alerts that wait for ``Monitor.confirm_checks`` of them.
    fail_streak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


#: A monitor's state where it is checked now (location 0, the server, or its agent's id): how every
#: read that shows monitors with their status joins the two. A state left at a former location
#: stays out.
CURRENT_STATE = and_(
    MonitorState.monitor_id == Monitor.id, MonitorState.location == func.coalesce(Monitor.agent_id, 0)
)


class Setting(Base):
    """One row per settings section (``monitoring``, ``alerts``, ``agents``), value as JSON text.

    Secret fields inside are stored encrypted (see ``shared.crypto``).
    """

    __tablename__ = "settings"

    section: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AlertEvent(Base):
    """An outbox row: written in the same transaction as the state change that caused it.

    Each channel it goes to has its own :class:`AlertDelivery` row, written with it."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    monitor_id: Mapped[int | None] = mapped_column(ForeignKey("monitors.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(20))
    monitor_name: Mapped[str] = mapped_column(String(200))
    monitor_type: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(2048))
    details: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (
        # Deleting a monitor sets its events' monitor_id to NULL: without this, a scan per delete.
        Index("ix_alert_events_monitor_id", "monitor_id"),
    )


class Channel(Base):
    """Where alerts go: a webhook, an email address or an Apprise URL (Slack, ntfy, ...).

    The part of ``config`` that can carry a secret (a URL: tokens live in its path and query) is
    kept only in ``secret_enc``; ``config`` holds the rest and ``masked`` what the API shows.
    ``from_settings`` marks the two channels that Settings > Alerts' webhook URL and alert email
    read and write ("webhook" / "email"), so the settings API of before keeps working.
    """

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    config: Mapped[str] = mapped_column(Text, default="{}")
    secret_enc: Mapped[str | None] = mapped_column(Text)
    masked: Mapped[str] = mapped_column(String(2048), default="")
    events: Mapped[str] = mapped_column(Text, default="[]")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    from_settings: Mapped[str | None] = mapped_column(String(10), unique=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: Since when deliveries fail (None while the last one went out); ``failed_at`` when one was given up.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MonitorChannel(Base):
    """Routing: the channels a monitor's alerts go to."""

    __tablename__ = "monitor_channels"

    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AlertDelivery(Base):
    """One event to one channel: claimed, sent, retried and given up on its own.

    ``next_attempt_at`` means "nobody may send this before then": a sender claims the row by moving
    it into the future (a lease) with a compare-and-set on the value it read.
    """

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"), index=True)
    #: The channel as it was when the event was written (it may be renamed or deleted later).
    channel_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    #: "pending", "sent", "failed" (gave up) or "skipped" (the channel could not take it).
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("event_id", "channel_id", name="uq_alert_deliveries_event_channel"),
        # The sweep's "what is pending" every 30 s: only the few undelivered rows are in this index.
        Index(
            "ix_alert_deliveries_pending",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
    )


class SchedulerState(Base):
    """Small named values the scheduler keeps, e.g. how far dispatch has enqueued checks."""

    __tablename__ = "scheduler_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class AgentNonce(Base):
    """Nonces of signed agent requests seen recently, so a captured request can't be replayed."""

    __tablename__ = "agent_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class User(Base):
    """A person who signs in to the dashboard or owns API tokens.

    ``role`` is ``admin`` or ``viewer``. Secrets: ``password_hash`` is argon2, the TOTP secret is
    encrypted (``shared.crypto``), recovery codes are SHA-256 hashes in :class:`RecoveryCode`.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(10), default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Set by TOTP enrolment; ``totp_enabled`` only once a code from it was confirmed.
    totp_secret_enc: Mapped[str | None] = mapped_column(String(512))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The newest TOTP time step accepted: a code is good once, never again.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(Base):
    """A one-time second-factor code, hashed; deleted when used."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))


class AuthSession(Base):
    """A signed-in browser, kept on the server so that it can be ended (password change, admin).

    The cookie holds a random token; only its SHA-256 is stored here.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class ApiToken(Base):
    """A bearer token for scripts: acts as its owner, limited to ``scope`` (``read``: GET only)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthFailure(Base):
    """One failed authentication, counted per ``scope`` and ``key`` (a username, an address).

    Kept in the database so that every web and gateway process sees the same counts.
    """

    __tablename__ = "auth_failures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_auth_failures_scope_key_at", "scope", "key", "at"),
        Index("ix_auth_failures_at", "at"),
    )


class AuditEntry(Base):
    """Who changed what, when and from where. ``details`` is JSON text without secrets."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="{}")


class StatusPage(Base):
    """A public page at ``/status/<slug>`` showing only the monitors its admin chose.

    ``groups`` is JSON: ``[{"name", "monitors": [{"monitor_id", "display_name", "show_target"}]}]``.
    """

    __tablename__ = "status_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    logo_url: Mapped[str | None] = mapped_column(String(2048))
    groups: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Announcement(Base):
    """A notice on a status page (markdown, rendered without raw HTML), shown between its times."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: ``info``, ``warning``, ``critical`` or ``maintenance``.
    severity: Mapped[str] = mapped_column(String(20), default="info")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MaintenanceWindow(Base):
    """Planned work: checks go on, the monitors show ``maintenance`` and alert nobody.

    One-off (``starts_at``/``ends_at``) or recurring (``recurrence`` JSON: ``{"cron"}`` or
    ``{"weekdays", "time"}``, with ``duration_minutes`` and ``timezone``). ``monitor_ids`` is a JSON
    list, unused when ``all_monitors``.
    """

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    all_monitors: Mapped[bool] = mapped_column(Boolean, default=False)
    monitor_ids: Mapped[str] = mapped_column(Text, default="[]")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recurrence: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
