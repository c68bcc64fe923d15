"""``onlinetracker``: one command, a subcommand per process.

``run`` starts everything the server needs under one supervisor; the others start one process
each, as docker compose runs them.
"""

from __future__ import annotations

import argparse
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
    migrate(engine)
    return engine


def cmd_migrate(config: config_mod.Config, _args) -> int:
    _prepare_database(config)
    log.info("database %s is at the newest schema", redact_url(config.database_url))
    return 0


def _serve(config: config_mod.Config, factory, port: int, workers: int, what: str) -> int:
    from shared.serve import serve

    _prepare_database(config)
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


def cmd_web(config: config_mod.Config, args) -> int:
    from web import create_app

    return _serve(
        config, create_app, args.port or config.web_port, args.workers, "web: admin API and dashboard"
    )


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
    """Celery's own monitoring UI: workers, queues (checks, alerts) and task history."""
    from worker.celery_app import app

    log.info(
        "OnlineTracker flower: Celery monitoring UI on http://%s:%s via %s",
        args.address,
        args.port,
        redact_url(config.broker_url),
    )
    app.start(["flower", f"--port={args.port}", f"--address={args.address}"])
    return 0


def cmd_run(config: config_mod.Config, args) -> int:
    from shared.supervise import run_all

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
    "beat": (cmd_beat, "dispatch checks every 5 s and run periodic jobs; run exactly one"),
    "flower": (
        cmd_flower,
        "Celery Flower: see what each worker and queue is doing (FLOWER_PORT, default 5555)",
    ),
    "migrate": (cmd_migrate, "bring the database schema up to date and exit"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onlinetracker", description="OnlineTracker service monitor")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_fn, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if name == "flower":
            p.add_argument("--port", type=int, default=int(os.environ.get("FLOWER_PORT") or 5555))
            p.add_argument("--address", default=os.environ.get("FLOWER_ADDRESS") or "127.0.0.1")
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


if __name__ == "__main__":
    sys.exit(main())
