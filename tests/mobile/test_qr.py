"""The pairing QR code round-trips: drawn as the server draws it, read as the tablet reads it."""

from __future__ import annotations

import qrcode
from PIL import ImageOps

from mobile.qr import frame_image, read_pairing
from server.services.pairing_qr import pairing_qr_svg
from shared.pairing import pairing_uri, parse_pairing_uri


def _qr_png(text: str):
    return qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_Q).get_image()


def test_a_rendered_pairing_qr_code_gives_back_its_code_and_server():
    image = _qr_png(pairing_uri("K7M2XQ9P", "https://reprise.example.org/"))
    assert read_pairing(image.convert("L")) == ("K7M2XQ9P", "https://reprise.example.org/")


def test_a_camera_frame_stored_bottom_row_first_is_read_too():
    image = _qr_png(pairing_uri("K7M2XQ9P", "http://192.168.1.10:5000/")).convert("RGBA")
    pixels = ImageOps.flip(image).tobytes()  # how a Kivy texture holds it
    assert read_pairing(frame_image(pixels, image.size, "rgba")) == (
        "K7M2XQ9P", "http://192.168.1.10:5000/")


def test_other_qr_codes_are_ignored_and_a_bare_code_is_accepted():
    assert read_pairing(_qr_png("https://example.org/menu").convert("L")) is None
    assert read_pairing(_qr_png("k7m2xq9p").convert("L")) == ("K7M2XQ9P", None)
    assert parse_pairing_uri("reprise://pair?code=ab;drop") is None
    assert parse_pairing_uri("reprise://other?code=K7M2XQ9P") is None
    assert parse_pairing_uri("") is None


def test_the_server_draws_the_code_as_inline_svg_without_outside_resources():
    svg = str(pairing_qr_svg("K7M2XQ9P", "http://127.0.0.1:5000/"))
    assert svg.startswith('<svg class="pairing-qr" aria-hidden="true" ')
    assert "<path" in svg and "http" not in svg.split("xmlns=")[0]
    assert "href" not in svg and "<script" not in svg
