"""Item wording installed by the programme under its own licence.

The file (JSON, path in the server's ``INSTRUMENT_WORDING_PATH``) maps an
instrument code to its items' wording::

    {"crq": {"DY1": {"fr": "...", "en": "..."}, ...}, "oswestry": {...}}

Without it the forms still work: each item shows its number and domain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

Wording = dict[str, dict[str, dict[str, str]]]


def load_wording(path: str | Path | None) -> Wording:
    """The installed wording, or an empty mapping when no file is configured."""
    if not path:
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object of instruments")
    return {str(code): {str(item): {str(lang): str(text) for lang, text in texts.items()}
                        for item, texts in items.items()}
            for code, items in data.items()}


def item_text(wording: Mapping[str, Mapping[str, Mapping[str, str]]], instrument: str,
              item_code: str, shipped: str | None, lang: str) -> str | None:
    """The item's text in ``lang``: installed wording first, then what ships, else None."""
    texts = wording.get(instrument, {}).get(item_code, {})
    return texts.get(lang) or texts.get("fr") or shipped
