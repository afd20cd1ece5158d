"""The parent blueprint of the staff pages: session, CSRF, headers, error pages, home."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from server.i18n import gettext as _
from server.services.errors import ServiceError
from server.web.formats import format_date, format_datetime
from server.web.labels import label, outcome_lines
from server.web.session import home_endpoint, load_user

csrf = CSRFProtect()

# Inline SVG charts need no style or script from elsewhere; nothing inline is allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Patient data must not linger in shared caches or behind the back button.
    "Cache-Control": "no-store",
}

web = Blueprint("web", __name__)

# Globals rather than a context processor: macros imported without context see them too.
TEMPLATE_GLOBALS: dict[str, Any] = {
    "current_locale": lambda: str(get_locale()), "label": label, "outcome_lines": outcome_lines,
    "format_date": format_date, "format_datetime": format_datetime,
}


@web.before_request
def _protect() -> Any:
    # Every POST of every page carries the session's CSRF token.
    if request.method == "POST":
        csrf.protect()
    return load_user()


def security_headers(response: Response) -> Response:
    """after_request hook: the headers every staff page carries."""
    if request.blueprint and request.blueprint.split(".")[0] == "web":
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    elif request.endpoint == "static":
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@web.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> tuple[str, int, dict[str, str]]:
    return (render_template("web/error.html", status=exc.status, message=exc.message),
            exc.status, exc.headers())


@web.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    message = _("The form expired or was sent from elsewhere; please try again.")
    return render_template("web/error.html", status=400, message=message), 400


@web.errorhandler(HTTPException)
def http_error_page(exc: HTTPException) -> tuple[str, int]:
    """The HTML page of an HTTP error, in the staff's words."""
    status = exc.code or 500
    messages = {
        404: _("This page does not exist, or is not yours to see."),
        403: _("Your role may not open this page."),
        405: _("This action is not available here."),
    }
    message = messages.get(status, _("The request could not be handled."))
    return render_template("web/error.html", status=status, message=message), status


@web.route("/")
def home() -> Any:
    """Each role lands on its own work page."""
    return redirect(url_for(home_endpoint(g.user)))
