"""Serving a Flask app with gunicorn from inside our own command (no separate gunicorn CLI).

Graceful timeout is short so that SIGTERM or Ctrl-C stops the process within a few seconds.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _GunicornApp(BaseApplication):
    def __init__(self, factory, options: dict):
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        return self._factory()


def serve(factory, host: str, port: int, workers: int = 2, threads: int = 4, on_ready=None) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": 3,
        "timeout": 60,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": True,
        # gunicorn 23+ opens a control socket in $HOME; web and gateway would fight over it, and a
        # container's home may not be writable. We don't use it (older gunicorns lack the setting).
        "control_socket_disable": True,
    }
    if on_ready is not None:
        options["when_ready"] = lambda _server: on_ready()
    _GunicornApp(factory, options).run()
