"""Celery configuration, read by ``worker.celery_app`` (``config_from_object("celeryconfig")``).

Choices that matter for "no slot lost, no result recorded twice" (see README "Scheduling"):

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a check is acknowledged only after its result
  is recorded; a worker process killed mid-check leaves the message unacknowledged, and it is
  delivered again (at once when only a pool child died, after the visibility timeout when the whole
  worker died). Recording is idempotent by (monitor, slot), so a redelivery never stores twice.
- ``visibility_timeout`` 120 s: how long Redis waits before handing an unacknowledged message to
  another worker. Longer than any countdown (≤ 10 s) plus queueing plus the longest check (a 60 s
  timeout, the API's maximum), so a slow check is never handed to a second worker while it runs.
  A dead worker's checks don't wait for it: beat re-sends every check whose result is overdue
  (``worker.dispatch.redispatch_missing``, slot + timeout + 15 s), well inside the expiry.
- ``worker_prefetch_multiplier`` 4: enough queued work to keep 10 slots busy without one worker
  hoarding the checks that another, idle worker could run.

Broker faults (tests/test_broker_faults.py): a worker rides out a Redis restart (see
``worker.celery_app.keep_redis_address_after_close`` for the kombu crash that used to stop it) and
retries the broker for as long as it is away (``broker_connection_max_retries = None``; Celery's
default gives up after 100 tries, which would stop the worker). Checks running meanwhile finish and
are recorded (``worker_cancel_long_running_tasks_on_connection_loss`` stays off: results go to the
database, not the broker).
"""

import os as _os

from shared import config as _config

_cfg = _config.load()

broker_url = _cfg.broker_url
if _cfg.embedded:
    # The embedded default: kombu's filesystem transport, a folder of message files in DATA_DIR
    # (written whole: worker/embedded_broker.py).
    broker_transport = "worker.embedded_broker:Transport"
    _folder = _cfg.data_dir / "broker"
    _control = _cfg.data_dir / "broker-control"
    for _path in (_folder, _control):
        _path.mkdir(parents=True, exist_ok=True)
    broker_transport_options = {
        "data_folder_in": str(_folder),
        "data_folder_out": str(_folder),
        "control_folder": str(_control),
        "store_processed": False,
    }
else:
    # BROKER_VISIBILITY_TIMEOUT: seconds; the tests shorten it to see a redelivery quickly.
    broker_transport_options = {
        "visibility_timeout": int(_os.environ.get("BROKER_VISIBILITY_TIMEOUT") or 120)
    }
    # REDIS_KEY_PREFIX: several installations (or test runs) can share one Redis without seeing
    # each other's queues.
    if _os.environ.get("REDIS_KEY_PREFIX"):
        broker_transport_options["global_keyprefix"] = _os.environ["REDIS_KEY_PREFIX"]
broker_connection_retry_on_startup = True
broker_connection_max_retries = None
worker_cancel_long_running_tasks_on_connection_loss = False

task_ignore_result = True
result_backend = None
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 4
task_serializer = "json"
accept_content = ["json"]
timezone = "UTC"
enable_utc = True

task_default_queue = "checks"
task_routes = {
    "worker.run_check": {"queue": "checks"},
    "worker.purge_old_data": {"queue": "checks"},
    "worker.send_alert": {"queue": "alerts"},
    "worker.sweep_alerts": {"queue": "alerts"},
}
worker_concurrency = _cfg.worker_concurrency
# Celery's threads pool with a bounded stop (worker/runner.py).
worker_pool = "worker.runner:ThreadPool"
worker_hijack_root_logger = False
# The workers' task events (received, started, succeeded: three Redis publishes per check) are off
# until someone looks: Flower turns them on in every worker while it runs (its --enable_events,
# on by default), and they stay on until the worker restarts.
worker_send_task_events = False
# No "task-sent" event from beat: it was a second Redis round trip per check dispatched, a third
# of beat's time at 10,000 monitors (README, "Benchmarks"); Flower lists each task from its receipt.
task_send_sent_event = False

beat_schedule = {
    "purge-old-data": {"task": "worker.purge_old_data", "schedule": 3600.0},
    # Re-sends alert deliveries that were never marked done (a worker died) and repeated reminders.
    "sweep-alerts": {"task": "worker.sweep_alerts", "schedule": 30.0, "options": {"expires": 25}},
}
beat_schedule_filename = str(_cfg.data_dir / "celerybeat-schedule")
