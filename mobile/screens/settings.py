"""Settings: text size, language, server address, unpair."""

from __future__ import annotations

import threading

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile import devices
from mobile.devices import Device, DeviceKind
from mobile.i18n import _, ngettext


class SettingsScreen(Screen):
    """Each change applies at once and is kept on the tablet."""

    message = StringProperty("")
    confirm_unpair = BooleanProperty(False)
    unpair_warning = StringProperty("")

    strap_text = StringProperty("")
    bike_text = StringProperty("")
    devices_message = StringProperty("")
    scanning = BooleanProperty(False)
    demo = BooleanProperty(False)
    found = ListProperty()

    def on_pre_enter(self, *_args: object) -> None:
        app = App.get_running_app()
        self.ids.server.text = app.store.get("server_url") or ""
        self.ids.server.error = ""
        self.message, self.confirm_unpair, self.unpair_warning = "", False, ""
        self.devices_message, self.found = "", []
        self._show_devices()

    # Devices -----------------------------------------------------------------------------

    def _show_devices(self) -> None:
        store = App.get_running_app().store
        chosen = {d.kind: d for d in devices.remembered(store)}
        none = _("none chosen")
        self.strap_text = _("Heart-rate strap: {name}").format(
            name=chosen[DeviceKind.STRAP].name if DeviceKind.STRAP in chosen else none)
        self.bike_text = _("Bike: {name}").format(
            name=chosen[DeviceKind.BIKE].name if DeviceKind.BIKE in chosen else none)
        self.demo = store.get(devices.DEMO_KEY) == "1"

    def search_devices(self, scan=devices.scan) -> None:
        """Look for straps and bikes nearby on a thread; the list comes back on the UI thread."""
        if self.scanning:
            return
        self.scanning, self.found = True, []
        self.devices_message = _("Searching for 6 seconds: wear the strap and pedal a little.")

        def work() -> None:
            try:
                found, error = scan(), None
            except devices.BluetoothUnavailable:
                found, error = [], _("No Bluetooth on this tablet. Type your heart rate at the "
                                     "end of the session, or use the demo recording.")
            Clock.schedule_once(lambda _dt: self._scanned(found, error))

        threading.Thread(target=work, name="reprise-scan", daemon=True).start()

    def _scanned(self, found: list[Device], error: str | None) -> None:
        self.scanning = False
        self.found = found
        self.devices_message = error or (ngettext(
            "{n} device found: press the one to use.", "{n} devices found: press the one to use.",
            len(found)).format(n=len(found)) if found else _(
            "Nothing found. Check the strap is worn and the bike is on, then search again."))
        box = self.ids.device_list
        box.clear_widgets()
        for device in found:
            button = Factory.QuietButton(text=(_("Use the strap {name}") if device.kind
                                               is DeviceKind.STRAP else
                                               _("Use the bike {name}")).format(name=device.name))
            button.bind(on_release=lambda _b, d=device: self.choose(d))
            box.add_widget(button)

    def choose(self, device: Device) -> None:
        """Remember this strap or bike for the next sessions."""
        devices.remember(App.get_running_app().store, device)
        self.devices_message = _("{name} remembered.").format(name=device.name)
        self._show_devices()

    def forget(self, kind: str) -> None:
        """Stop using the strap (or the bike)."""
        devices.forget(App.get_running_app().store, DeviceKind(kind))
        self._show_devices()

    def set_demo(self, on: bool) -> None:
        """Play the demo recording in guided sessions instead of real devices."""
        store = App.get_running_app().store
        if on:
            store.set(devices.DEMO_KEY, "1")
        else:
            store.delete(devices.DEMO_KEY)
        self._show_devices()

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
