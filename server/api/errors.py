"""One error body for the whole API: ``{"code", "status", "message", "errors"}``.

``message`` is a readable sentence that names every bad field, so that a
person reading a log or the tablet's screen sees what is wrong without
walking the ``errors`` tree.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from server.i18n import gettext as _
from server.i18n import lazy_gettext as _l
from server.services.errors import ServiceError
from server.services.messages import flatten_errors, translate_message

# The status lines the API answers with, in the reader's language (HTTPStatus's are English).
_STATUS_PHRASES = {
    400: _l("Bad request."), 401: _l("Authentication is required."),
    403: _l("Not allowed."), 404: _l("Not found."), 405: _l("Method not allowed."),
    406: _l("No acceptable representation."), 409: _l("Conflict with the current state."),
    415: _l("Unsupported media type."), 422: _l("Invalid request."),
    429: _l("Too many requests."), 500: _l("Internal error."),
    503: _l("Service unavailable."),
}


def _translate(errors: Any) -> Any:
    if isinstance(errors, dict):
        return {k: _translate(v) for k, v in errors.items()}
    if isinstance(errors, list):
        return [_translate(e) for e in errors]
    return translate_message(str(errors))


def error_body(status: int, message: str, code: str | None = None,
               errors: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of an error response."""
    body: dict[str, Any] = {
        "code": code or HTTPStatus(status).phrase.lower().replace(" ", "_"),
        "status": status,
        "message": message,
    }
    if errors:
        body["errors"] = _translate(errors)
    return body


def http_error(exc: HTTPException) -> tuple[Any, int]:
    """An HTTP error in the API's one JSON shape."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages")
    if errors:
        message = _("Invalid request: %(details)s",
                    details="; ".join(flatten_errors(errors)))
    elif status == 413:
        message = _("Request body too large.")
    else:
        message = data.get("message") or str(_STATUS_PHRASES.get(status)
                                              or HTTPStatus(status).phrase)
    return jsonify(error_body(status, message, errors=errors)), status


def _service_error(exc: ServiceError) -> tuple[Any, int, dict[str, str]]:
    message = exc.message
    if exc.errors:
        message = f"{message} {'; '.join(flatten_errors(exc.errors))}"
    return (jsonify(error_body(exc.status, message, exc.code, exc.errors)), exc.status,
            exc.headers())


def init_app(app: Flask) -> None:
    """Register the handlers (after flask-smorest's, so these win)."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ServiceError, _service_error)
