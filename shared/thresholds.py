"""Threshold values and how a monitor's overrides fall back to the system defaults.

A monitor stores each threshold as ``None`` to mean "use the current system default", so changing a
default in Settings > Monitoring moves every monitor that has not overridden it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

DEFAULT_OK_MS = 80
DEFAULT_DEGRADED_MS = 200
DEFAULT_PING_COUNT = 5
DEFAULT_SSL_OK_DAYS = 30
DEFAULT_SSL_WARNING_DAYS = 14


@dataclass(frozen=True)
class Thresholds:
    """Fully resolved thresholds: every field has a value."""

    ok_ms: float = DEFAULT_OK_MS
    degraded_ms: float = DEFAULT_DEGRADED_MS
    ping_count: int = DEFAULT_PING_COUNT
    ssl_ok_days: int = DEFAULT_SSL_OK_DAYS
    ssl_warning_days: int = DEFAULT_SSL_WARNING_DAYS

    def as_dict(self) -> dict:
        return asdict(self)


THRESHOLD_FIELDS = tuple(f.name for f in fields(Thresholds))


def resolve(overrides: dict | None, defaults: Thresholds) -> Thresholds:
    """Each override that is not None wins; the rest come from ``defaults``."""
    overrides = overrides or {}
    values = {
        name: overrides[name] if overrides.get(name) is not None else getattr(defaults, name)
        for name in THRESHOLD_FIELDS
    }
    return Thresholds(**values)
