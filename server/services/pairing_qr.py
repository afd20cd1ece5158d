"""The pairing code drawn as a QR code, for the tablet's camera (no CDN, no JavaScript)."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from markupsafe import Markup

from shared.pairing import pairing_uri


def pairing_qr_svg(code: str, server_url: str | None) -> Markup:
    """An inline SVG of the QR code holding the code and the server's address.

    Drawn with a high error-correction level: a tablet camera held at arm's
    length, a screen's glare or a printout's fold still read.
    """
    image = qrcode.make(pairing_uri(code, server_url), image_factory=qrcode.image.svg.SvgPathImage,
                        error_correction=qrcode.constants.ERROR_CORRECT_Q, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    # The SVG is ours (qrcode's own markup over a code of letters and digits and our URL);
    # the page says in words what it is, so screen readers skip the drawing.
    return Markup(svg.replace("<svg ", '<svg class="pairing-qr" aria-hidden="true" ', 1))
