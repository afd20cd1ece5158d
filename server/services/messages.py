"""Translating validation messages, marshmallow's own included.

The API (server.api.errors) and the web forms translate every validation message
at response time. Marshmallow's fixed messages are listed here so that
extraction puts them in the catalogue next to the project's own messages.
"""

import re
from typing import Any

from server.i18n import gettext


def N_(message: str) -> str:  # noqa: N802 (the conventional gettext no-op marker)
    """Mark a message for extraction without translating it now."""
    return message


MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Not a valid UUID."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid email address."),
    N_("Not a valid integer."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid number."),
    N_("Not a valid string."),
    N_("Not a valid phone number."),
)

# Marshmallow messages with parameters: matched, then translated with the parameters kept.
_PATTERNS = (
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), N_("Must be one of: %(choices)s.")),
    (re.compile(r"^Length must be between (?P<low>\d+) and (?P<high>\d+)\.$"),
     N_("Length must be between %(low)s and %(high)s.")),
    (re.compile(r"^Longer than maximum length (?P<high>\d+)\.$"),
     N_("Longer than maximum length %(high)s.")),
    (re.compile(r"^Shorter than minimum length (?P<low>\d+)\.$"),
     N_("Shorter than minimum length %(low)s.")),
)


def translate_message(message: str) -> str:
    """The message in the request's language (marshmallow's or the project's own)."""
    for pattern, template in _PATTERNS:
        match = pattern.match(message)
        if match:
            return gettext(template, **match.groupdict())
    return gettext(message)


def flatten_errors(errors: Any, prefix: str = "") -> list[str]:
    """``["items.0.hr_max: message", ...]`` from marshmallow's nested error dict."""
    if isinstance(errors, dict):
        lines = []
        for key, value in errors.items():
            # flask-smorest nests body errors under the location ("json").
            name = prefix if key in ("json", "_schema") and not prefix else (
                f"{prefix}.{key}" if prefix else str(key))
            lines.extend(flatten_errors(value, name))
        return lines
    if isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        return [f"{prefix}: {translate_message(e)}" if prefix else translate_message(e)
                for e in errors]
    if isinstance(errors, list):
        return [line for e in errors for line in flatten_errors(e, prefix)]
    text = translate_message(str(errors))
    return [f"{prefix}: {text}" if prefix else text]
