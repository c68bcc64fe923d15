"""Validation for everything that arrives from outside: the admin API, settings and the agent.

One place for the rules of API.md, so the API, the settings and the agent can't disagree. The
models also give the JSON Schemas that ``/api/openapi.json`` is built from.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

MONITOR_TYPES = ("ping", "http", "https", "ssl", "tcp", "dns", "heartbeat")
#: Ids are 32-bit integers in the database.
MAX_ID = 2**31 - 1
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[^@\s<>,;:\"\\]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]{2,}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Strict(BaseModel):
    """Types are strict (``"60"`` is not a number, ``1`` is not ``true``); unknown fields are ignored
    so that a client may send back a monitor it read, with its read-only fields."""

    model_config = ConfigDict(strict=True, extra="ignore")


def is_hostname(value: str) -> bool:
    if not value or len(value) > 253:
        return False
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        pass
    labels = value.rstrip(".").split(".")
    return all(_HOST_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def split_host_port(value: str, default_port: int = 443) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` → (host, port); raises ValueError when malformed."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError("expected [address]:port")
        port_text = rest[1:] if rest else ""
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    else:
        host, port_text = value, ""
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError("port must be 1 … 65535")
        port = int(port_text)
    else:
        port = default_port
    if not is_hostname(host):
        raise ValueError("not a valid host name or IP address")
    return host, port


def check_url(value: str, schemes: tuple[str, ...]) -> str:
    if _CONTROL.search(value) or " " in value:
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes:
        raise ValueError(f"must start with {' or '.join(s + '://' for s in schemes)}")
    if not parts.hostname:
        raise ValueError("must include a host name")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value


def check_target(monitor_type: str, target: str) -> str:
    """API.md's target rules per type; raises ValueError with a readable reason."""
    if monitor_type in ("http", "https"):
        return check_url(target, (monitor_type,))
    if "://" in target or "/" in target:
        raise ValueError(f"a {monitor_type} target is a host name or IP address, without a scheme or path")
    if monitor_type == "ping":
        if not is_hostname(target):
            raise ValueError("not a valid host name or IP address")
        return target
    if monitor_type == "dns":
        if not is_hostname(target.rstrip(".")) or _is_ip(target):
            raise ValueError("a dns target is a domain name such as example.com")
        return target
    if monitor_type == "tcp":
        host, port = split_host_port(target, default_port=0)
        if port == 0:
            raise ValueError("a tcp target is host:port (an IPv6 address as [address]:port)")
        return target
    split_host_port(target)
    return target


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Target = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class ThresholdsIn(Strict):
    ok_ms: float | None = Field(None, gt=0, le=600_000)
    degraded_ms: float | None = Field(None, gt=0, le=600_000)
    ping_count: int | None = Field(None, ge=1, le=10)
    ssl_ok_days: int | None = Field(None, ge=0, le=3650)
    ssl_warning_days: int | None = Field(None, ge=0, le=3650)


def check_threshold_order(values: dict) -> dict[str, str]:
    """Errors for thresholds out of order, keyed by the field to blame."""
    errors = {}
    ok, degraded = values.get("ok_ms"), values.get("degraded_ms")
    if ok is not None and degraded is not None and not ok < degraded:
        errors["ok_ms"] = f"must be less than degraded_ms ({degraded:g})"
    ok_days, warn_days = values.get("ssl_ok_days"), values.get("ssl_warning_days")
    if ok_days is not None and warn_days is not None and not ok_days > warn_days:
        errors["ssl_ok_days"] = f"must be greater than ssl_warning_days ({warn_days})"
    return errors


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DNS_RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS")
MAX_HTTP_BODY = 64 * 1024
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
#: Set by the check itself; a monitor can't override them.
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
DEFAULT_EXPECTED_STATUS = "200-399"
DEFAULT_TIMEOUT_SECONDS = 10
MAX_HEARTBEAT_PERIOD = 31 * 86400
MAX_CONFIRM_CHECKS = 20


