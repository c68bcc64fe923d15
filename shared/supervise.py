"""``onlinetracker run``: start each server process as a child and stop them all together.

A child that exits takes the others down with it (a half-running monitor is worse than a stopped
one); SIGTERM or Ctrl-C is passed on, and anything still running after a grace period is killed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from shared.config import Config, redact_url

log = logging.getLogger("onlinetracker.run")
GRACE_SECONDS = 8


#: The processes ``run`` supervises, each an ``onlinetracker`` subcommand.
ROLES = ("web", "gateway", "worker", "beat")


def run_all(config: Config) -> int:
    names = ROLES
    children: dict[str, subprocess.Popen] = {}
    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "OnlineTracker server: starting %s (database %s, broker %s)",
        ", ".join(names),
        redact_url(config.database_url),
        redact_url(config.redis_url) if config.redis_url else f"embedded in {config.data_dir}",
    )
    env = {**os.environ, "DATA_DIR": str(config.data_dir), "ONLINETRACKER_SUPERVISED": "1"}
    for name in names:
        # New process group: Ctrl-C in a terminal reaches only us, and we stop the children in order.
        children[name] = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", name], env=env, start_new_session=True
        )
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                log.error("%s exited with code %s; stopping the others", name, child.returncode)
                exit_code = child.returncode or 1
                stopping = True
                break
        time.sleep(0.2)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %s s; killing it", name, GRACE_SECONDS)
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    log.info("OnlineTracker server stopped")
    return exit_code
