"""History: sessions per week against the target band, minutes and heart rate per week."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ListProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.i18n import _, ngettext
from mobile.store import SESSION
from mobile.summary import history

WEEKS_SHOWN = 12


class HistoryScreen(Screen):
    """Charts of the last weeks and one line per week."""

    sessions = ListProperty([])
    minutes = ListProperty([])
    heart = ListProperty([])
    labels = ListProperty([])
    band = ObjectProperty(None, allownone=True)
    weeks_text = StringProperty("")

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute the weeks from the cached progress and the tablet's sessions."""
        app = App.get_running_app()
        plan = app.cached("plan")
        if plan is None:
            self.weeks_text = _("Your history will appear after the first connection.")
            return
        rows = history(plan, app.cached("progress"), app.store.items(SESSION), app.today())
        shown = rows[-WEEKS_SHOWN:]
        self.labels = [_("W{week}").format(week=w.week) for w in shown]
        self.sessions = [w.sessions for w in shown]
        self.minutes = [w.minutes for w in shown]
        self.heart = [w.mean_hr for w in shown]
        self.band = (shown[-1].target_min, shown[-1].target_max) if shown else None
        self.weeks_text = "\n".join(
            ngettext("Week {week}: {n} session, {minutes} min",
                     "Week {week}: {n} sessions, {minutes} min", w.sessions).format(
                week=w.week, n=w.sessions, minutes=w.minutes)
            for w in reversed(rows))