def parse_status_ranges(text: str) -> list[tuple[int, int]]:
    """``"200-299,301"`` → ``[(200, 299), (301, 301)]``; raises ValueError on anything else."""
    ranges = []
    for part in text.replace(" ", "").split(","):
        low, sep, high = part.partition("-")
        if not (low.isdigit() and (not sep or high.isdigit())):
            raise ValueError("must be status codes or ranges like 200-299,301")
        low_n, high_n = int(low), int(high) if sep else int(low)
        if not (100 <= low_n <= high_n <= 599):
            raise ValueError("status codes are 100 … 599, each range low-high")
        ranges.append((low_n, high_n))
    if not ranges or len(ranges) > 50:
        raise ValueError("must list 1 to 50 codes or ranges")
    return ranges


def _text(limit: int):
    return Annotated[str, StringConstraints(max_length=limit)]


def _no_control(value: str | None, what: str = "must not contain control characters") -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError(what)
    return value


class BasicAuth(Strict):
    username: _text(200)
    #: Write-only, stored encrypted. Omitted (or null) on an update keeps the stored one.
    password: _text(200) | None = None

    @field_validator("username")
    @classmethod
    def _user(cls, value: str) -> str:
        if not value or ":" in value or _CONTROL.search(value):
            raise ValueError("must be 1–200 characters without ':' or control characters")
        return value

    _password = field_validator("password")(classmethod(lambda cls, v: _no_control(v)))


