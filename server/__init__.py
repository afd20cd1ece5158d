"""Reprise server: the Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from server.clock import Clock, FixedClock
from server.config import resolve_secret_key, settings_from_env


def create_app(test_config: dict[str, Any] | None = None, clock: Clock | None = None) -> Flask:
    """Build the application: configure, bind extensions, register blueprints. No side effects."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(settings_from_env(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = resolve_secret_key(app.config, Path(app.instance_path))
    register_clock(app, clock)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_operations(app)
    return app


def register_clock(app: Flask, clock: Clock | None) -> None:
    """One clock for the whole app: given, pinned by AS_OF, or the wall clock."""
    if clock is None:
        tz = app.config["TIMEZONE"]
        as_of = app.config.get("AS_OF")
        clock = FixedClock.on_day(as_of, tz) if as_of else Clock(tz)
    app.extensions["reprise.clock"] = clock


def register_extensions(app: Flask) -> None:
    """Bind the bare extension instances of server.extensions."""
    from server import models  # noqa: F401  (registers the tables on the metadata)
    from server.api.schemas.errors import ErrorOut
    from server.extensions import api, babel, db, migrate
    from server.i18n import init_app as init_i18n
    from server.i18n import select_locale

    api.ERROR_SCHEMA = ErrorOut  # the error body the API really sends, in its document
    db.init_app(app)
    migrate.init_app(app, db, directory=str(migrations_directory(app)))
    babel.init_app(app, locale_selector=select_locale)
    init_i18n(app)
    api.init_app(app)


def migrations_directory(app: Flask) -> Path:
    """The checkout's migrations/, else the copy a wheel ships inside the package."""
    checkout = Path(app.root_path).parent / "migrations"
    return checkout if checkout.is_dir() else Path(app.root_path) / "migrations"


def register_blueprints(app: Flask) -> None:
    """The versioned JSON API, one blueprint per resource, and the staff web pages."""
    from server import inputs
    from server.api import register_api

    inputs.init_app(app)  # bounded ids: before the first route is added
    from server.web import register_web

    register_api(app)
    register_web(app)


def register_errorhandlers(app: Flask) -> None:
    """Every error of the API answers in one JSON shape; a browser that asks for an
    address no route matches gets the staff pages' HTML error page instead."""
    from flask import request
    from werkzeug.exceptions import HTTPException

    from server.api.errors import http_error
    from server.api.errors import init_app as init_errors
    from server.web.base import http_error_page

    init_errors(app)

    def outside_the_pages(exc: HTTPException) -> Any:
        wants_html = request.accept_mimetypes.best_match(
            ["application/json", "text/html"]) == "text/html"
        if request.blueprint is None and wants_html and not request.path.startswith("/api/"):
            return http_error_page(exc)
        return http_error(exc)

    app.register_error_handler(HTTPException, outside_the_pages)


def register_commands(app: Flask) -> None:
    """The ``reprise`` CLI commands."""
    from server.cli import init_app as init_cli

    init_cli(app)


def register_operations(app: Flask) -> None:
    """What operators need: health checks, request log, client address behind proxies."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from server import health, request_log

    app.register_blueprint(health.bp)
    request_log.init_app(app)
    proxies = app.config.get("PROXIES", 0)
    if proxies:
        # Trust exactly that many X-Forwarded-* hops: more would let a client forge its address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=proxies)
