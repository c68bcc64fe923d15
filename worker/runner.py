"""Starting a Celery worker or beat from ``onlinetracker worker|beat`` with one clear log line.

The worker uses the threads pool: checks wait on the network, not the CPU, so ten threads do the
work of ten processes in a tenth of the memory. On SIGTERM Celery's warm shutdown lets running
checks finish (bounded by their timeouts) and hands the unstarted ones back to the broker.
"""

from __future__ import annotations

import logging
import os
import socket

from celery import signals

from shared.config import Config, redact_url

log = logging.getLogger("onlinetracker")


def _broker(config: Config) -> str:
    return (
        redact_url(config.redis_url)
        if config.redis_url
        else f"embedded broker in {config.data_dir / 'broker'}"
    )


def run_worker(config: Config, queues: str = "checks,alerts") -> None:
    from worker.celery_app import app

    @signals.worker_ready.connect(weak=False)
    def _ready(**_kwargs):
        log.info(
            "OnlineTracker worker: up to %s concurrent tasks from queues %s via %s",
            config.worker_concurrency,
            queues,
            _broker(config),
        )

    name = f"worker-{os.getpid()}@{socket.gethostname()}"
    app.start(
        [
            "--quiet",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            str(config.worker_concurrency),
            "--queues",
            queues,
            "--hostname",
            name,
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ]
    )


def run_beat(config: Config) -> None:
    from worker.celery_app import app

    @signals.beat_init.connect(weak=False)
    def _ready(**_kwargs):
        log.info("OnlineTracker beat: dispatching checks every 5 s and periodic jobs via %s", _broker(config))

    app.start(
        [
            "--quiet",
            "beat",
            "--scheduler",
            "worker.beat:DispatchScheduler",
            "--loglevel",
            "INFO",
            "--schedule",
            str(config.data_dir / "celerybeat-schedule"),
        ]
    )
