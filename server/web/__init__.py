"""Staff web pages: server-rendered HTML over the same services as the JSON API.

One parent blueprint carries what every page shares: the session check,
CSRF on every POST, security headers and HTML error pages. Each area is a
child blueprint (auth, queue, patients, calls, flags, physician,
coordinator, admin); views stay thin: authenticate, call a service, render.
"""

from __future__ import annotations

from flask import Flask

from server.web import (
    admin,
    auth,
    calls,
    coordinator,
    flags,
    indicators,
    patients,
    physician,
    queue,
    syntheses,
    visits,
)
from server.web.base import TEMPLATE_GLOBALS, csrf, security_headers, web

# Children are attached once per process: a blueprint cannot change after its first use.
for _module in (auth, queue, patients, calls, flags, physician, coordinator, admin, visits,
                indicators, syntheses):
    web.register_blueprint(_module.bp)


def register_web(app: Flask) -> None:
    """Bind CSRF and the template helpers, register the web blueprints and headers.

    Cookie and CSRF settings live in server.config with the others.
    """
    csrf.init_app(app)
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)
    app.register_blueprint(web)
    app.after_request(security_headers)
