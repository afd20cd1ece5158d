"""Translations of the tablet app: gettext catalogues, French first, English msgids.

The catalogue is ``locale/<lang>/LC_MESSAGES/reprise_mobile.mo`` (built from
the ``.po`` by ``make translations``). When a checkout has not built it yet,
the ``.po`` is read directly through Babel so that the app still speaks
French; on a device only the ``.mo`` is shipped.
"""

from __future__ import annotations

import gettext
import io
import threading
from pathlib import Path

DOMAIN = "reprise_mobile"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

_lock = threading.Lock()
_state: dict[str, object] = {"language": DEFAULT_LANGUAGE, "catalogue": None}


def _compile_po(po_path: Path) -> gettext.GNUTranslations:
    """A catalogue compiled in memory from a ``.po`` (when the ``.mo`` is not built)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _load(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, [language])
    except OSError:
        po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        return _compile_po(po) if po.exists() else gettext.NullTranslations()


def set_language(language: str) -> str:
    """Switch every later translation to ``language`` (unknown ones fall back to French)."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    with _lock:
        _state["language"] = language
        _state["catalogue"] = _load(language)
    return language


def language() -> str:
    """The language in use."""
    return str(_state["language"])


def _catalogue() -> gettext.NullTranslations:
    catalogue = _state["catalogue"]
    if catalogue is None:
        set_language(str(_state["language"]))
        catalogue = _state["catalogue"]
    assert isinstance(catalogue, gettext.NullTranslations)
    return catalogue


def _(message: str) -> str:
    """The translation of ``message`` in the current language."""
    return _catalogue().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The translation of a message that depends on a count."""
    return _catalogue().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for extraction; translated later, where it is shown."""
    return message
