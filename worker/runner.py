"""Starting a Celery worker or beat from ``onlinetracker worker|beat`` with one clear log line.

The worker uses a threads pool (:class:`ThreadPool`, named by ``worker_pool`` in celeryconfig):
checks wait on the network, not the CPU, so ten threads do the work of ten processes in a tenth of
the memory. On SIGTERM Celery's warm shutdown stops taking work and gives the running checks
:data:`STOP_GRACE_SECONDS` to finish; whatever is still running then, and everything prefetched,
goes back to the queue (the messages are acknowledged late), so another worker runs it at once
and the stop takes seconds, not up to a check's 60 s timeout.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import warnings
import weakref
from concurrent.futures import wait

from celery import signals
from celery.concurrency.thread import TaskPool

from shared.config import Config, redact_url

log = logging.getLogger("onlinetracker")

#: How long a stopping worker waits for its running checks before handing them back to the queue.
STOP_GRACE_SECONDS = 3.0


class ThreadPool(TaskPool):
    """Celery's threads pool, except that stopping waits at most :data:`STOP_GRACE_SECONDS`.

    Celery's own waits for every running task (``ThreadPoolExecutor.shutdown(wait=True)``): a
    check against a silent host holds the worker for its whole timeout. Threads can't be killed,
    so checks still running after the grace are left to their threads, and the process ends once
    Celery has put their messages back in the queue (:func:`run_worker` exits without waiting
    for those threads). A check that still finishes in that moment is recorded once all the same:
    results are idempotent by (monitor, slot).
    """

    #: Set when a stop left checks running; :func:`run_worker` then exits without joining them.
    abandoned = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._futures: weakref.WeakSet = weakref.WeakSet()

    def on_apply(self, *args, **kwargs):
        result = super().on_apply(*args, **kwargs)
        self._futures.add(result.f)
        return result

    def on_stop(self) -> None:
        # Not started yet: never started (as Celery's own stop does), they go back to the queue.
        self.executor.shutdown(wait=False, cancel_futures=True)
        running = [future for future in list(self._futures) if not future.done()]
        if running:
            _done, still = wait(running, timeout=STOP_GRACE_SECONDS)
            if still:
                log.warning(
                    "stopping: %s running task(s) did not finish within %s s; they go back to the queue",
                    len(still),
                    STOP_GRACE_SECONDS,
                )
                ThreadPool.abandoned = True
        super(TaskPool, self).on_stop()


def _broker(config: Config) -> str:
    return (
        redact_url(config.redis_url)
        if config.redis_url
        else f"embedded broker in {config.data_dir / 'broker'}"
    )


def _exit(code: int | None) -> None:
    """Leave with Celery's exit code (``app.start`` returns it rather than exiting)."""
    if ThreadPool.abandoned and threading.active_count() > 1:
        # The interpreter would join the pool's threads at exit: leave without them.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code or 0)
    if code:
        raise SystemExit(code)


def run_worker(config: Config, queues: str = "checks,alerts") -> None:
    from worker.celery_app import app

    # Checks running when the broker connection drops are let finish and recorded (their results
    # go to the database, not the broker); Celery 5.x warns at every reconnect that its default
    # will change. Cancelling would not work on threads anyway.
    warnings.filterwarnings("ignore", message=r"(?s).*worker_cancel_long_running_tasks_on_connection_loss")

    @signals.worker_ready.connect(weak=False)
    def _ready(**_kwargs):
        log.info(
            "OnlineTracker worker: up to %s concurrent tasks from queues %s via %s",
            config.worker_concurrency,
            queues,
            _broker(config),
        )

    name = f"worker-{os.getpid()}@{socket.gethostname()}"
    code = app.start(
        [
            "--quiet",
            "worker",
            # The pool is celeryconfig's worker_pool (ThreadPool above).
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
    _exit(code)


def run_beat(config: Config) -> None:
    from worker.celery_app import app

    @signals.beat_init.connect(weak=False)
    def _ready(**_kwargs):
        log.info("OnlineTracker beat: dispatching checks every 5 s and periodic jobs via %s", _broker(config))

    code = app.start(
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
    _exit(code)
