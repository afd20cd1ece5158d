"""What a pairing QR code holds: the one-time code and the server's address.

Both the server (which draws the QR code) and the tablet (which reads it)
use these two functions, so the format lives in one place. A scanned code
also tells the tablet where its server is: the patient types nothing.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

SCHEME = "reprise"


def pairing_uri(code: str, server_url: str | None) -> str:
    """``reprise://pair?code=ABCD2345&server=https%3A%2F%2F...`` (server left out when None)."""
    query = {"code": code}
    if server_url:
        query["server"] = server_url
    return f"{SCHEME}://pair?{urlencode(query)}"


def parse_pairing_uri(text: str) -> tuple[str, str | None] | None:
    """The code and server address of a pairing QR code; None for anything else.

    A QR code holding only a code of letters and digits (printed by hand,
    say) is accepted too, without a server.
    """
    raw = (text or "").strip()
    if raw.isalnum() and 4 <= len(raw) <= 32:
        return raw.upper(), None
    try:
        parts = urlsplit(raw)
    except ValueError:
        return None
    if parts.scheme != SCHEME or parts.netloc != "pair":
        return None
    query = parse_qs(parts.query)
    code = (query.get("code") or [""])[0].strip()
    if not code.isalnum() or not 4 <= len(code) <= 32:
        return None
    server = (query.get("server") or [None])[0]
    return code.upper(), server
