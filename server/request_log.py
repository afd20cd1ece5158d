"""One JSON line per request, for the operators: what was asked, by whom, how it went.

The line holds the method, the route's template (``/api/v1/patients/<int:patient_id>``
rather than the id asked for), the status, the latency, the staff user's id or
the device token's id, and the client's address (after ProxyFix). Never the
query string (it may carry a token), bodies or anything else about a patient.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, Response, g, request

logger = logging.getLogger("reprise.requests")


def _started() -> None:
    g.request_started = time.perf_counter()


def request_line(response: Response) -> dict[str, object]:
    """The fields logged for the request being answered."""
    started = g.get("request_started")
    rule = request.url_rule
    user = g.get("user")
    token = g.get("token")
    return {
        "event": "request",
        "method": request.method,
        "path": rule.rule if rule is not None else "<unmatched>",
        "endpoint": request.endpoint,
        "status": response.status_code,
        "ms": None if started is None else round((time.perf_counter() - started) * 1000, 1),
        # A streamed body (the FHIR bulk export) has no length yet: asking for it would read
        # the whole stream into memory before the first byte is sent.
        "bytes": None if response.is_streamed else response.calculate_content_length(),
        "user_id": getattr(user, "id", None),
        "device_token_id": token.id if token is not None and g.get("patient_id") else None,
        "ip": request.remote_addr,
    }


def _log(response: Response) -> Response:
    if logger.isEnabledFor(logging.INFO):
        logger.info(json.dumps(request_line(response), separators=(",", ":")))
    return response


def init_app(app: Flask) -> None:
    """Time every request and log it when answered."""
    app.before_request(_started)
    app.after_request(_log)
