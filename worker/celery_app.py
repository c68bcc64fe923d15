"""The Celery app, configured by ``celeryconfig.py`` at the project root."""

from celery import Celery

app = Celery("onlinetracker", include=["worker.tasks", "worker.alerts"])
app.config_from_object("celeryconfig")
