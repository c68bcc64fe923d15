"""Deployment, checked without a Docker engine.

- docker-compose.yml and docker-compose.agent.yml, interpolated as compose does, are valid against
  the Compose Specification's JSON schema (vendored in tests/schemas/) and keep their promises:
  scalable workers, Flower on loopback only, health checks, migrations before the apps.
- The Dockerfile passes hadolint and docker/entrypoint.sh passes shellcheck (both from PyPI wheels).
- Every MODE of docker/entrypoint.sh is started the way the container starts it, against the real
  PostgreSQL and Redis, answers its health check and stops promptly on SIGTERM.
- Two workers and one beat share the checks: both run some, none runs twice, none is lost.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from fnmatch import fnmatch
from pathlib import Path

import pytest
import redis
import requests
import yaml
from celery import Celery
from jsonschema.validators import validator_for
from sqlalchemy import select

from shared import schedule
from shared.db import make_engine, session_factory
from shared.models import CheckResult, Monitor
from tests import services
from tests.peers.http_server import HttpPeer
from tests.processes import ROOT, start, stop, wait_http
from tests.services import free_port

ROOT_PATH = Path(ROOT)
ENTRYPOINT = str(ROOT_PATH / "docker" / "entrypoint.sh")
SCHEMA = ROOT_PATH / "tests" / "schemas" / "compose-spec.json"
#: check-jsonschema 0.39.0's vendored copy (tests/schemas/README.md says where it came from).
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"
BIN = Path(sys.executable).parent
README_DATABASE_URL = "postgresql+asyncpg://onlinetracker:onlinetracker@postgres:5432/onlinetracker"
APP_SERVICES = ("migrate", "web", "gateway", "worker", "beat", "flower")
MODES = ("server", "web", "gateway", "worker", "beat", "flower", "agent", "migrate")
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# --- Compose: interpolation as compose does it, then the Compose Specification's schema ----------

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.S)


class MissingVariable(Exception):
    pass


def interpolate(value, env: dict):
    """Compose's ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``,
    ``${VAR:+alt}`` and ``$$`` in every string value (keys are not interpolated)."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            return env.get(match["named"], "")
        braced = _BRACED.fullmatch(match["braced"])
        assert braced, f"not a compose variable: {match.group(0)}"
        name, op, arg = braced["name"], braced["op"], braced["arg"]
        current = env.get(name)
        missing = not current if op and op.startswith(":") else current is None
        if op is None:
            return current or ""
        if op.endswith("-"):
            return arg if missing else current
        if op.endswith("?"):
            if missing:
                raise MissingVariable(f"{name}: {arg}")
            return current
        return "" if missing else arg  # :+ / +

    return _VARIABLE.sub(substitute, value)


def load_compose(name: str = "docker-compose.yml", env: dict | None = None) -> dict:
    raw = yaml.safe_load((ROOT_PATH / name).read_text())  # merge keys (<<) resolved here
    return interpolate(raw, env or {})


def _leaves(error):
    """The innermost errors: under oneOf/anyOf the top one only says that no branch matched."""
    if not error.context:
        yield error
    for sub in error.context:
        yield from _leaves(sub)


def schema_errors(document: dict) -> list[str]:
    """Every violation, as ``path: message``, with the errors inside oneOf/anyOf branches too."""
    schema = json.loads(SCHEMA.read_text())
    validator = validator_for(schema)(schema)
    errors = [leaf for error in validator.iter_errors(document) for leaf in _leaves(error)]
    return sorted(f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors)