class HttpOptions(Strict):
    """What an HTTP(S) check sends and what it expects; every field optional."""

    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[str, _text(4096)] = Field(default_factory=dict, max_length=50)
    body: _text(MAX_HTTP_BODY) | None = None
    expected_status: _text(500) = DEFAULT_EXPECTED_STATUS
    follow_redirects: bool = True
    verify_tls: bool = True
    keyword: _text(1000) | None = None
    keyword_mode: Literal["present", "absent"] = "present"
    json_path: _text(500) | None = None
    json_expected: _text(1000) | None = None
    basic_auth: BasicAuth | None = None

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict) -> dict:
        for name, text_ in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"header name {name[:40]!r} is not a valid HTTP token")
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name} is set by the check itself")
            if _CONTROL.search(text_.replace("\t", "")):
                raise ValueError(f"header {name} must not contain line breaks or control characters")
        if sum(len(n) + len(v) for n, v in value.items()) > 16 * 1024:
            raise ValueError("headers must total at most 16 KiB")
        return value

    @field_validator("expected_status")
    @classmethod
    def _status(cls, value: str) -> str:
        parse_status_ranges(value)
        return value

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str | None) -> str | None:
        if value is not None and not value:
            raise ValueError("must not be empty (leave it out instead)")
        return value

    @field_validator("json_path")
    @classmethod
    def _json_path(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
        from jsonpath_ng.ext import parse

        try:
            parse(value)
        except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # noqa: B014 - library raises plain Exception too
            raise ValueError(f"is not a valid JSONPath ({str(exc).splitlines()[0][:100]})") from None
        return value

    @model_validator(mode="after")
    def _pairs(self) -> HttpOptions:
        errors = {}
        if self.json_expected is not None and self.json_path is None:
            errors["json_path"] = "is needed with json_expected"
        if self.body is not None and self.method in ("GET", "HEAD", "OPTIONS"):
            errors["body"] = f"can't be sent with {self.method}; use POST, PUT, PATCH or DELETE"
        if errors:
            raise FieldErrors(errors)
        return self


class DnsOptions(Strict):
    record_type: Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS"] = "A"
    #: ``host``, ``host:port`` or ``[v6]:port`` of the resolver to ask; the system's when omitted.
    server: _text(300) | None = None
    #: Values that must all be in the answer (compared case-insensitively, without a trailing dot).
    expected: list[_text(255)] | None = Field(None, max_length=20)

    @field_validator("server")
    @classmethod
    def _server(cls, value: str | None) -> str | None:
        if value is not None:
            split_host_port(value, 53)
        return value

    @field_validator("expected")
    @classmethod
    def _expected(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            for item in value:
                if not item.strip() or _CONTROL.search(item):
                    raise ValueError("values must be non-empty text without control characters")
        return value


class MonitorIn(Strict):
    """A monitor as created, or as a PUT leaves it after merging the given fields into the stored ones."""

    name: Name
    type: Literal["ping", "http", "https", "ssl", "tcp", "dns", "heartbeat"]
    #: Required for every type but ``heartbeat``, which has none (the job calls us).
    target: Annotated[str, StringConstraints(max_length=2048)] = ""
    #: For a heartbeat: the period the job is expected to ping in.
    interval_seconds: int = Field(60, ge=10, le=MAX_HEARTBEAT_PERIOD)
    #: Omitted: 10 s, or less to stay below a short interval. Only a given timeout can be too long.
    timeout_seconds: int | None = Field(None, ge=1, le=60)
    enabled: bool = True
    agent_id: int | None = Field(None, ge=1, le=MAX_ID)
    thresholds: ThresholdsIn = Field(default_factory=ThresholdsIn)
    http: HttpOptions | None = None
    dns: DnsOptions | None = None
    #: Heartbeat: how long past the period a ping may be late before the monitor is down.
    grace_seconds: int = Field(60, ge=5, le=86400)
    #: Public badges (``/badge/<badge_key>/<kind>.svg``); off: their URLs answer 404, the key is kept.
    badges: bool = False
    #: Where its alerts go; omitted on create: the default channels.
    channel_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(None, max_length=100)
    #: Its own alert policy; None: Settings > Alerts decides.
    alert_type: Literal["once", "repeated", "none"] | None = None
    repeat_minutes: int | None = Field(None, ge=1, le=1440)
    alert_on_restored: bool | None = None
    #: Alert only after this many consecutive down checks (1: at once).
    confirm_checks: int = Field(1, ge=1, le=MAX_CONFIRM_CHECKS)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value

    @model_validator(mode="after")
    def _cross_field(self) -> MonitorIn:
        errors = {}
        if self.type == "heartbeat":
            if self.target:
                errors["target"] = "a heartbeat has no target: the job calls its push URL"
            if self.agent_id is not None:
                errors["agent_id"] = "heartbeats are received by the server, not by agents"
            if self.timeout_seconds is None:
                self.timeout_seconds = min(DEFAULT_TIMEOUT_SECONDS, self.interval_seconds - 1)
        else:
            if not self.target:
                errors["target"] = "is required"
            else:
                try:
                    check_target(self.type, self.target)
                except ValueError as exc:
                    errors["target"] = str(exc)
            if self.interval_seconds > 86400:
                errors["interval_seconds"] = "must be at most 86400 (a day) for checks the server runs"
            if self.timeout_seconds is None:
                self.timeout_seconds = min(DEFAULT_TIMEOUT_SECONDS, self.interval_seconds - 1)
            elif self.timeout_seconds >= self.interval_seconds:
                errors["timeout_seconds"] = "must be less than interval_seconds"
        if self.http is not None and self.type not in ("http", "https"):
            errors["http"] = "only for http and https monitors"
        if self.dns is not None and self.type != "dns":
            errors["dns"] = "only for dns monitors"
        order = check_threshold_order(self.thresholds.model_dump())
        errors.update({f"thresholds.{k}": v for k, v in order.items()})
        if errors:
            raise FieldErrors(errors)
        return self


class FieldErrors(ValueError):
    """Several field errors at once, raised from a model validator and unpacked by the API."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class MonitoringSettings(Strict):
    ok_ms: float = Field(80, gt=0, le=600_000)
    degraded_ms: float = Field(200, gt=0, le=600_000)
    ping_count: int = Field(5, ge=1, le=10)
    ssl_ok_days: int = Field(30, ge=0, le=3650)
    ssl_warning_days: int = Field(14, ge=0, le=3650)

    @model_validator(mode="after")
    def _order(self) -> MonitoringSettings:
        errors = check_threshold_order(self.model_dump())
        if errors:
            raise FieldErrors(errors)
        return self


def _optional_email(value: str) -> str:
    if value and not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


CHANNEL_KINDS = ("webhook", "email", "apprise")
CHANNEL_EVENTS = ("down", "degraded", "up", "ssl_expiring")
MAX_RECIPIENTS = 10


class ChannelIn(Strict):
    """A notification channel as POST/PUT /api/channels take it.

    ``config`` is ``{"url"}`` for webhook and apprise, ``{"to"}`` (one or more addresses, comma
    separated) for email; unknown keys are refused so a typo doesn't silently do nothing.
    """

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    kind: Literal["webhook", "email", "apprise"]
    config: dict[str, Any]
    events: list[Literal["down", "degraded", "up", "ssl_expiring"]] = Field(
        default_factory=lambda: list(CHANNEL_EVENTS), min_length=1, max_length=4
    )
    default: bool = False
    #: On create: give it to every existing monitor too.
    apply_to_existing: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value.strip()

    @field_validator("events")
    @classmethod
    def _events(cls, values: list[str]) -> list[str]:
        return [e for e in CHANNEL_EVENTS if e in values]

    @model_validator(mode="after")
    def _config(self) -> ChannelIn:
        from shared.channels import apprise_service, split_recipients

        wanted = "to" if self.kind == "email" else "url"
        errors = {f"config.{k}": "unknown field" for k in self.config if k != wanted}
        value = self.config.get(wanted)
        if not isinstance(value, str) or not value.strip():
            errors[f"config.{wanted}"] = "is required"
        elif len(value) > 2048:
            errors[f"config.{wanted}"] = "must be at most 2048 characters"
        elif _CONTROL.search(value):
            errors[f"config.{wanted}"] = "must not contain control characters"
        else:
            value = value.strip()
            try:
                if self.kind == "webhook":
                    check_url(value, ("http", "https"))
                elif self.kind == "apprise":
                    apprise_service(value)
                else:
                    recipients = split_recipients(value)
                    if len(recipients) > MAX_RECIPIENTS:
                        raise ValueError(f"at most {MAX_RECIPIENTS} addresses")
                    for address in recipients:
                        if not _EMAIL.match(address):
                            raise ValueError(f"{address[:100]!r} is not an email address")
                    value = ", ".join(recipients)
            except ValueError as exc:
                errors[f"config.{wanted}"] = str(exc)
        if errors:
            raise FieldErrors(errors)
        self.config = {wanted: value}
        return self


class AlertSettings(Strict):
    alert_type: Literal["once", "repeated", "none"] = "once"
    repeat_minutes: int = Field(30, ge=1, le=1440)
    alert_on_restored: bool = True
    include_history: Literal["event", "24h"] = "event"
    webhook_url: str = Field("", max_length=2048)
    smtp_host: str = Field("", max_length=253)
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str = Field("", max_length=320)
    smtp_password: str | None = Field(None, max_length=1024)
    smtp_use_tls: bool = True
    smtp_from: str = Field("", max_length=320)
    alert_email: str = Field("", max_length=320)

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: str) -> str:
        return check_url(value, ("http", "https")) if value else value

    @field_validator("smtp_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if value and not is_hostname(value):
            raise ValueError("not a valid host name or IP address")
        return value

    @field_validator("smtp_from", "alert_email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _optional_email(value)

    @field_validator("smtp_username")
    @classmethod
    def _no_control(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value


class AgentSettings(Strict):
    shared_secret: str | None = Field(None, max_length=1024)
    allowed_agent_uuids: list[str] = Field(default_factory=list, max_length=10_000)

    @field_validator("shared_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value and len(value) < 8:
            raise ValueError("must be at least 8 characters")
        return value

    @field_validator("allowed_agent_uuids")
    @classmethod
    def _uuids(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(normalise_uuid(v) for v in values))


def normalise_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValueError(f"{value!r} is not a UUID") from None


SECTIONS = {"monitoring": MonitoringSettings, "alerts": AlertSettings, "agents": AgentSettings}
#: Write-only fields: stored encrypted, answered only as ``<name>_set``.
SECRET_FIELDS = {"alerts": ("smtp_password",), "agents": ("shared_secret",)}


class AgentRegistration(Strict):
    uuid: str
    name: str = Field("", max_length=200)

    @field_validator("uuid")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return normalise_uuid(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _CONTROL.sub(" ", value)


#: Whole days between any two dates a certificate can carry (years 1 to 9999), either way: a leaf
#: with notAfter 9999-12-31 (a common "never expires") has about 2.9 million days left.
MAX_DAYS_LEFT = (date.max - date.min).days + 1
#: No agent result is older than this: an agent whose clock was never set (1970) is refused.
EARLIEST_RESULT = datetime(2000, 1, 1, tzinfo=UTC)
#: Results in one report; the agent sends its buffer in batches of this size.
MAX_REPORT_RESULTS = 500


class AgentResult(Strict):
    """One check result reported by an agent; ``id`` is made by the agent and makes re-sends idempotent.

    The gateway validates each result of a report on its own (see :class:`AgentReport`), so the bounds
    here refuse one result, never its batch. They accept anything a real check can produce.
    """

    id: Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
    monitor_id: int = Field(ge=1, le=MAX_ID)
    checked_at: datetime = Field(strict=False)
    slot_at: datetime | None = Field(None, strict=False)
    status: Literal["ok", "degraded", "down"]
    latency_ms: float | None = Field(None, ge=0, le=3_600_000)
    details: str = Field("", max_length=500)
    days_left: int | None = Field(None, ge=-MAX_DAYS_LEFT, le=MAX_DAYS_LEFT)

    @field_validator("checked_at", "slot_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        if value.tzinfo is None:
            raise ValueError("must include a timezone (e.g. end with Z)")
        if value < EARLIEST_RESULT:
            raise ValueError("must not be before 2000 (is the agent's clock set?)")
        return value

    @field_validator("details")
    @classmethod
    def _storable(cls, value: str) -> str:
        # PostgreSQL text can't hold NUL; the rest of an error message is still worth keeping.
        return value.replace("\x00", "\ufffd")


class AgentReport(Strict):
    """The envelope of ``POST /api/agents/report``: a JSON object with up to 500 results.

    Only the envelope is validated as a whole (a bad one is 422 for the request); each item is then
    validated as an :class:`AgentResult` on its own and refused alone if it is wrong.
    """

    results: list[Any] = Field(max_length=MAX_REPORT_RESULTS)


# --- Accounts, sessions and tokens -------------------------------------------------------------

ROLES = ("admin", "viewer")
TOKEN_SCOPES = ("read", "write")
MIN_PASSWORD_LENGTH = 10
#: Long enough for any passphrase; short enough that hashing it can't be used to burn CPU.
MAX_PASSWORD_LENGTH = 256
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def check_username(value: str) -> str:
    if not _USERNAME.match(value):
        raise ValueError("1–64 letters, digits and . _ @ -, starting with a letter or digit")
    return value


def check_password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(value) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


Username = Annotated[str, StringConstraints(max_length=64)]
Password = Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]


class LoginIn(Strict):
    username: Username
    password: Password
    #: A 6-digit TOTP code or one of the recovery codes, when the account has two-factor on.
    totp: Annotated[str, StringConstraints(max_length=64)] | None = None


class SetupIn(Strict):
    username: Username
    password: Password
    setup_code: Annotated[str, StringConstraints(max_length=64)]

    _username = field_validator("username")(check_username)
    _password = field_validator("password")(check_password)


class PasswordChangeIn(Strict):
    current_password: Password
    new_password: Password

    _password = field_validator("new_password")(check_password)


class UserIn(Strict):
    username: Username
    password: Password
    role: Literal["admin", "viewer"] = "viewer"

    _username = field_validator("username")(check_username)
    _password = field_validator("password")(check_password)


class UserUpdate(Strict):
    """Any subset: a new role, a password reset, (de)activation, turning two-factor off."""

    role: Literal["admin", "viewer"] | None = None
    password: Password | None = None
    active: bool | None = None
    totp_enabled: Literal[False] | None = None

    @field_validator("password")
    @classmethod
    def _password(cls, value):
        return None if value is None else check_password(value)


class TokenIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    scope: Literal["read", "write"]
    expires_at: datetime | None = None

    model_config = ConfigDict(strict=False, extra="ignore")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if _CONTROL.search(value) or not value.strip():
            raise ValueError("must be text without control characters")
        return value.strip()

    @field_validator("expires_at", mode="before")
    @classmethod
    def _expires_text(cls, value):
        if value is not None and not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date and time, e.g. 2027-01-31T00:00:00Z")
        return value

    @field_validator("expires_at")
    @classmethod
    def _expires(cls, value: datetime | None):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("must include a time zone, e.g. 2027-01-31T00:00:00Z")
        if value.year > 9000:
            raise ValueError("is too far in the future")
        return value


class TotpCodeIn(Strict):
    code: Annotated[str, StringConstraints(max_length=64)]


class PasswordIn(Strict):
    password: Password


# --- Status pages (shared/status_pages.py) ---------------------------------------------------

STATUS_PAGE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_PAGE_MONITORS = 1000
MAX_PAGE_GROUPS = 50
#: Control characters other than tab and line breaks (allowed in multi-line text).
_CONTROL_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _one_line_name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL_NOT_TEXT.search(value):
        raise ValueError("must not contain control characters")
    return value


def _aware_datetime(value) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date and time, e.g. 2027-01-31T10:00:00Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date and time, e.g. 2027-01-31T10:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError("must include a time zone, e.g. 2027-01-31T10:00:00Z")
    if not 2000 <= parsed.year <= 9000:
        raise ValueError("is out of range")
    return parsed.astimezone(UTC)


class StatusPageMonitorIn(Strict):
    monitor_id: int = Field(ge=1, le=MAX_ID)
    #: Shown instead of the monitor's name; omitted or null: the monitor's name.
    display_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    #: Show the monitor's target (URL, host) on the public page.
    show_target: bool = False

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        return _one_line_name(value)


class StatusPageGroupIn(Strict):
    name: Name
    monitors: list[StatusPageMonitorIn] = Field(default_factory=list, max_length=MAX_PAGE_MONITORS)

    _name = field_validator("name")(classmethod(lambda cls, v: _one_line_name(v)))


class StatusPageIn(Strict):
    """A public status page at ``/status/<slug>``."""

    slug: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    title: Name
    description: _text(5000) = ""
    logo_url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    groups: list[StatusPageGroupIn] = Field(default_factory=list, max_length=MAX_PAGE_GROUPS)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not STATUS_PAGE_SLUG.match(value):
            raise ValueError(
                "must be 1 to 64 lowercase letters, digits or '-', starting with a letter or digit"
            )
        return value

    _title = field_validator("title")(classmethod(lambda cls, v: _one_line_name(v)))
    _description = field_validator("description")(classmethod(lambda cls, v: _multi_line(v)))

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        return check_url(value, ("http", "https"))

    @model_validator(mode="after")
    def _monitors(self) -> StatusPageIn:
        errors, seen, total = {}, set(), 0
        for g, group in enumerate(self.groups):
            for m, entry in enumerate(group.monitors):
                total += 1
                if entry.monitor_id in seen:
                    errors.setdefault(f"groups.{g}.monitors.{m}.monitor_id", "is already on this page")
                seen.add(entry.monitor_id)
        if total > MAX_PAGE_MONITORS:
            errors = {"groups": f"at most {MAX_PAGE_MONITORS} monitors on one page (got {total})"}
        if errors:
            raise FieldErrors(errors)
        return self


class AnnouncementIn(Strict):
    """A notice on a status page; ``body`` is markdown (rendered without raw HTML)."""

    title: Name
    body: _text(20000) = ""
    severity: Literal["info", "warning", "critical", "maintenance"] = "info"
    #: Omitted: now.
    starts_at: datetime | None = None
    #: Omitted or null: until deleted or given an end.
    ends_at: datetime | None = None

    _title = field_validator("title")(classmethod(lambda cls, v: _one_line_name(v)))
    _body = field_validator("body")(classmethod(lambda cls, v: _multi_line(v)))
    _times = field_validator("starts_at", "ends_at", mode="before")(
        classmethod(lambda cls, v: _aware_datetime(v))
    )

    @model_validator(mode="after")
    def _order(self) -> AnnouncementIn:
        if self.starts_at is not None and self.ends_at is not None and self.ends_at <= self.starts_at:
            raise FieldErrors({"ends_at": "must be after starts_at"})
        return self


# --- Maintenance windows -------------------------------------------------------------------------

MAX_MAINTENANCE_MONITORS = 5000


class MaintenanceRecurrenceIn(Strict):
    """A recurring window: ``cron`` (5 fields, local time) or ``weekdays`` + ``time``, in ``timezone``."""

    cron: Annotated[str, StringConstraints(max_length=200)] | None = None
    weekdays: list[Annotated[str, StringConstraints(max_length=20)]] | None = Field(
        default=None, max_length=7
    )
    time: Annotated[str, StringConstraints(max_length=10)] | None = None
    duration_minutes: int
    timezone: Annotated[str, StringConstraints(max_length=64)] = "UTC"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from croniter import croniter

        value = " ".join(value.split())
        if len(value.split(" ")) != 5 or not croniter.is_valid(value):
            raise ValueError("is not a cron expression of 5 fields (minute hour day month weekday)")
        from shared.maintenance import CRON_ERRORS

        try:
            croniter(value, datetime(2027, 1, 1)).get_next(datetime)
        except CRON_ERRORS:
            raise ValueError("never fires (e.g. 30 February)") from None
        return value

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        from shared.maintenance import WEEKDAYS

        full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        out = []
        for name in value:
            key = name.strip().lower()
            if key not in WEEKDAYS and key not in full:
                raise ValueError(f"unknown weekday {name!r}: use mon, tue, wed, thu, fri, sat, sun")
            short = key[:3]
            if short not in out:
                out.append(short)
        if not out:
            raise ValueError("must name at least one weekday")
        return out

    @field_validator("time")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from shared.maintenance import parse_time

        parse_time(value)
        return value

    @field_validator("duration_minutes")
    @classmethod
    def _duration(cls, value: int) -> int:
        from shared.maintenance import MAX_DURATION_MINUTES

        if not 1 <= value <= MAX_DURATION_MINUTES:
            raise ValueError(f"must be between 1 and {MAX_DURATION_MINUTES} minutes (7 days)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name, e.g. Europe/Berlin)") from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> MaintenanceRecurrenceIn:
        if (self.cron is None) == (self.weekdays is None):
            raise FieldErrors({"cron": "give either cron or weekdays with time, not both or neither"})
        if self.weekdays is not None and self.time is None:
            raise FieldErrors({"time": "is required with weekdays"})
        if self.cron is not None and self.time is not None:
            raise FieldErrors({"time": "only goes with weekdays (a cron expression has its own time)"})
        return self


class MaintenanceIn(Strict):
    """A maintenance window: one-off (``start``, ``end``) or ``recurrence``; for ``monitor_ids`` or
    ``all_monitors``."""

    title: Name
    monitor_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None, max_length=MAX_MAINTENANCE_MONITORS
    )
    all_monitors: bool = False
    start: datetime | None = None
    end: datetime | None = None
    recurrence: MaintenanceRecurrenceIn | None = None

    _title = field_validator("title")(classmethod(lambda cls, v: _one_line_name(v)))
    _times = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: _aware_datetime(v)))

    @model_validator(mode="after")
    def _rules(self) -> MaintenanceIn:
        errors = {}
        if self.all_monitors and self.monitor_ids is not None:
            errors["monitor_ids"] = "give monitor_ids or all_monitors: true, not both"
        elif not self.all_monitors and not self.monitor_ids:
            errors["monitor_ids"] = "give a non-empty monitor_ids or all_monitors: true"
        if self.recurrence is not None:
            if self.start is not None or self.end is not None:
                errors["start"] = "a recurring window has no start/end; its recurrence says when"
        elif self.start is None or self.end is None:
            for name in ("start", "end"):
                if getattr(self, name) is None:
                    errors[name] = "is required for a one-off window (or give a recurrence)"
        elif self.end <= self.start:
            errors["end"] = "must be after start"
        if errors:
            raise FieldErrors(errors)
        if self.monitor_ids is not None:
            self.monitor_ids = sorted(set(self.monitor_ids))
        return self
