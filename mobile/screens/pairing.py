"""Pairing: the code the referent reads out, and the server address (pre-filled)."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.i18n import _


class PairingScreen(Screen):
    """Asks the one-time code; the app does the exchange on a thread."""

    message = StringProperty("")
    busy = BooleanProperty(False)

    def on_pre_enter(self, *_args: object) -> None:
        app = App.get_running_app()
        self.ids.server.text = app.store.get("server_url") or ""
        self.message = app.notice

    def submit(self) -> None:
        """Send the code (the button)."""
        self.busy = True
        self.message = _("Pairing, please wait...")
        App.get_running_app().pair(self.ids.code.text, self.ids.server.text, self._done)

    def scanned(self, code: str, server: str | None) -> None:
        """A pairing QR code was read: pair with its code (and server, when it holds one)."""
        self.ids.code.text = code
        if server:
            self.ids.server.text = server
        self.submit()

    def _done(self, message: str | None) -> None:
        self.busy = False
        self.message = message or ""
        self.ids.code.error = message or ""
        if message is None:
            self.ids.code.text = ""
