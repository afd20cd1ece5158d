"""Settings: text size, language, server address, unpair."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.i18n import _, ngettext


class SettingsScreen(Screen):
    """Each change applies at once and is kept on the tablet."""

    message = StringProperty("")
    confirm_unpair = BooleanProperty(False)
    unpair_warning = StringProperty("")

    def on_pre_enter(self, *_args: object) -> None:
        app = App.get_running_app()
        self.ids.server.text = app.store.get("server_url") or ""
        self.ids.server.error = ""
        self.message, self.confirm_unpair, self.unpair_warning = "", False, ""

    def save_server(self) -> None:
        """Keep the address typed, or say what is wrong with it."""
        error = App.get_running_app().set_server(self.ids.server.text)
        self.ids.server.error = error or ""
        self.message = "" if error else _("Server address saved.")

    def unpair(self) -> None:
        """First press asks to confirm (and says what stays); the second unpairs."""
        app = App.get_running_app()
        if not self.confirm_unpair:
            waiting = sum(app.pending.values())
            self.unpair_warning = ngettext(
                "Press again to unpair. {n} entry not sent yet stays on the tablet.",
                "Press again to unpair. {n} entries not sent yet stay on the tablet.",
                waiting).format(n=waiting) if waiting else _("Press again to unpair.")
            self.confirm_unpair = True
            return
        self.confirm_unpair = False
        app.unpair()
