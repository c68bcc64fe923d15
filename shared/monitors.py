"""Monitors between the database, the API and the checks."""

from __future__ import annotations

import json
import secrets

from shared import crypto
from shared.accounts import sha256
from shared.checks import CheckSpec
from shared.models import Monitor, MonitorState, utcnow
from shared.schemas import DnsOptions, HttpOptions, MonitorIn
from shared.thresholds import THRESHOLD_FIELDS, Thresholds, resolve
from shared.timefmt import iso


def location_of(monitor: Monitor) -> int:
    """Where a monitor is checked: 0 for the server's workers, else the agent's id."""
    return monitor.agent_id or 0


def overrides(monitor: Monitor) -> dict:
    return {name: getattr(monitor, name) for name in THRESHOLD_FIELDS}


def stored_options(monitor: Monitor) -> dict:
    """The type's options as stored (no secrets): ``{}`` when all are defaults."""
    return json.loads(monitor.options) if monitor.options else {}


def check_options(monitor: Monitor, secret_key: bytes) -> dict:
    """What the check needs: the stored options with the basic-auth password decrypted."""
    return _with_password(stored_options(monitor), monitor.secret_enc, secret_key)


def _with_password(options: dict, secret_enc: str | None, secret_key: bytes) -> dict:
    auth = options.get("basic_auth")
    if auth is not None:
        password = crypto.decrypt(secret_key, secret_enc) if secret_enc else None
        options = {**options, "basic_auth": {**auth, "password": password}}
    return options


def check_spec(monitor: Monitor, defaults: Thresholds, secret_key: bytes = b"") -> CheckSpec:
    return CheckSpec(
        type=monitor.type,
        target=monitor.target,
        timeout_seconds=monitor.timeout_seconds,
        thresholds=resolve(overrides(monitor), defaults),
        options=check_options(monitor, secret_key),
    )


#: The columns :func:`check_message` reads: beat selects only these for the monitors it dispatches.
MESSAGE_COLUMNS = (
    Monitor.id,
    Monitor.type,
    Monitor.target,
    Monitor.timeout_seconds,
    *(getattr(Monitor, name) for name in THRESHOLD_FIELDS),
    Monitor.options,
    Monitor.secret_enc,
    Monitor.confirm_checks,
    Monitor.updated_at,
)


def check_message(row, defaults: Thresholds) -> dict:
    """What a worker needs to check a monitor and record it, carried in the task (JSON): the spec
    with thresholds resolved, the stored options, the basic-auth password still encrypted (no
    secret in clear in the broker), ``confirm_checks``, and ``updated_at`` so that the recording
    can tell whether the monitor changed since. ``row`` has :data:`MESSAGE_COLUMNS`."""
    return {
        "type": row.type,
        "target": row.target,
        "timeout_seconds": row.timeout_seconds,
        "thresholds": resolve(overrides(row), defaults).as_dict(),
        "options": json.loads(row.options) if row.options else {},
        "secret_enc": row.secret_enc,
        "confirm_checks": row.confirm_checks or 1,
        "updated_at": row.updated_at.isoformat(),
    }


def spec_from_message(message: dict, secret_key: bytes) -> CheckSpec:
    """The :class:`CheckSpec` of a :func:`check_message`, the password decrypted here."""
    return CheckSpec(
        type=message["type"],
        target=message["target"],
        timeout_seconds=message["timeout_seconds"],
        thresholds=Thresholds(**message["thresholds"]),
        options=_with_password(message["options"], message.get("secret_enc"), secret_key),
    )


def _options_of(data: MonitorIn) -> dict | None:
    given = data.http if data.type in ("http", "https") else data.dns if data.type == "dns" else None
    return given.model_dump(exclude_defaults=True) if given is not None else None


def spec_from_input(
    data: MonitorIn, defaults: Thresholds, stored: Monitor | None = None, secret_key=b""
) -> CheckSpec:
    """The check of an unsaved monitor (Test): a password left out falls back to the saved one."""
    options = _options_of(data) or {}
    auth = options.get("basic_auth")
    if auth is not None and auth.get("password") is None and stored is not None and stored.secret_enc:
        options["basic_auth"] = {**auth, "password": crypto.decrypt(secret_key, stored.secret_enc)}
    return CheckSpec(
        type=data.type,
        target=data.target,
        timeout_seconds=data.timeout_seconds,
        thresholds=resolve(data.thresholds.model_dump(), defaults),
        options=options,
    )


def for_agent(monitor: Monitor, defaults: Thresholds, secret_key: bytes = b"") -> dict:
    """What an agent needs to check a monitor: its thresholds resolved, nothing else."""
    return {
        "id": monitor.id,
        "name": monitor.name,
        "type": monitor.type,
        "target": monitor.target,
        "interval_seconds": monitor.interval_seconds,
        "timeout_seconds": monitor.timeout_seconds,
        "thresholds": resolve(overrides(monitor), defaults).as_dict(),
        # Signed like every gateway answer; put TLS in front of the gateway when it crosses a network.
        "options": check_options(monitor, secret_key),
    }


def as_input(monitor: Monitor) -> dict:
    """The stored monitor in the shape of a create request, for merging a partial PUT into.

    Secrets are not in it: a basic-auth password left out of a PUT is kept (see :func:`apply`).
    """
    options = stored_options(monitor)
    return {
        "name": monitor.name,
        "type": monitor.type,
        "target": monitor.target,
        "interval_seconds": monitor.interval_seconds,
        "timeout_seconds": monitor.timeout_seconds,
        "enabled": monitor.enabled,
        "agent_id": monitor.agent_id,
        "thresholds": overrides(monitor),
        "http": (options or None) if monitor.type in ("http", "https") else None,
        "dns": (options or None) if monitor.type == "dns" else None,
        "grace_seconds": monitor.grace_seconds,
        "badges": bool(monitor.badges),
        "alert_type": monitor.alert_type,
        "repeat_minutes": monitor.repeat_minutes,
        "alert_on_restored": monitor.alert_on_restored,
        "confirm_checks": monitor.confirm_checks or 1,
    }


