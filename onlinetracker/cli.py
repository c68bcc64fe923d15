"""``onlinetracker``: one command, a subcommand per process.

``run`` starts everything the server needs under one supervisor; the others start one process
each, as docker compose runs them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from shared import config as config_mod
from shared.config import ConfigError, redact_url

log = logging.getLogger("onlinetracker")


def _prepare_database(config: config_mod.Config):
    from shared.db import check_reachable, make_engine, migrate

    engine = make_engine(config.database_url)
    check_reachable(engine)
    migrate(engine, config.secret_key)
    return engine


def cmd_migrate(config: config_mod.Config, _args) -> int:
    _prepare_database(config)
    log.info("database %s is at the newest schema", redact_url(config.database_url))
    return 0


def _serve(config: config_mod.Config, factory, port: int, workers: int, what) -> int:
    """``what`` names what is served in the banner; a callable is asked after migrating."""
    from onlinetracker.serve import serve

    _prepare_database(config)
    what = what() if callable(what) else what
    serve(
        lambda: factory(config),
        config.bind_host,
        port,
        workers=workers,
        on_ready=lambda: log.info(
            "OnlineTracker %s on http://%s:%s (database %s)",
            what,
            config.bind_host,
            port,
            redact_url(config.database_url),
        ),
    )
    return 0


def _setup_banner(config: config_mod.Config, port: int) -> str:
    """While no account exists: the setup code, in the same line as the start-up banner."""
    from shared import accounts, setup_code
    from shared.db import make_engine, session_factory

    engine = make_engine(config.database_url)
    try:
        with session_factory(engine)() as session:
            if accounts.count_users(session) > 0:
                return ""
    finally:
        engine.dispose()
    code = setup_code.ensure(config.data_dir)
    return (
        f"; no account yet: open http://{config.bind_host}:{port}/ and create the owner with setup code "
        f"{code} (kept in {setup_code.path(config.data_dir)}), or run: onlinetracker create-user NAME --role admin"
    )


def cmd_web(config: config_mod.Config, args) -> int:
    from web import create_app

    port = args.port or config.web_port
    banner = lambda: "web: admin API and dashboard" + _setup_banner(config, port)  # noqa: E731
    return _serve(config, create_app, port, args.workers, banner)


def cmd_create_user(config: config_mod.Config, args) -> int:
    """Headless first start (compose, scripts): the password from stdin, or a prompt on a terminal."""
    import getpass

    from shared import accounts, setup_code
    from shared.db import session_factory
    from shared.schemas import UserIn
    from shared.validation import validate

    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            raise ConfigError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        data = validate(UserIn, {"username": args.name, "password": password, "role": args.role})
    except Exception as exc:  # FieldErrors: say which field, in one line
        fields = getattr(exc, "errors", {}) or {}
        raise ConfigError("; ".join(f"{k} {v}" for k, v in fields.items()) or str(exc)) from None
    engine = _prepare_database(config)
    with session_factory(engine)() as session:
        try:
            user = accounts.create_user(session, data.username, data.password, data.role)
        except accounts.AccountError as exc:
            raise ConfigError(exc.message) from None
        from shared.models import AuditEntry

        details = json.dumps({"via": "create-user", "role": user.role})
        session.add(
            AuditEntry(
                user_id=user.id,
                username=user.username,
                address="cli",
                action="user.create",
                target=f"user:{user.id}",
                details=details,
            )
        )
        session.commit()
    setup_code.discard(config.data_dir)
    log.info("user %r created with role %s", data.username, data.role)
    return 0


def cmd_gateway(config: config_mod.Config, args) -> int:
    from agent_gateway import create_app

    port = args.port or config.coms_port
    return _serve(config, create_app, port, args.workers, "gateway: agent API (register, report, monitors)")


def cmd_agent(_config: config_mod.Config, _args) -> int:
    from agent_gateway.agent import AgentSettings
    from agent_gateway.agent import main as agent_main

    return agent_main(AgentSettings.from_env())


def cmd_worker(config: config_mod.Config, _args) -> int:
    from worker.runner import run_worker

    _prepare_database(config)
    run_worker(config)
    return 0


def cmd_beat(config: config_mod.Config, _args) -> int:
    from worker.runner import run_beat

    _prepare_database(config)
    run_beat(config)
    return 0


def cmd_flower(config: config_mod.Config, args) -> int:
    """Celery's own monitoring UI: workers, queues (checks, alerts) and task history.

    Flower reads ``FLOWER_BASIC_AUTH`` itself; compose passes it empty when unset, which Flower
    would take as a login nobody can give, so an empty value is removed."""
    from worker.celery_app import app

    if not os.environ.get("FLOWER_BASIC_AUTH"):
        os.environ.pop("FLOWER_BASIC_AUTH", None)

    log.info(
        "OnlineTracker flower: Celery monitoring UI on http://%s:%s via %s (%s)",
        args.address,
        args.port,
        redact_url(config.broker_url),
        "basic auth on" if os.environ.get("FLOWER_BASIC_AUTH") else "no login: FLOWER_BASIC_AUTH is unset",
    )
    app.start(["flower", f"--port={args.port}", f"--address={args.address}"])
    return 0


def cmd_migrate_data(config: config_mod.Config, args) -> int:
    """Copy this install's database (or ``--from``) into the empty database ``--to``."""
    from shared import data_copy

    source_url = args.source or config.database_url
    source = data_copy.open_database(source_url, "source", must_exist=True)
    target = data_copy.open_database(args.to, "target")

    header = [f"copying {redact_url(source_url)} into {redact_url(args.to)}"]  # once the checks passed

    def show(table: data_copy.TableCopied) -> None:
        if header:
            print(header.pop())
        print(f"  {table.name:<24} {table.rows:>12,} rows {table.seconds:8.1f} s", flush=True)

    try:
        report = data_copy.copy_data(source, target, args.batch_size, on_table=show)
    except data_copy.CopyFailed as exc:
        print(f"onlinetracker: migrate-data: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("onlinetracker: migrate-data interrupted: no rows were kept in the target", file=sys.stderr)
        return 1
    finally:
        source.dispose()
        target.dispose()
    if os.environ.get("SECRET_KEY"):
        key = "the same SECRET_KEY"
    elif args.source:
        key = "the SECRET_KEY the source was written with"
    else:
        key = f"the same key: SECRET_KEY=$(cat {config.data_dir / 'secret_key'})"
    print(
        f"copied {report.rows:,} rows in {len(report.tables)} tables in {report.seconds:.1f} s (schema "
        f"revision {report.revision}); the counts match table by table.\n"
        "Stored secrets (SMTP password, channel URLs, agent keys, ...) were copied as they are, encrypted "
        f"with SECRET_KEY: run the new install with {key}."
    )
    return 0


def cmd_run(config: config_mod.Config, args) -> int:
    from onlinetracker.supervise import run_all

    if config.mode == "agent":
        return cmd_agent(config, args)
    if config.mode != "server":
        raise ConfigError(f"MODE must be server or agent, got {config.mode!r}")
    _prepare_database(config)
    return run_all(config)


COMMANDS = {
    "run": (
        cmd_run,
        "run everything the server needs under one command (embedded default when "
        "DATABASE_URL and REDIS_URL are unset)",
    ),
    "web": (cmd_web, "serve the admin API and dashboard on WEB_PORT"),
    "gateway": (cmd_gateway, "serve the agent-only API on COMS_PORT"),
    "agent": (cmd_agent, "run as a remote agent (SERVER_HOST, COMS_PORT, SHARED_SECRET)"),
    "worker": (cmd_worker, "run checks and alert deliveries from the queues (WORKER_CONCURRENCY at once)"),
    "beat": (
        cmd_beat,
        "dispatch checks every 5 s and run periodic jobs (one at a time: others wait for its lease)",
    ),
    "flower": (
        cmd_flower,
        "Celery Flower: see what each worker and queue is doing (FLOWER_PORT, default 5555)",
    ),
    "migrate": (cmd_migrate, "bring the database schema up to date and exit"),
    "migrate-data": (
        cmd_migrate_data,
        "copy this install's data (the embedded SQLite file) into an empty PostgreSQL database",
    ),
    "create-user": (
        cmd_create_user,
        "create a user (password from stdin, or asked on a terminal); works before and after setup",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onlinetracker", description="OnlineTracker service monitor")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_fn, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if name == "flower":
            p.add_argument("--port", type=int, default=int(os.environ.get("FLOWER_PORT") or 5555))
            p.add_argument("--address", default=os.environ.get("FLOWER_ADDRESS") or "127.0.0.1")
        if name == "create-user":
            p.add_argument("name", help="the user name to sign in with")
            p.add_argument("--role", choices=["admin", "viewer"], default="admin")
        if name == "migrate-data":
            p.add_argument("--to", required=True, help="the empty database to copy into, e.g. $DATABASE_URL")
            p.add_argument("--from", dest="source", help="the database to copy (default: this install's)")
            p.add_argument("--batch-size", type=int, default=5000, help="rows per read and per insert")
        if name in ("web", "gateway"):
            p.add_argument(
                "--port", type=int, default=None, help=f"override {'WEB' if name == 'web' else 'COMS'}_PORT"
            )
            p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    return parser


def main(argv: list[str] | None = None) -> int:
    from shared.logsetup import configure

    args = build_parser().parse_args(argv)
    configure()
    try:
        config = config_mod.load()
        return COMMANDS[args.command][0](config, args) or 0
    except ConfigError as exc:
        print(f"onlinetracker: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
