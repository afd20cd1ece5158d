"""Scanning the pairing QR code with the tablet's camera; typing stays on the pairing screen.

Without a camera (or without permission) the screen says so and sends the
patient back to the typed code. Frames are decoded a few times a second on
the UI thread: zxing-cpp reads a 640x480 frame in milliseconds.
"""

from __future__ import annotations

import logging

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen
from kivy.utils import platform

from mobile.i18n import _

log = logging.getLogger(__name__)
SCAN_INTERVAL_S = 0.3


class ScanScreen(Screen):
    """The camera's picture; pairs as soon as a pairing QR code shows in it."""

    message = StringProperty("")

    def on_enter(self, *_args: object) -> None:
        self.message = _("Hold the QR code your referent shows you in front of the camera.")
        self._camera = None
        self._event = None
        if platform == "android":  # Android 6+ asks the patient at run time (not built here)
            from android.permissions import Permission, request_permissions

            request_permissions([Permission.CAMERA])
        try:
            from kivy.uix.camera import Camera

            # Imported here: a build without the decoder (see README) still pairs by typing.
            import mobile.qr  # noqa: F401

            self._camera = Camera(play=True, resolution=(640, 480))
        except Exception:  # no decoder, provider, device or permission: all end the same way
            log.info("no camera for scanning", exc_info=True)
            self.message = _("This tablet's camera cannot be used. Go back and type the code.")
            return
        self.ids.viewfinder.add_widget(self._camera)
        self._event = Clock.schedule_interval(self._scan, SCAN_INTERVAL_S)

    def _scan(self, _dt: float) -> None:
        texture = self._camera.texture if self._camera is not None else None
        if texture is None:
            return
        from mobile.qr import frame_image, read_pairing

        found = read_pairing(frame_image(texture.pixels, texture.size, texture.colorfmt))
        if found is not None:
            code, server = found
            app = App.get_running_app()
            app.go("pairing")
            app.root.get_screen("pairing").scanned(code, server)

    def on_leave(self, *_args: object) -> None:
        if self._event is not None:
            self._event.cancel()
        if self._camera is not None:
            self._camera.play = False
            self.ids.viewfinder.clear_widgets()
        self._camera = self._event = None