def apply(monitor: Monitor, data: MonitorIn, secret_key: bytes = b"") -> None:
    monitor.name = data.name
    monitor.type = data.type
    monitor.target = data.target
    monitor.interval_seconds = data.interval_seconds
    monitor.timeout_seconds = data.timeout_seconds
    monitor.enabled = data.enabled
    monitor.agent_id = data.agent_id
    monitor.grace_seconds = data.grace_seconds
    for name, value in data.thresholds.model_dump().items():
        setattr(monitor, name, value)
    options = _options_of(data)
    auth = (options or {}).get("basic_auth")
    if auth is None:
        monitor.secret_enc = None
    else:
        password = auth.pop("password", None)
        if password:  # given: replace; left out: keep the stored one
            monitor.secret_enc = crypto.encrypt(secret_key, password)
    monitor.options = json.dumps(options, sort_keys=True) if options else None
    if data.type == "heartbeat" and monitor.push_token_hash is None:
        new_push_token(monitor, secret_key)
    elif data.type != "heartbeat":
        monitor.push_token_enc = monitor.push_token_hash = None
    monitor.alert_type = data.alert_type
    monitor.repeat_minutes = data.repeat_minutes
    monitor.alert_on_restored = data.alert_on_restored
    monitor.confirm_checks = data.confirm_checks
    monitor.badges = data.badges
    if data.badges and monitor.badge_key is None:
        new_badge_key(monitor)  # off keeps the key: on again, the old embeds work again


def new_push_token(monitor: Monitor, secret_key: bytes) -> str:
    """A fresh push token (128+ random bits): the old URL stops working at once."""
    token = secrets.token_urlsafe(24)
    monitor.push_token_enc = crypto.encrypt(secret_key, token)
    monitor.push_token_hash = sha256(token)
    return token


def new_badge_key(monitor: Monitor) -> str:
    """A fresh badge key (192 random bits), stored as is: it only opens the read-only badges.
    The old badge URLs answer 404 at once."""
    from shared.badges import new_key

    monitor.badge_key = new_key()
    return monitor.badge_key


def badge_url(monitor: Monitor, base_url: str) -> str | None:
    """The status badge's URL while badges are on; the other kinds replace ``status.svg``."""
    if not monitor.badges or not monitor.badge_key:
        return None
    return f"{base_url.rstrip('/')}/badge/{monitor.badge_key}/status.svg"


def push_url(monitor: Monitor, base_url: str, secret_key: bytes) -> str | None:
    if monitor.type != "heartbeat" or not monitor.push_token_enc:
        return None
    return f"{base_url.rstrip('/')}/push/{crypto.decrypt(secret_key, monitor.push_token_enc)}"


def public_options(monitor: Monitor) -> dict | None:
    """Options as the API shows them, defaults filled in; the password only as ``password_set``."""
    model = {"http": HttpOptions, "https": HttpOptions, "dns": DnsOptions}.get(monitor.type)
    if model is None:
        return None
    options = model.model_validate(stored_options(monitor), strict=False).model_dump()
    if options.get("basic_auth"):
        auth = options["basic_auth"]
        options["basic_auth"] = {"username": auth["username"], "password_set": bool(monitor.secret_enc)}
    return options


def _in_maintenance(monitor: Monitor, now) -> bool:
    """Read through the monitor's session (windows loaded once per session: a list of 1,000
    monitors costs one query)."""
    from sqlalchemy.orm import object_session

    from shared import maintenance

    session = object_session(monitor)
    if session is None or monitor.id is None:
        return False
    return maintenance.in_maintenance(maintenance.cached(session), monitor.id, now)


def status_of(monitor: Monitor, state: MonitorState | None, now) -> str:
    """The status everyone shows for a monitor (API, badges, status pages): the stored one, or
    ``stale`` / ``maintenance`` as ``shared.staleness.effective_status`` decides."""
    from shared.staleness import effective_status

    return effective_status(
        state.status if state else None,
        monitor.enabled,
        state.last_checked_at if state else None,
        monitor.updated_at,
        monitor.interval_seconds,
        monitor.timeout_seconds,
        now,
        monitor.type,
        _in_maintenance(monitor, now),
    )


def serialize(
    monitor: Monitor,
    state: MonitorState | None,
    now=None,
    agent_name: str | None = None,
    push_base: str | None = None,
    secret_key: bytes = b"",
    channel_ids: list[int] | None = None,
) -> dict:
    status = status_of(monitor, state, now or utcnow())
    options = public_options(monitor)
    return {
        "id": monitor.id,
        **as_input(monitor),
        "http": options if monitor.type in ("http", "https") else None,
        "dns": options if monitor.type == "dns" else None,
        "push_url": push_url(monitor, push_base, secret_key) if push_base else None,
        "badge_key": monitor.badge_key if monitor.badges else None,
        "badge_url": badge_url(monitor, push_base) if push_base else None,
        "channel_ids": channel_ids or [],
        "status": status,
        "last_checked_at": iso(state.last_checked_at) if state else None,
        "last_latency_ms": state.last_latency_ms if state else None,
        "last_details": state.last_details if state else None,
        "agent_name": agent_name,
        "created_at": iso(monitor.created_at),
        "updated_at": iso(monitor.updated_at),
    }
