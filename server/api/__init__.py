"""The versioned JSON API (/api/v1), one module per resource."""

from __future__ import annotations

from flask import Flask, Response

from server.extensions import api


def register_api(app: Flask) -> None:
    """Register the API blueprints and declare the bearer schemes in the OpenAPI document."""
    from server.api import (
        auth,
        fhir,
        indicators,
        me,
        measures,
        notifications,
        patients,
        syntheses,
        work,
    )
    from server.api.blueprint import SECURITY_SCHEMES

    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    for module in (auth, me, notifications, patients, work, measures, fhir, indicators, syntheses):
        api.register_blueprint(module.blp)
    app.after_request(json_headers)


JSON_TYPES = ("application/json", "application/fhir+json", "application/fhir+ndjson")


def json_headers(response: Response) -> Response:
    """after_request hook: JSON (patient data, tokens, FHIR exports) is never cached nor
    type-sniffed."""
    if response.mimetype in JSON_TYPES:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
