"""Quick manual entry of a session; also where a refused session is corrected."""

from __future__ import annotations

from datetime import timedelta

from kivy.app import App
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.forms import readable_reason, session_form
from mobile.i18n import _
from mobile.store import SESSION
from mobile.summary import session_day
from shared.enums import SessionSource

FIELDS = ("duration_min", "resistance", "watts", "distance_km", "hr_rest", "hr_mean", "hr_max",
          "effort", "dyspnoea", "pain_eva", "notes")


class ManualScreen(Screen):
    """Every field of a session; wrong values are refused here with a plain message."""

    days_ago = NumericProperty(0)
    message = StringProperty("")
    correction = StringProperty("")

    def on_pre_enter(self, *_args: object) -> None:
        app = App.get_running_app()
        self.message = ""
        for name in FIELDS:
            self.ids[name].text, self.ids[name].error = "", ""
        self.days_ago, self.correction = 0, ""
        editing = app.editing
        if editing is not None and editing.kind == SESSION:
            payload = editing.payload
            self.correction = _("Correct this session. The server said: {reason}").format(
                reason=readable_reason(editing.error or ""))
            for name in FIELDS:
                value = payload.get(name)
                if name == "duration_min":
                    value = payload["duration_s"] // 60
                self.ids[name].text = "" if value is None else str(value)
            self.days_ago = max(0, min(2, (app.today() - session_day(editing)).days))
        self._show_day()

    def choose_day(self, days_ago: int) -> None:
        """Today, yesterday or the day before."""
        self.days_ago = days_ago
        self._show_day()

    def _show_day(self) -> None:
        for n in range(3):
            self.ids[f"day{n}"].state = "down" if n == self.days_ago else "normal"

    def save(self) -> None:
        """Check every field; save the session or show what is wrong."""
        app = App.get_running_app()
        day = app.today() - timedelta(days=self.days_ago)
        result = session_form({name: self.ids[name].text for name in FIELDS}, day, app.clock(),
                              SessionSource.MANUAL, taken=app.store.session_spans(day))
        for name in FIELDS:
            self.ids[name].error = result.errors.get(name, "")
        if not result.ok:
            self.message = "\n".join(result.errors.values())
            self.ids.page.scroll_y = 1
            return
        app.save(SESSION, result.payload, day)
        app.notice = _("Session saved.")
        app.go("home")

    def on_leave(self, *_args: object) -> None:
        App.get_running_app().editing = None
