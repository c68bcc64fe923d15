"""Notification channels: what a channel's config means, how its secret is kept, where events go.

A channel's URL (a webhook's, or an Apprise URL such as ``slack://…``) carries its credentials in
its path, user info and query, so it is stored only encrypted (``secret_enc``) and shown masked:
the scheme and the host stay readable, every other part becomes ``****``. A PUT that sends the
masked text back keeps the stored URL, so a client can send back what it read.

Routing: a monitor's events go to the channels listed for it (``monitor_channels``) that take that
kind of event; events about an agent (not a monitor) go to the default channels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from shared import crypto
from shared.models import Channel, Monitor, MonitorChannel
from shared.timefmt import iso

KINDS = ("webhook", "email", "apprise")
#: The kinds of event a channel can choose; every other event counts as one of these.
CHANNEL_EVENTS = ("down", "degraded", "up", "ssl_expiring")
EVENT_FILTER = {
    "down": "down",
    "stale": "down",
    "agent_offline": "down",
    "degraded": "degraded",
    "up": "up",
    "agent_online": "up",
    "ssl_expiring": "ssl_expiring",
}
#: Apprise schemes that act on this machine instead of sending over the network: refused, so a
#: channel can't write files or the server's syslog, or run anything locally.
LOCAL_SCHEMES = frozenset(
    {"file", "syslog", "windows", "macosx", "dbus", "kde", "qt", "glib", "gio", "gnome", "script", "cmd"}
)
MASK = "****"
#: Settings > Alerts' two fields and the channels they read and write.
SETTINGS_SLOTS = {"webhook": ("webhook_url", "Webhook"), "email": ("alert_email", "Email")}

_KEEP_HOST = re.compile(r"^(localhost|\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")


def mask_url(url: str) -> str:
    """``scheme://host/****/****?key=****``: a host that looks like one (has a dot, an IP) is kept,
    anything else (Slack's and Telegram's "hosts" are tokens) is masked like the path."""
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, _, hostport = netloc.rpartition("@")
    bracketed = hostport.startswith("[") and "]:" in hostport
    if hostport.count(":") == 1 or bracketed:
        host, colon, port = hostport.rpartition(":")
    else:
        host, colon, port = hostport, "", ""
    if colon and not port.isdigit():  # "host:port" that isn't one: a token such as Telegram's
        host, colon = hostport, ""
    host = host if _KEEP_HOST.match(host or "-") else (MASK if host else "")
    masked = f"{parts.scheme}://"
    if userinfo:
        masked += ":".join(MASK for _ in userinfo.split(":", 1)) + "@"
    masked += host + (f":{port}" if colon else "")
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        masked += "/" + "/".join(MASK for _ in segments)
    if parts.query:
        keys = [pair.split("=", 1)[0] for pair in parts.query.split("&") if pair]
        masked += "?" + "&".join(f"{k}={MASK}" for k in keys)
    return masked


def apprise_service(url: str) -> str:
    """The service an Apprise URL speaks to ("Slack"), or raise ``ValueError`` with a reason."""
    import apprise

    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        raise ValueError("must be an Apprise URL such as slack://… or ntfys://…")
    if scheme in LOCAL_SCHEMES:
        raise ValueError(f"{scheme}:// acts on the server itself and is not allowed")
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        raise ValueError(f"is not an Apprise URL that can be used ({scheme}:// unknown or incomplete)")
    return str(plugin.service_name)


def split_recipients(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def secret_of(channel: Channel, secret_key: bytes) -> str | None:
    """The stored URL; raises :class:`crypto.SecretUnreadable` when SECRET_KEY changed."""
    return crypto.decrypt(secret_key, channel.secret_enc) if channel.secret_enc else None


def target_of(channel: Channel, secret_key: bytes) -> str:
    """What a transport sends to: the recipients, or the decrypted URL (may raise
    :class:`crypto.SecretUnreadable`)."""
    if channel.kind == "email":
        return config_of(channel).get("to", "")
    return secret_of(channel, secret_key) or ""


def config_of(channel: Channel) -> dict:
    return json.loads(channel.config or "{}")


def events_of(channel: Channel) -> list[str]:
    return json.loads(channel.events or "[]")


def takes(channel_events: Iterable[str], event: str) -> bool:
    return EVENT_FILTER.get(event, event) in set(channel_events)


def apply(channel: Channel, data, secret_key: bytes) -> None:
    """Copy a validated ``ChannelIn`` onto the row, encrypting the URL."""
    channel.name = data.name
    channel.kind = data.kind
    channel.events = json.dumps(list(data.events))
    channel.is_default = data.default
    if data.kind == "email":
        channel.config = json.dumps({"to": data.config["to"]})
        channel.secret_enc = None
        channel.masked = ""
    else:
        url = data.config["url"]
        service = "Webhook" if data.kind == "webhook" else apprise_service(url)
        channel.config = json.dumps({"service": service})
        channel.secret_enc = crypto.encrypt(secret_key, url)
        channel.masked = mask_url(url)


def public_config(channel: Channel) -> dict:
    config = config_of(channel)
    if channel.kind == "email":
        return {"to": config.get("to", "")}
    return {"url": channel.masked}


def service_name(channel: Channel) -> str:
    return "Email" if channel.kind == "email" else config_of(channel).get("service", channel.kind)


def health(channel: Channel) -> dict:
    if channel.failed_at is not None and channel.failing_since is not None:
        state = "failed"
    elif channel.failing_since is not None:
        state = "failing"
    elif channel.last_sent_at is not None:
        state = "ok"
    else:
        state = "unused"
    return {
        "state": state,
        "last_sent_at": iso(channel.last_sent_at),
        "last_error": channel.last_error if state in ("failing", "failed") else None,
        "failed_at": iso(channel.failed_at) if state == "failed" else None,
    }


def serialize(channel: Channel, monitor_count: int) -> dict:
    return {
        "id": channel.id,
        "name": channel.name,
        "kind": channel.kind,
        "config": public_config(channel),
        "events": events_of(channel),
        "default": channel.is_default,
        "monitor_count": monitor_count,
        "service": service_name(channel),
        "from_settings": channel.from_settings,
        "health": health(channel),
        "created_at": iso(channel.created_at),
        "updated_at": iso(channel.updated_at),
    }


def monitor_counts(session: Session) -> dict[int, int]:
    return dict(
        session.execute(
            select(MonitorChannel.channel_id, func.count()).group_by(MonitorChannel.channel_id)
        ).all()
    )


def channel_ids_by_monitor(
    session: Session, monitor_ids: Iterable[int] | None = None
) -> dict[int, list[int]]:
    query = select(MonitorChannel.monitor_id, MonitorChannel.channel_id).order_by(MonitorChannel.channel_id)
    if monitor_ids is not None:
        query = query.where(MonitorChannel.monitor_id.in_(list(monitor_ids)))
    found: dict[int, list[int]] = {}
    for monitor_id, channel_id in session.execute(query):
        found.setdefault(monitor_id, []).append(channel_id)
    return found


def default_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Channel.id).where(Channel.is_default.is_(True)).order_by(Channel.id)))


def unknown_ids(session: Session, ids: Iterable[int]) -> list[int]:
    wanted = set(ids)
    known = set(session.scalars(select(Channel.id).where(Channel.id.in_(wanted)))) if wanted else set()
    return sorted(wanted - known)


def set_monitor_channels(session: Session, monitor_id: int, ids: Iterable[int]) -> None:
    """Replace a monitor's routing; the ids must exist (checked by the caller)."""
    session.execute(delete(MonitorChannel).where(MonitorChannel.monitor_id == monitor_id))
    rows = [{"monitor_id": monitor_id, "channel_id": i} for i in sorted(set(ids))]
    if rows:
        session.execute(insert(MonitorChannel), rows)


