"""Process configuration from the environment (the README's variables plus what the stack needs).

Runtime settings that users edit (thresholds, alerts, agents) live in the database, not here.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


class ConfigError(Exception):
    """A configuration problem, worded as one line that a user can act on."""


_DRIVER_MAP = {
    # The seed README documents asyncpg URLs; this implementation uses psycopg2 (design card).
    "postgresql+asyncpg": "postgresql+psycopg2",
    "postgres": "postgresql+psycopg2",
    "postgresql": "postgresql+psycopg2",
    "postgresql+psycopg2": "postgresql+psycopg2",
    "sqlite": "sqlite",
}


def normalise_database_url(url: str) -> str:
    """Map README-style URLs (``postgresql+asyncpg://``, ``postgres://``) to the psycopg2 driver."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(f"DATABASE_URL is not a URL: {redact_url(url)!r}")
    driver = _DRIVER_MAP.get(scheme.lower())
    if driver is None:
        raise ConfigError(
            f"DATABASE_URL scheme {scheme!r} is not supported (use postgresql://, "
            "postgresql+asyncpg:// or sqlite:///path)"
        )
    return f"{driver}://{rest}"


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***``, safe for logs and error messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0].split(":", 1)[0] + ":***"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{netloc[1]}"))


def parse_networks(raw: str, name: str) -> tuple:
    """A comma- or space-separated list of addresses and CIDR networks, as ``ip_network`` objects."""
    networks = []
    for item in raw.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return tuple(networks)


def _public_url(raw: str | None) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"PUBLIC_URL must be an http(s) URL such as https://status.example.com, got {raw!r}"
        )
    return raw.strip().rstrip("/") + "/"


def _int_env(env, name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True)
class PoolLimits:
    """The PostgreSQL connections one process may hold: ``size`` kept open, ``overflow`` more
    opened under load and closed after; past ``size + overflow`` a caller waits up to ``timeout``
    seconds for one to come back. Each process has its own pool (every gunicorn process of web and
    the gateway, every worker, beat), so the database sees at most the sum over processes."""

    size: int = 5
    overflow: int = 10
    timeout: int = 30

    @property
    def most(self) -> int:
        return self.size + self.overflow


def pool_limits(env=None) -> PoolLimits:
    """``DB_POOL_SIZE``, ``DB_MAX_OVERFLOW`` and ``DB_POOL_TIMEOUT`` from the environment."""
    env = os.environ if env is None else env
    default = PoolLimits()
    limits = PoolLimits(
        size=_int_env(env, "DB_POOL_SIZE", default.size, 1, 1000),
        overflow=_int_env(env, "DB_MAX_OVERFLOW", default.overflow, 0, 1000),
        timeout=_int_env(env, "DB_POOL_TIMEOUT", default.timeout, 1, 3600),
    )
    if limits.most < 2:
        # Migrating at start holds its lock on one connection while Alembic works on another.
        raise ConfigError("DB_POOL_SIZE + DB_MAX_OVERFLOW must be at least 2")
    return limits


@dataclass(frozen=True)
class Config:
    mode: str
    web_port: int
    coms_port: int
    database_url: str
    redis_url: str | None
    server_host: str | None
    shared_secret: str | None
    data_dir: Path
    secret_key: bytes
    worker_concurrency: int
    bind_host: str
    result_retention_days: int = 7
    #: Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For/-Proto are believed.
    trusted_proxies: tuple = ()
    #: Header a trusted proxy sets to the signed-in user's name (single sign-on), or None.
    auth_proxy_header: str | None = None
    session_days: int = 14
    #: The address users reach the web UI at (``https://status.example.com``), for links in
    #: alerts and push URLs; unset: the address of each request.
    public_url: str | None = None
    #: Addresses or networks (CIDR) that may read /metrics without a token (Prometheus).
    metrics_allow: tuple = ()
    #: Each process's PostgreSQL pool (``shared.db.make_engine`` reads the same variables).
    db_pool: PoolLimits = PoolLimits()

    @property
    def embedded(self) -> bool:
        """No Redis configured: Celery uses a broker kept in the data directory."""
        return self.redis_url is None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def broker_url(self) -> str:
        return self.redis_url or "filesystem://"


def load_secret_key(env, data_dir: Path) -> bytes:
    """``SECRET_KEY`` if set, else a random key generated once and kept in the data directory.

    It keys the encryption of stored secrets, so losing it makes them unreadable: it is kept with
    mode 0600 beside the SQLite file, and must be backed up with the database.
    """
    raw = env.get("SECRET_KEY")
    if raw:
        return raw.encode()
    return private_file_once(data_dir / "secret_key", lambda: secrets.token_urlsafe(48)).encode()


def private_file_once(path: Path, make) -> str:
    """The stripped text of ``path``; if missing, created (mode 0600) with ``make()``.

    Several processes may start at once: each writes a private temp file and links it into place;
    ``os.link`` fails for all but the first, and then the first one's content is what all read.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def load(env=None) -> Config:
    env = os.environ if env is None else env
    mode = (env.get("MODE") or "server").strip().lower()
    data_dir = Path(env.get("DATA_DIR") or Path.cwd() / "data").resolve()
    raw_db = env.get("DATABASE_URL")
    database_url = normalise_database_url(raw_db) if raw_db else f"sqlite:///{data_dir / 'onlinetracker.db'}"
    return Config(
        mode=mode,
        web_port=_int_env(env, "WEB_PORT", 8000, 1, 65535),
        coms_port=_int_env(env, "COMS_PORT", 19443, 1, 65535),
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or env.get("CELERY_BROKER_URL") or None,
        server_host=env.get("SERVER_HOST") or None,
        shared_secret=env.get("SHARED_SECRET") or None,
        data_dir=data_dir,
        secret_key=load_secret_key(env, data_dir) if mode != "agent" else b"",
        worker_concurrency=_int_env(env, "WORKER_CONCURRENCY", 10, 1, 1000),
        bind_host=env.get("BIND_HOST") or "0.0.0.0",
        result_retention_days=_int_env(env, "RESULT_RETENTION_DAYS", 7, 1, 3650),
        trusted_proxies=parse_networks(env.get("TRUSTED_PROXIES") or "", "TRUSTED_PROXIES"),
        auth_proxy_header=(env.get("AUTH_PROXY_HEADER") or "").strip() or None,
        session_days=_int_env(env, "SESSION_DAYS", 14, 1, 3650),
        public_url=_public_url(env.get("PUBLIC_URL")),
        metrics_allow=parse_networks(env.get("METRICS_ALLOW") or "", "METRICS_ALLOW"),
        db_pool=pool_limits(env),
    )
