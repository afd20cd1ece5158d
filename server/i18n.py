"""Locale selection: the user's preference, else the page's language switch, else the
browser's, French by default."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session


def select_locale() -> str:
    """Locale for this request (``fr`` or ``en``)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = g.get("user")
    if user is not None and user.locale in languages:
        return user.locale
    # The staff pages' language switch, before log-in (server.web.auth.language).
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]
