"""Monitors between the database, the API and the checks."""

from __future__ import annotations

from shared.checks import CheckSpec
from shared.models import Monitor, MonitorState, utcnow
from shared.schemas import MonitorIn
from shared.thresholds import THRESHOLD_FIELDS, Thresholds, resolve
from shared.timefmt import iso


def location_of(monitor: Monitor) -> int:
    """Where a monitor is checked: 0 for the server's workers, else the agent's id."""
    return monitor.agent_id or 0


def overrides(monitor: Monitor) -> dict:
    return {name: getattr(monitor, name) for name in THRESHOLD_FIELDS}


def check_spec(monitor: Monitor, defaults: Thresholds) -> CheckSpec:
    return CheckSpec(
        type=monitor.type,
        target=monitor.target,
        timeout_seconds=monitor.timeout_seconds,
        thresholds=resolve(overrides(monitor), defaults),
    )


def spec_from_input(data: MonitorIn, defaults: Thresholds) -> CheckSpec:
    return CheckSpec(
        type=data.type,
        target=data.target,
        timeout_seconds=data.timeout_seconds,
        thresholds=resolve(data.thresholds.model_dump(), defaults),
    )


def for_agent(monitor: Monitor, defaults: Thresholds) -> dict:
    """What an agent needs to check a monitor: its thresholds resolved, nothing else."""
    return {
        "id": monitor.id,
        "name": monitor.name,
        "type": monitor.type,
        "target": monitor.target,
        "interval_seconds": monitor.interval_seconds,
        "timeout_seconds": monitor.timeout_seconds,
        "thresholds": resolve(overrides(monitor), defaults).as_dict(),
    }


def as_input(monitor: Monitor) -> dict:
    """The stored monitor in the shape of a create request, for merging a partial PUT into."""
    return {
        "name": monitor.name,
        "type": monitor.type,
        "target": monitor.target,
        "interval_seconds": monitor.interval_seconds,
        "timeout_seconds": monitor.timeout_seconds,
        "enabled": monitor.enabled,
        "agent_id": monitor.agent_id,
        "thresholds": overrides(monitor),
    }


def apply(monitor: Monitor, data: MonitorIn) -> None:
    monitor.name = data.name
    monitor.type = data.type
    monitor.target = data.target
    monitor.interval_seconds = data.interval_seconds
    monitor.timeout_seconds = data.timeout_seconds
    monitor.enabled = data.enabled
    monitor.agent_id = data.agent_id
    for name, value in data.thresholds.model_dump().items():
        setattr(monitor, name, value)


def serialize(monitor: Monitor, state: MonitorState | None, now=None, agent_name: str | None = None) -> dict:
    from shared.staleness import effective_status

    status = effective_status(
        state.status if state else None,
        monitor.enabled,
        state.last_checked_at if state else None,
        monitor.updated_at,
        monitor.interval_seconds,
        monitor.timeout_seconds,
        now or utcnow(),
    )
    return {
        "id": monitor.id,
        **as_input(monitor),
        "status": status,
        "last_checked_at": iso(state.last_checked_at) if state else None,
        "last_latency_ms": state.last_latency_ms if state else None,
        "last_details": state.last_details if state else None,
        "agent_name": agent_name,
        "created_at": iso(monitor.created_at),
        "updated_at": iso(monitor.updated_at),
    }
