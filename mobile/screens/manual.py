"""Logging a session in a few taps; also where a refused session is corrected.

The screen opens on this week's prescription (or what a device recorded),
asks how hard it was and the programme's symptom as 0-10 rows, and folds
the rest under "More". Prefill and checks live in :mod:`mobile.entry` and
:mod:`mobile.forms`.
"""

from __future__ import annotations

from datetime import timedelta

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.entry import SCALE_WORDS, SCALES, SESSION_STEPPERS, SessionStart, session_start
from mobile.forms import readable_reason, session_form
from mobile.i18n import _
from mobile.store import REFUSED, SESSION
from mobile.summary import session_day
from shared.enums import SessionSource

STEPPERS = SESSION_STEPPERS
TEXTS = ("distance_km", "notes")


class ManualScreen(Screen):
    """Steppers, scale rows and a folded "More"; wrong values are named on the spot."""

    days_ago = NumericProperty(0)
    message = StringProperty("")
    correction = StringProperty("")
    prescription_text = StringProperty("")
    main_symptom = StringProperty("dyspnoea")
    more = BooleanProperty(False)

    def on_pre_enter(self, *_args: object) -> None:
        app = App.get_running_app()
        previous = sorted((s.payload for s in app.store.items(SESSION) if s.state != REFUSED),
                          key=lambda p: p["started_at"])
        editing = app.editing if app.editing is not None and app.editing.kind == SESSION \
            else None
        start = session_start(app.cached("plan"), previous, app.recorded)
        self.message, self.correction, self.days_ago, self.more = "", "", 0, False
        values = dict(start.values)
        if editing is not None:
            payload = editing.payload
            values.update({k: payload.get(k) for k in values if k in payload})
            values["duration_min"] = payload["duration_s"] // 60
            values["notes"] = payload.get("notes") or ""
            self.correction = _("Correct this session. The server said: {reason}").format(
                reason=readable_reason(editing.error or ""))
            self.days_ago = max(0, min(2, (app.today() - session_day(editing)).days))
        self._fill(start, values)
        self._show_day()

    def _fill(self, start: SessionStart, values: dict) -> None:
        self.start = start
        self.main_symptom = start.main_symptom
        self.prescription_text = self._prescription_text(start)
        for name in STEPPERS:
            stepper = self.ids[name]
            stepper.value, stepper.error = values[name], ""
            stepper.usual = start.usual.get(name)
            stepper.note = ""
            if name.startswith("hr_") and start.recorded and values[name] is not None:
                stepper.note = _("Measured by your heart-rate monitor.")
            elif name.startswith("hr_") and stepper.usual is not None:
                stepper.note = _("Usually {value}: + or - starts there.").format(
                    value=stepper.usual)
        for name in SCALES:
            row = self.ids[name]
            row.value, row.error = values[name], ""
            row.low_word, row.high_word = (_(w) for w in SCALE_WORDS[name])
            row.folded = name == start.other_symptom
        self.ids.distance_km.text = "" if values["distance_km"] is None \
            else str(values["distance_km"])
        self.ids.notes.text = values["notes"] or ""
        for name in TEXTS:
            self.ids[name].error = ""

    def _prescription_text(self, start: SessionStart) -> str:
        if start.recorded:
            return _("Your device recorded this session: check it and save.")
        if start.prescribed_minutes and start.prescribed_watts:
            return _("This week's prescription: {minutes} minutes at {watts} watts.").format(
                minutes=start.prescribed_minutes, watts=start.prescribed_watts)
        if start.prescribed_minutes:
            return _("This week's prescription: {minutes} minutes.").format(
                minutes=start.prescribed_minutes)
        return ""

    def toggle_more(self) -> None:
        """Show or fold the optional fields."""
        self.more = not self.more

    def choose_day(self, days_ago: int) -> None:
        """Today, yesterday or the day before."""
        self.days_ago = days_ago
        self._show_day()

    def _show_day(self) -> None:
        for n in range(3):
            self.ids[f"day{n}"].state = "down" if n == self.days_ago else "normal"

    def save(self) -> None:
        """Check every value; save the session or show what is wrong."""
        app = App.get_running_app()
        day = app.today() - timedelta(days=self.days_ago)
        values = {name: self.ids[name].value for name in STEPPERS + SCALES}
        values.update({name: self.ids[name].text for name in TEXTS})
        source = SessionSource.DEVICE if self.start.recorded else SessionSource.MANUAL
        result = session_form(self.start.texts(values), day, app.clock(), source,
                              taken=app.store.session_spans(day))
        for name in STEPPERS + SCALES + TEXTS:
            self.ids[name].error = result.errors.get(name, "")
        if not result.ok:
            self.message = "\n".join(result.errors.values())
            self.more = self.more or any(
                getattr(self.ids[n], "folded", False) or n in TEXTS
                for n in result.errors if n in self.ids)
            self.ids.page.scroll_y = 1
            return
        app.save(SESSION, result.payload, day)
        app.notice = _("Session saved.")
        app.go("home")

    def on_leave(self, *_args: object) -> None:
        app = App.get_running_app()
        app.editing = app.recorded = None
