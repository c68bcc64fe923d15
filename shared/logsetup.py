"""One log format for every process; secrets never reach it (they are never passed to a logger)."""

import logging
import os


def configure(level: str | None = None) -> None:
    logging.basicConfig(
        level=(level or os.environ.get("LOG_LEVEL") or "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces every plugin at INFO; its "Running upgrade" lines are kept at WARNING+ only
    # when something goes wrong. The migrate command logs its own summary line.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # One line per received and finished task is thousands of lines a minute at scale; Flower and
    # LOG_LEVEL=DEBUG show them when wanted.
    if logging.getLogger().level > logging.DEBUG:
        for name in ("celery.worker.strategy", "celery.app.trace"):
            logging.getLogger(name).setLevel(logging.WARNING)
    # The embedded (filesystem) broker has no host name; kombu warns about that on every connect.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
