"""Reading the pairing QR code from a camera frame: zxing-cpp, no Kivy.

The scan screen hands over the camera texture's pixels; this module turns
them into an image, finds QR codes in it and keeps the first that is a
pairing code (:mod:`shared.pairing`).
"""

from __future__ import annotations

from typing import Any

import zxingcpp
from PIL import Image, ImageOps

from shared.pairing import parse_pairing_uri


def frame_image(pixels: bytes, size: tuple[int, int], colorfmt: str = "rgba") -> Image.Image:
    """A grey image of a camera frame (Kivy textures are stored bottom row first)."""
    mode = {"rgba": "RGBA", "rgb": "RGB", "bgra": "RGBA", "luminance": "L"}[colorfmt]
    return ImageOps.flip(Image.frombytes(mode, size, pixels).convert("L"))


def read_pairing(image: Any) -> tuple[str, str | None] | None:
    """The (code, server address) of the first pairing QR code in ``image``, or None."""
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        found = parse_pairing_uri(barcode.text)
        if found is not None:
            return found
    return None
