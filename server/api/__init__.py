"""The versioned JSON API (/api/v1), one module per resource."""

from __future__ import annotations

from flask import Flask

from server.extensions import api


def register_api(app: Flask) -> None:
    """Register the API blueprints and declare bearer auth in the OpenAPI document."""
    from server.api import auth, me, measures, notifications, patients, work

    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer"})
    for module in (auth, me, notifications, patients, work, measures):
        api.register_blueprint(module.blp)
