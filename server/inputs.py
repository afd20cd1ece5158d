"""What any request may carry, checked once for the API and the pages alike.

Path ids fit the database's primary keys, 32-bit INTEGER columns: beyond them
a 404, not a 500 from the driver (PostgreSQL refuses 2^31 as an INTEGER).
Text holds no lone surrogate (UTF-16 halves that no database can store) nor
control character other than tab and new lines; JSON nests a bounded number
of levels.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from server.i18n import gettext as _
from server.services.errors import Invalid

MAX_ID = 2**31 - 1
# Deep enough for every body the API takes (a batch's heart-rate pairs are 5 levels).
MAX_JSON_DEPTH = 32
_FORBIDDEN = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same characters written as JSON escapes (``\\u0007``, ``\\b``, ``\\f``), and any
# surrogate escape: telling a pair from a lone half is left to the walk.
_ESCAPED_FORBIDDEN = re.compile(
    r"\\[bf]|\\u(?:000[0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|[dD][89a-fA-F][0-9a-fA-F]{2})")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: no alternation per character
_INNERMOST_CONTAINER = re.compile(r"\[[^\[\]{}]*\]|\{[^\[\]{}]*\}")
# Up to this many brackets in a body, its nesting is measured on the decoded value.
_WALK_CONTAINERS_AT_MOST = 2_000


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id the tables can hold, anything else matches no page."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def bad_text_message() -> str:
    """Why a piece of text was refused."""
    return _("Contains a character that is not allowed (control character or invalid "
             "Unicode).")


def json_text_is_clean(text: str, data: Any) -> bool:
    """True when a valid JSON text (``data`` decoded from it) can hold no forbidden
    character and nests at most MAX_JSON_DEPTH levels; False when :func:`find_bad_text`
    must walk the decoded value.

    Whole-text operations run in C: a body of 100,000 heart-rate pairs is cleared
    without visiting each number in Python (the walk cost more than the rest of the
    request). An escape that only looks forbidden (``\\\\u0000``) just means a walk.
    """
    # In a valid JSON text a control character stands raw only as whitespace (tab, new
    # lines), which is allowed: raw, only DEL and lone surrogates remain to look for.
    if "\x7f" in text or _ESCAPED_FORBIDDEN.search(text):
        return False
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    # Few brackets (a packed batch of sessions): walking the containers is quicker than
    # taking the strings out of half a megabyte of text.
    if text.count("[") + text.count("{") <= _WALK_CONTAINERS_AT_MOST:
        return _depth_within(data)
    # Strings out, then innermost containers peeled one level per pass.
    skeleton = _JSON_STRING.sub("", text)
    for _level in range(MAX_JSON_DEPTH):
        skeleton, peeled = _INNERMOST_CONTAINER.subn("", skeleton)
        if not peeled:
            return True
    return not _INNERMOST_CONTAINER.search(skeleton)


def _depth_within(data: Any) -> bool:
    """Whether ``data``'s containers nest at most MAX_JSON_DEPTH levels (its leaves unread)."""
    level, depth = [data] if isinstance(data, dict | list) else [], 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return False
        level = [child for container in level
                 for child in (container.values() if isinstance(container, dict) else container)
                 if isinstance(child, dict | list)]
    return True


def find_bad_text(data: Any) -> tuple[list[str], str] | None:
    """The path of the first string (or key) with a forbidden character, and why; None if clean.

    Walks without recursion, so any nesting depth costs no stack; nesting beyond
    MAX_JSON_DEPTH is itself refused.
    """
    stack: list[tuple[Any, list[str]]] = [(data, [])]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _FORBIDDEN.search(value):
                return path, bad_text_message()
        elif isinstance(value, dict | list):
            if len(path) >= MAX_JSON_DEPTH:
                return path, _("Nested too deeply (at most %(n)d levels).", n=MAX_JSON_DEPTH)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _FORBIDDEN.search(key):
                    return [*path, "_key"], bad_text_message()
                stack.append((item, [*path, str(key)]))
    return None


def nested_errors(path: list[str], message: str) -> dict[str, Any] | list[str]:
    """``{"items": {"0": {"notes": [message]}}}`` for ``["items", "0", "notes"]``."""
    errors: dict[str, Any] | list[str] = [message]
    for key in reversed(path):
        errors = {key: errors}
    return errors


def check_query_and_form() -> None:
    """before_request hook: refuse query or form fields with forbidden characters (422)."""
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for source in sources:
        for name, value in source.items(multi=True):
            if _FORBIDDEN.search(name) or _FORBIDDEN.search(value):
                field = name if not _FORBIDDEN.search(name) else "?"
                raise Invalid(_("Field %(field)s: %(reason)s", field=field,
                                reason=bad_text_message()),
                              "invalid_text", {field: [bad_text_message()]})


def init_app(app: Flask) -> None:
    """Bounded ids in every route (before any is added) and the query/form check."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_query_and_form)