def env_example() -> dict:
    values = {}
    for line in (ROOT_PATH / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_vendored_schema_is_the_recorded_copy():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256


@pytest.mark.parametrize(
    "env",
    [{}, {"HOST_WEB_PORT": "9000", "SECRET_KEY": "k"}, env_example()],
    ids=["defaults", "overrides", "env-example"],
)
def test_compose_file_is_valid_against_the_compose_specification(env):
    assert schema_errors(load_compose(env=env)) == []


def test_compose_schema_rejects_what_compose_would_reject():
    """The validation is not vacuous: a misspelt key and a malformed value are both reported."""
    document = load_compose()
    document["services"]["worker"]["container_nmae"] = "x"
    document["services"]["web"]["depends_on"]["migrate"]["condition"] = "service_completed"
    errors = schema_errors(document)
    assert any(e.startswith("services/worker:") and "container_nmae" in e for e in errors), errors
    assert any(e.startswith("services/web/depends_on/migrate/condition:") for e in errors), errors


def test_compose_services_keep_the_deployment_promises():
    services = load_compose()["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}

    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker and "hostname" not in worker
    assert "replicas" not in services["beat"].get("deploy", {})  # exactly one beat

    assert services["web"]["ports"] == ["8000:8000"]
    assert services["gateway"]["ports"] == ["19443:19443"]
    assert services["flower"]["ports"] == ["127.0.0.1:5555:5555"]
    moved = load_compose(
        env={"HOST_WEB_PORT": "9000", "HOST_COMS_PORT": "29443", "HOST_FLOWER_PORT": "6555"}
    )["services"]
    assert moved["web"]["ports"] == ["9000:8000"]
    assert moved["gateway"]["ports"] == ["29443:19443"]
    assert moved["flower"]["ports"] == ["127.0.0.1:6555:5555"]
    assert services["flower"]["environment"]["FLOWER_ADDRESS"] == "0.0.0.0"  # reachable via the mapping
    assert services["flower"]["environment"]["FLOWER_BASIC_AUTH"] == ""  # no login unless .env sets one
    with_login = load_compose(env={"FLOWER_BASIC_AUTH": "ops:pw"})["services"]
    assert with_login["flower"]["environment"]["FLOWER_BASIC_AUTH"] == "ops:pw"

    for name, variable, port in (("web", "WEB_PORT", 8000), ("gateway", "COMS_PORT", 19443)):
        check = services[name]["healthcheck"]
        assert check["test"][0] == "CMD" and f"http://127.0.0.1:{port}/healthz" in " ".join(check["test"])
        assert services[name]["environment"][variable] == str(port)

    assert services["migrate"]["environment"]["MODE"] == "migrate"
    assert services["migrate"]["restart"] == "no"
    for name in APP_SERVICES:
        service = services[name]
        assert service["environment"]["MODE"] == ("worker" if name == "worker" else name)
        if name != "migrate":
            depends = service["depends_on"]
            assert depends["migrate"] == {"condition": "service_completed_successfully"}
            assert depends["postgres"] == {"condition": "service_healthy"}
            assert depends["redis"] == {"condition": "service_healthy"}

    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]


def test_every_app_service_shares_the_database_broker_key_and_data_volume():
    document = load_compose()
    services = document["services"]
    envs = [services[name]["environment"] for name in APP_SERVICES]
    assert {e["DATABASE_URL"] for e in envs} == {README_DATABASE_URL}
    assert {e["REDIS_URL"] for e in envs} == {"redis://redis:6379/0"}
    assert {e["SECRET_KEY"] for e in envs} == {""}  # unset: generated once into the shared volume
    assert {e["DATA_DIR"] for e in envs} == {"/app/data"}
    assert all(services[name]["volumes"] == ["appdata:/app/data"] for name in APP_SERVICES)
    assert set(document["volumes"]) == {"pgdata", "appdata"}
    keyed = load_compose(env={"SECRET_KEY": "from-dot-env"})["services"]
    assert {keyed[name]["environment"]["SECRET_KEY"] for name in APP_SERVICES} == {"from-dot-env"}


def test_env_example_names_only_variables_the_compose_file_reads():
    text = (ROOT_PATH / "docker-compose.yml").read_text()
    values = env_example()
    assert values["DATABASE_URL"] == README_DATABASE_URL
    unused = [key for key in values if "${" + key not in text]
    assert unused == []


def test_agent_compose_is_valid_and_keeps_the_uuid_in_a_named_volume():
    with pytest.raises(MissingVariable, match="SERVER_HOST"):
        load_compose("docker-compose.agent.yml")
    document = load_compose(
        "docker-compose.agent.yml", {"SERVER_HOST": "monitor.example.com", "SHARED_SECRET": "s"}
    )
    assert schema_errors(document) == []
    agent = document["services"]["agent"]
    assert agent["environment"]["MODE"] == "agent"
    assert agent["environment"]["COMS_PORT"] == "19443"
    assert agent["volumes"] == ["agentdata:/app/data"]
    assert document["volumes"]["agentdata"] == {"name": "onlinetracker-agent"}


# --- Dockerfile and entrypoint: linters and what the image promises -----------------------------


def _tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is missing: pip install -e '.[dev]' installs it"
    return str(path)


def test_dockerfile_passes_hadolint():
    version = subprocess.run([_tool("hadolint"), "--version"], capture_output=True, text=True).stdout
    assert "2.15" in version, version
    result = subprocess.run(
        [_tool("hadolint"), "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_hadolint_does_report_problems():
    bad = "FROM python\nRUN apt-get update && apt-get install -y curl\nCMD python app.py\n"
    result = subprocess.run([_tool("hadolint"), "--no-color", "-"], input=bad, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DL3006" in result.stdout and "DL3008" in result.stdout  # untagged image, unpinned apt


def test_entrypoint_passes_shellcheck():
    result = subprocess.run([_tool("shellcheck"), ENTRYPOINT], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in (ROOT_PATH / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        current += " " + stripped.removesuffix("\\")
        if not stripped.endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def test_dockerfile_builds_the_frontend_in_node_and_runs_python_as_non_root():
    steps = dockerfile_instructions()
    froms = [args for op, args in steps if op == "FROM"]
    assert froms[0].startswith("node:20") and froms[0].endswith(" AS frontend")
    assert froms[-1].startswith("python:3.11-slim")
    runs = " ".join(args for op, args in steps if op == "RUN")
    assert "npm ci" in runs and "npm run build" in runs
    # Dependencies from pyproject.toml in their own layer, then the package itself, not editable.
    assert "pip install --no-cache-dir -r /tmp/requirements.txt" in runs
    assert "pip install --no-cache-dir --no-deps . " in runs and "pip install -e" not in runs
    assert "iputils-ping" not in runs
    assert ("COPY", "--from=frontend /src/frontend/dist /app/frontend/dist") in steps
    assert ("WORKDIR", "/app") in steps
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    (healthcheck,) = [args for op, args in steps if op == "HEALTHCHECK"]
    assert '"/app/docker/entrypoint.sh", "healthcheck"' in healthcheck
    (entrypoint,) = [args for op, args in steps if op == "ENTRYPOINT"]
    assert json.loads(entrypoint)[-1] == "/app/docker/entrypoint.sh"


def test_dockerignore_keeps_what_the_build_needs():
    patterns = [
        line.strip()
        for line in (ROOT_PATH / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith("!")
    ]
    needed = [
        "pyproject.toml",
        "README.md",
        "celeryconfig.py",
        "onlinetracker/cli.py",
        "shared/migrations/env.py",
        "web/__init__.py",
        "worker/tasks.py",
        "agent_gateway/agent.py",
        "docker/entrypoint.sh",
        "frontend/package.json",
        "frontend/package-lock.json",
        "frontend/src/main.tsx",
    ]
    for path in needed:
        prefixes = ["/".join(path.split("/")[: i + 1]) for i in range(path.count("/") + 1)]
        hits = [p for p in patterns for prefix in prefixes if fnmatch(prefix, p.removeprefix("**/"))]
        assert not hits, f"{path} is excluded by {hits}"
    assert ".venv" in patterns and "data" in patterns and "frontend/node_modules" in patterns


# --- Every MODE, started the way the container starts it -----------------------------------------


@pytest.fixture
def role_env(tmp_path, db_url, redis_url):
    services.flush_prefix(redis_url)  # this run's queues only (REDIS_KEY_PREFIX, inherited below)
    return {
        # `python` on PATH is this interpreter, as /usr/local/bin/python is in the image.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # The README's form, as docker-compose.yml passes it.
        "DATABASE_URL": db_url.replace("postgresql+psycopg2://", "postgresql+asyncpg://"),
        "REDIS_URL": redis_url,
        "DATA_DIR": str(tmp_path / "data"),
        "WEB_PORT": str(free_port()),
        "COMS_PORT": str(free_port()),
        "FLOWER_PORT": str(free_port()),
        "WORKER_CONCURRENCY": "2",
        "SECRET_KEY": "",
    }


def start_mode(mode: str, env: dict, log_path: Path) -> subprocess.Popen:
    return start([ENTRYPOINT], {**env, "MODE": mode}, log_path)


def image_healthcheck(mode: str, env: dict) -> subprocess.CompletedProcess:
    """The image's HEALTHCHECK command, as Docker runs it inside the container."""
    return subprocess.run(
        [ENTRYPOINT, "healthcheck"],
        env={**os.environ, **env, "MODE": mode},
        capture_output=True,
        text=True,
        timeout=30,
    )


def compose_healthcheck(service: str, env: dict) -> subprocess.CompletedProcess:
    """docker-compose.yml's health check of ``service``, aimed at the port this test gave it."""
    compose = load_compose()["services"][service]
    variable = "WEB_PORT" if service == "web" else "COMS_PORT"
    inside, here = compose["environment"][variable], env[variable]
    argv = [part.replace(f":{inside}/", f":{here}/") for part in compose["healthcheck"]["test"][1:]]
    return subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=30)


def wait_for_log(path: Path, pattern: str, proc: subprocess.Popen, timeout: float = 30) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if found := re.search(pattern, text):
            return found
        assert proc.poll() is None, (
            f"exited with {proc.returncode} before logging {pattern!r}:\n{text[-3000:]}"
        )
        time.sleep(0.2)
    raise AssertionError(f"no {pattern!r} within {timeout} s:\n{path.read_text(errors='replace')[-3000:]}")


def healthz(url: str, proc: subprocess.Popen) -> requests.Response:
    """/healthz once the server answers (a 503 while it starts is retried for a few seconds)."""
    deadline = time.monotonic() + 10
    reply = wait_http(url, proc)
    while reply.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.3)
        reply = requests.get(url, timeout=5)
    return reply


HEALTHY = {"ok": True, "database": "ok", "broker": "ok"}


@pytest.mark.slow
@pytest.mark.parametrize("mode,variable", [("web", "WEB_PORT"), ("gateway", "COMS_PORT")])
def test_web_and_gateway_modes_answer_healthz(tmp_path, role_env, mode, variable):
    log = tmp_path / f"{mode}.log"
    proc = start_mode(mode, role_env, log)
    try:
        reply = healthz(f"http://127.0.0.1:{role_env[variable]}/healthz", proc)
        assert reply.status_code == 200 and reply.json() == HEALTHY, reply.text
        image_check, compose_check = image_healthcheck(mode, role_env), compose_healthcheck(mode, role_env)
        assert image_check.returncode == 0, image_check.stderr
        assert compose_check.returncode == 0, compose_check.stderr
    finally:
        took = stop(proc)
    assert took < 5
    assert f"OnlineTracker {mode}: " in log.read_text()
    # Stopped, the same checks report the container unhealthy.
    assert image_healthcheck(mode, role_env).returncode != 0
    assert compose_healthcheck(mode, role_env).returncode != 0


@pytest.mark.slow
def test_health_checks_fail_while_the_broker_is_unreachable(tmp_path, role_env):
    env = {**role_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    proc = start_mode("web", env, tmp_path / "web.log")
    try:
        reply = wait_http(f"http://127.0.0.1:{env['WEB_PORT']}/healthz", proc)
        assert reply.status_code == 503 and reply.json()["database"] == "ok", reply.text
        assert reply.json()["broker"].startswith("unreachable")
        image_check, compose_check = image_healthcheck("web", env), compose_healthcheck("web", env)
    finally:
        took = stop(proc)
    assert image_check.returncode == 1 and "HTTP 503" in image_check.stderr and "broker" in image_check.stderr
    assert compose_check.returncode != 0
    assert took < 5


@pytest.mark.slow
def test_server_mode_runs_web_gateway_worker_and_beat(tmp_path, role_env):
    log = tmp_path / "server.log"
    proc = start_mode("server", role_env, log)
    try:
        for variable in ("WEB_PORT", "COMS_PORT"):
            reply = healthz(f"http://127.0.0.1:{role_env[variable]}/healthz", proc)
            assert reply.status_code == 200 and reply.json() == HEALTHY, reply.text
        wait_for_log(log, r"OnlineTracker worker: up to 2 concurrent tasks from queues checks,alerts", proc)
        wait_for_log(log, r"OnlineTracker beat: dispatching checks", proc)
        check = image_healthcheck("server", role_env)
        assert check.returncode == 0, check.stderr
    finally:
        took = stop(proc)
    assert took < 10
    assert "OnlineTracker server: starting web, gateway, worker, beat" in log.read_text()


@pytest.mark.slow
def test_worker_mode_starts_answers_a_ping_and_stays_up(tmp_path, role_env):
    log = tmp_path / "worker.log"
    proc = start_mode("worker", role_env, log)
    try:
        wait_for_log(
            log, r"OnlineTracker worker: up to 2 concurrent tasks from queues checks,alerts via redis", proc
        )
        check = image_healthcheck("worker", role_env)  # this host's worker answers a Celery ping
        assert check.returncode == 0, check.stderr
        assert proc.poll() is None
    finally:
        took = stop(proc)
    assert took < 8


@pytest.mark.slow
def test_beat_mode_starts_and_stays_up(tmp_path, role_env):
    log = tmp_path / "beat.log"
    proc = start_mode("beat", role_env, log)
    try:
        wait_for_log(log, r"OnlineTracker beat: dispatching checks every 5 s", proc)
        time.sleep(1.5)
        assert proc.poll() is None
        assert image_healthcheck("beat", role_env).returncode == 0
        # exec: the PID Docker signals is the role's process itself, not a shell around it.
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"onlinetracker" in cmdline and b"beat" in cmdline
    finally:
        took = stop(proc)
    assert took < 5


@pytest.mark.slow
@pytest.mark.parametrize("basic_auth", ["", "ops:flower-pass"])
def test_flower_mode_answers_http(tmp_path, role_env, basic_auth):
    port = role_env["FLOWER_PORT"]
    log = tmp_path / "flower.log"
    env = {**role_env, "FLOWER_BASIC_AUTH": basic_auth}
    proc = start_mode("flower", env, log)
    try:
        reply = wait_http(f"http://127.0.0.1:{port}/healthcheck", proc)
        assert reply.status_code == 200 and reply.text == "OK"
        anonymous = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        if basic_auth:
            assert anonymous.status_code == 401
            signed = requests.get(f"http://127.0.0.1:{port}/", auth=("ops", "flower-pass"), timeout=10)
            assert signed.status_code == 200
            assert (
                requests.get(f"http://127.0.0.1:{port}/", auth=("ops", "wrong"), timeout=10).status_code
                == 401
            )
        else:
            assert anonymous.status_code == 200
        check = image_healthcheck("flower", env)
        assert check.returncode == 0, check.stderr
    finally:
        took = stop(proc)
    assert took < 5
    assert f"OnlineTracker flower: Celery monitoring UI on http://127.0.0.1:{port}" in log.read_text()
    assert ("basic auth on" in log.read_text()) == bool(basic_auth)
    assert "flower-pass" not in log.read_text()


@pytest.mark.slow
def test_agent_mode_logs_its_banner_and_keeps_its_uuid(tmp_path, role_env):
    env = {
        **role_env,
        "SERVER_HOST": "127.0.0.1",
        "COMS_PORT": str(free_port()),  # nothing listens: the agent retries, as before approval
        "SHARED_SECRET": "agent-secret",
        "DATA_DIR": str(tmp_path / "agent-volume"),
        "DATABASE_URL": "",
        "REDIS_URL": "",
    }
    uuids, stop_times = [], []
    for run in (1, 2):  # the second start is the container recreated on the same volume
        log = tmp_path / f"agent{run}.log"
        proc = start_mode("agent", env, log)
        try:
            uuids.append(wait_for_log(log, rf"Agent UUID: ({UUID_RE})", proc).group(1))
            assert f"OnlineTracker agent {uuids[-1]} (" in log.read_text()
        finally:
            stop_times.append(stop(proc))
    assert uuids[0] == uuids[1]
    assert (tmp_path / "agent-volume" / "agent_uuid").read_text().strip() == uuids[0]
    assert max(stop_times) < 5


@pytest.mark.slow
def test_migrate_mode_exits_zero(role_env):
    result = subprocess.run(
        [ENTRYPOINT],
        env={**os.environ, **role_env, "MODE": "migrate"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "is at the newest schema" in result.stderr
    # The first start generates the SECRET_KEY that every other service reads from the shared volume.
    assert (Path(role_env["DATA_DIR"]) / "secret_key").stat().st_mode & 0o777 == 0o600


def test_unknown_mode_is_one_line_and_exit_2():
    result = subprocess.run(
        [ENTRYPOINT], env={**os.environ, "MODE": "sever"}, capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "MODE must be one of server, web" in lines[0] and "'sever'" in lines[0]


def test_arguments_run_as_a_command_instead_of_the_mode():
    result = subprocess.run(
        [ENTRYPOINT, "onlinetracker", "--help"],
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "MODE": "sever"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and all(mode in result.stdout for mode in MODES[1:])


# --- Scale: two workers, one beat -------------------------------------------------------------------


def _ask_all(control, names: list[str], method: str) -> dict:
    """``inspect().<method>()`` answered by every worker named (a loaded machine may answer late)."""
    deadline = time.monotonic() + 15
    while True:
        replies = getattr(control.inspect(destination=names, timeout=2), method)() or {}
        if set(names) <= set(replies):
            return replies
        assert time.monotonic() < deadline, f"inspect {method}: only {sorted(replies)} of {names} answered"


def _drained(control, names: list[str], queue: redis.Redis) -> bool:
    """Nothing queued in Redis and nothing running, reserved or waiting on a countdown in a worker."""
    busy = [_ask_all(control, names, method) for method in ("active", "reserved", "scheduled")]
    checks_key = os.environ.get("REDIS_KEY_PREFIX", "") + "checks"
    return queue.llen(checks_key) == 0 and not any(
        tasks for per_worker in busy for tasks in per_worker.values()
    )


@pytest.mark.slow
def test_two_workers_share_the_checks_with_none_doubled_or_lost(tmp_path, role_env, db_url):
    """docker compose up --scale worker=2, by hand: both run checks, each slot once, none missing,
    and Flower lists both workers."""
    interval = 10
    sessions = session_factory(make_engine(db_url))
    # The workers' own broker settings (celeryconfig: REDIS_KEY_PREFIX), so our broadcasts reach them.
    prefix = os.environ.get("REDIS_KEY_PREFIX", "")
    options = {"global_keyprefix": prefix} if prefix else {}
    control = Celery("deploy-test", broker=role_env["REDIS_URL"], broker_transport_options=options).control
    queue = redis.Redis.from_url(role_env["REDIS_URL"])
    env = {**role_env, "WORKER_CONCURRENCY": "4"}
    with HttpPeer() as peer, sessions() as session:
        session.add_all(
            Monitor(name=f"m{i}", type="http", target=peer.url, interval_seconds=interval, timeout_seconds=5)
            for i in range(10)
        )
        session.commit()
        ids = list(session.scalars(select(Monitor.id)))

        workers = [start_mode("worker", env, tmp_path / f"worker{i}.log") for i in (1, 2)]
        flower = start_mode("flower", env, tmp_path / "flower.log")
        names = [f"worker-{proc.pid}@{socket.gethostname()}" for proc in workers]
        beat = None
        try:
            for i, proc in enumerate(workers, 1):
                wait_for_log(tmp_path / f"worker{i}.log", r"OnlineTracker worker: up to 4", proc)
            beat = start_mode("beat", env, tmp_path / "beat.log")
            time.sleep(20)
            beat_took, beat = stop(beat), None
            # Let the checks already dispatched (countdowns up to 10 s ahead) run, then count.
            deadline = time.monotonic() + 20
            while not _drained(control, names, queue):
                assert time.monotonic() < deadline, "dispatched checks did not finish"
                time.sleep(0.5)
            stats = _ask_all(control, names, "stats")
            # Flower, as a user opens it, lists both workers.
            page = wait_http(f"http://127.0.0.1:{env['FLOWER_PORT']}/workers", flower).text
            assert all(name in page for name in names), page[-2000:]
        finally:
            if beat is not None:
                stop(beat)
            stop_times = [stop(proc) for proc in workers]
            stop(flower)
        ran = {name: stats[name]["total"].get("worker.run_check", 0) for name in names}
        results = session.scalars(select(CheckResult)).all()

    assert all(count > 0 for count in ran.values()), f"a worker ran no check: {ran}"
    assert {r.monitor_id for r in results} == set(ids)
    for mid in ids:
        slots = sorted(round(r.slot_at.timestamp(), 3) for r in results if r.monitor_id == mid)
        assert len(slots) == len(set(slots)), f"monitor {mid}: a slot was recorded twice: {slots}"
        expected = schedule.slots_between(mid, interval, slots[0] - 0.001, slots[-1] + 0.001)
        assert slots == expected, f"monitor {mid}: slots {sorted(set(expected) - set(slots))} were lost"
        assert len(slots) >= 2
    # Every check that ran was recorded, and each reached the target once: none ran twice.
    assert sum(ran.values()) == len(results) == peer.hits, (ran, len(results), peer.hits)
    assert all(r.status == "ok" for r in results)
    assert beat_took < 5 and max(stop_times) < 8, (beat_took, stop_times)
