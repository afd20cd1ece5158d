"""Locale selection: the user's preference, else the page's language switch, else the
browser's, French by default; and the server's gettext.

Flask-Babel finds the catalogue anew for every message (the domain, the locale, its
name, a cache look-up: about 6 µs), and a staff page shows a few hundred messages.
The functions here ask Flask-Babel for the locale on every call, so that
``force_locale`` and ``refresh`` work as before, and keep the catalogue each
locale maps to: a message costs the locale's look-up and a dictionary's.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import flask_babel
from babel import Locale
from babel import dates as babel_dates
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup

# What tells locales apart. Caches are keyed by it rather than by the Locale: Flask-Babel
# parses the locale anew for every request, and comparing two Locale objects costs more
# than the look-up it guards.
LocaleKey = tuple[str, str | None, str | None, str | None, str | None]

# The catalogues are the package's files, the same for every app of the process.
_CATALOGUES: dict[LocaleKey, NullTranslations] = {}


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


def locale_key() -> LocaleKey | None:
    """The current locale's key (None outside an app context)."""
    locale = get_locale()
    if locale is None:
        return None
    return (locale.language, locale.territory, locale.script, locale.variant, locale.modifier)


def translations() -> NullTranslations:
    """The catalogue of the current locale (Flask-Babel's, found once per locale)."""
    key = locale_key()
    if key is None:  # outside an app context: messages stay as written
        return get_translations()
    try:
        return _CATALOGUES[key]
    except KeyError:
        return _CATALOGUES.setdefault(key, get_translations())


def gettext(string: str, **variables: Any) -> str:
    """``string`` in the current locale, formatted with ``variables`` (as Flask-Babel's)."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or plural form for ``num`` in the current locale (as Flask-Babel's)."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


@lru_cache(maxsize=8192)
def _formatted_day(day: date, pattern: str, key: LocaleKey) -> str:
    return babel_dates.format_date(day, format=pattern, locale=Locale(*key))


def format_day(day: date, pattern: str = "medium") -> str:
    """A calendar day in the current locale, as Flask-Babel's ``format_date`` writes it.

    Babel's formatting costs tens of microseconds a call and pages show the same days
    again and again: results are kept per (day, pattern, locale).
    """
    key = locale_key()
    if key is None:  # outside an app context: Babel's own default locale
        return flask_babel.format_date(day, pattern)
    return _formatted_day(day, pattern, key)


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """:func:`gettext` when the string is used, for labels defined at import time."""
    return LazyString(gettext, string, **variables)


@pass_context
def template_gettext(context: Context, string: str, **variables: Any) -> str:
    """The templates' ``_`` and ``gettext``: Jinja's newstyle gettext (escaped when the
    template is, always a format string), without its two indirections per call."""
    text = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    # Formatting a text without "%" with no variables gives it back unchanged.
    return text % variables if variables or "%" in text else text


def init_app(app: Flask) -> None:
    """Have the templates' ``_``, ``gettext`` and ``ngettext`` use :func:`translations`
    (after Flask-Babel's own set-up, which they replace)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # A page calls ``_`` a few hundred times: the i18n extension's ``_`` looks ``gettext``
    # up and calls it through the context, which calls the function above the same way.
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
