"""The French catalogue: complete, and usable even before ``make translations``."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from mobile import i18n

ROOT = Path(__file__).parents[2]
PO = ROOT / "mobile" / "locale" / "fr" / "LC_MESSAGES" / "reprise_mobile.po"
KEYWORDS = {"t": None, "_": None, "N_": None, "ngettext": (1, 2)}


def test_every_message_of_the_app_has_a_french_translation():
    method_map = [("**.py", "python"), ("**.kv", "python")]
    used = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / "mobile", method_map=method_map, keywords=KEYWORDS)
    }
    with PO.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue if m.id and all(m.string if isinstance(m.string, tuple)
                                           else [m.string])}
    assert used - translated == set()
    assert len(used) > 150


def test_the_po_is_read_when_the_mo_is_not_built(tmp_path, monkeypatch):
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO, target / PO.name)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.set_language("fr")
    try:
        assert i18n._("Hello {name}") == "Bonjour {name}"
        assert i18n.ngettext("{n} session waiting to be sent",
                             "{n} sessions waiting to be sent", 2) == (
            "{n} séances en attente d'envoi")
    finally:
        monkeypatch.undo()
        i18n.set_language("fr")


def test_english_is_the_msgids_and_unknown_languages_fall_back_to_french():
    assert i18n.set_language("en") == "en" and i18n._("Fall") == "Fall"
    assert i18n.set_language("de") == "fr" and i18n._("Fall") == "Chute"