def give_to_every_monitor(session: Session, channel_id: int) -> None:
    have = select(MonitorChannel.monitor_id).where(MonitorChannel.channel_id == channel_id)
    session.execute(
        insert(MonitorChannel).from_select(
            ["monitor_id", "channel_id"],
            select(Monitor.id, channel_id).where(Monitor.id.not_in(have)),
        )
    )


def routes(session: Session, monitor_id: int | None, event: str) -> list[Channel]:
    """The channels an event goes to: the monitor's (or, for agent events, the default ones)."""
    query = select(Channel).order_by(Channel.id)
    if monitor_id is None:
        query = query.where(Channel.is_default.is_(True))
    else:
        query = query.join(MonitorChannel, MonitorChannel.channel_id == Channel.id).where(
            MonitorChannel.monitor_id == monitor_id
        )
    return [c for c in session.scalars(query) if takes(events_of(c), event)]


# --- Settings > Alerts' webhook URL and alert email -----------------------------------------------


def settings_slot(session: Session, slot: str) -> Channel | None:
    return session.scalars(select(Channel).where(Channel.from_settings == slot)).first()


def settings_view(session: Session) -> dict:
    """``webhook_url`` (masked) and ``alert_email`` as GET /api/settings answers them."""
    webhook, email = settings_slot(session, "webhook"), settings_slot(session, "email")
    return {
        "webhook_url": webhook.masked if webhook else "",
        "alert_email": config_of(email).get("to", "") if email else "",
    }


def write_settings_slot(session: Session, slot: str, value: str, secret_key: bytes) -> None:
    """Setting the field makes or updates its channel (a new one is given to every monitor and is a
    default, as the one webhook and address of before went out for every monitor); clearing it
    removes the channel. The masked URL sent back keeps the stored one."""
    from shared.schemas import ChannelIn
    from shared.validation import validate

    _, name = SETTINGS_SLOTS[slot]
    channel = settings_slot(session, slot)
    if not value:
        if channel is not None:
            session.delete(channel)
        return
    if channel is not None and slot == "webhook" and value == channel.masked:
        return
    key = "url" if slot == "webhook" else "to"
    if channel is None:
        data = validate(ChannelIn, {"name": name, "kind": slot, "config": {key: value}, "default": True})
        channel = Channel(from_settings=slot)
        apply(channel, data, secret_key)
        session.add(channel)
        session.flush()
        give_to_every_monitor(session, channel.id)
        return
    events = events_of(channel)
    data = validate(
        ChannelIn,
        {
            "name": channel.name,
            "kind": slot,
            "config": {key: value},
            "events": events,
            "default": channel.is_default,
        },
    )
    apply(channel, data, secret_key)


def write_settings_fields(session: Session, alerts: dict, secret_key: bytes) -> dict:
    """Apply ``webhook_url`` / ``alert_email`` of a Settings > Alerts update to their channels and
    return the other fields, for the settings store. Raises ``FieldErrors`` (``alerts.<field>``)."""
    from shared.schemas import FieldErrors

    rest = dict(alerts)
    errors = {}
    for slot, (field, _) in SETTINGS_SLOTS.items():
        if field not in rest:
            continue
        value = rest.pop(field)
        if not isinstance(value, str | None):
            errors[f"alerts.{field}"] = "must be a string"
            continue
        try:
            write_settings_slot(session, slot, (value or "").strip(), secret_key)
        except FieldErrors as exc:
            errors[f"alerts.{field}"] = "; ".join(exc.errors.values())
    if errors:
        raise FieldErrors(errors)
    return rest
