"""`reprise serve`: the application under gunicorn, the server production runs.

The app is built once in the master process and forked into the workers
(``preload_app``): they start fast, share its memory, and agree on anything
drawn at start-up. Connections are never shared across the fork: each worker
throws away the pool it inherited before it serves.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from server.extensions import db

DEFAULT_BIND = "127.0.0.1:5000"


@dataclass(frozen=True)
class ServeOptions:
    """How many processes and threads serve, and where."""

    bind: str = DEFAULT_BIND
    workers: int = 2
    threads: int = 4
    timeout: int = 30

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServeOptions:
        """Defaults read from REPRISE_BIND, WEB_CONCURRENCY, REPRISE_THREADS, REPRISE_TIMEOUT."""
        env = os.environ if environ is None else environ
        return cls(bind=env.get("REPRISE_BIND") or DEFAULT_BIND,
                   workers=int(env.get("WEB_CONCURRENCY") or cls.workers),
                   threads=int(env.get("REPRISE_THREADS") or cls.threads),
                   timeout=int(env.get("REPRISE_TIMEOUT") or cls.timeout))


def _fresh_pool(app: Flask) -> None:
    with app.app_context():
        # close=False: the parent's sockets stay open for the parent; this worker opens its own.
        db.engine.dispose(close=False)


class RepriseServer(BaseApplication):  # type: ignore[misc]
    """A gunicorn application serving one already-built Flask app."""

    def __init__(self, app: Flask, options: ServeOptions) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": [part for part in self.options.bind.split(",") if part],
            "workers": self.options.workers,
            "threads": self.options.threads,
            "worker_class": "gthread",
            "timeout": self.options.timeout,
            "graceful_timeout": self.options.timeout,
            # Idle connections stay open longer than gunicorn's 2 s default: a load balancer
            # or a tablet reusing a connection the server just closed sees a reset otherwise.
            "keepalive": 20,
            "preload_app": True,
            # One JSON line per request comes from the app itself (server.request_log).
            "accesslog": None,
            "errorlog": "-",
            "proc_name": "reprise-web",
            "post_fork": lambda server, worker: _fresh_pool(self.application),
        }
        # gunicorn 24+ opens a control socket at one fixed path per user: several servers
        # on one machine would fight over it, and nothing here uses it.
        if "control_socket_disable" in self.cfg.settings:
            settings["control_socket_disable"] = True
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, options: ServeOptions) -> None:
    """Run gunicorn in this process until it is told to stop (SIGTERM/SIGINT)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    RepriseServer(app, options).run()
