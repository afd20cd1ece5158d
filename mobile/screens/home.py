"""Home: this week against the target, sync state, reminder, today's exercises, next contact."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.i18n import N_, _, ngettext
from mobile.store import BOOKLET_ENTRY, SESSION
from mobile.summary import booklet_today, next_contact_text, suspension_text, this_week
from shared.enums import BookletStatus

STATUS_WORDS = {
    BookletStatus.DONE.value: N_("done"),
    BookletStatus.PARTIAL.value: N_("partly done"),
    BookletStatus.NOT_DONE.value: N_("not done"),
}


class HomeScreen(Screen):
    """Shows; every action is a button that opens another screen."""

    greeting = StringProperty("")
    week_text = StringProperty("")
    done = NumericProperty(0)
    target_min = NumericProperty(4)
    target_max = NumericProperty(6)
    booklet_text = StringProperty("")
    contact_text = StringProperty("")
    reminder_text = StringProperty("")
    reminder_id = NumericProperty(0)
    has_plan = BooleanProperty(False)
    questionnaires_due = NumericProperty(0)

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute everything from the cache and the store."""
        app = App.get_running_app()
        store, today = app.store, app.today()
        self.greeting = _("Hello {name}").format(name=store.get("first_name") or "")
        plan = app.cached("plan")
        self.has_plan = plan is not None
        self.questionnaires_due = len(app.due_questionnaires())
        self._reminder(app.cached("notifications"))
        if plan is None:
            self.week_text = _("Your plan will appear after the first connection.")
            self.booklet_text = self.contact_text = ""
            return
        week = this_week(plan, app.cached("progress"), store.items(SESSION), today)
        self.done, self.target_min, self.target_max = week.done, week.target_min, week.target_max
        self.week_text = ngettext(
            "Week {week}: {done} session out of {low} to {high}",
            "Week {week}: {done} sessions out of {low} to {high}", week.done,
        ).format(week=week.week, done=week.done, low=week.target_min, high=week.target_max)
        lines = []
        for item, status in booklet_today(plan, store.items(BOOKLET_ENTRY), today):
            title = item["title_fr"] if app.language == "fr" else item["title_en"]
            state = _(STATUS_WORDS[status]) if status else _("to do")
            lines.append(_("{title}: {state}").format(title=title, state=state))
        self.booklet_text = "\n".join(lines) or _("No exercise in your booklet.")
        self.contact_text = next_contact_text(plan)
        paused = suspension_text(plan)
        if paused:
            self.week_text = paused

    def _reminder(self, page: dict | None) -> None:
        unread = [n for n in (page or {}).get("items", []) if not n["read"]]
        if unread:
            self.reminder_id = unread[0]["id"]
            self.reminder_text = f"{unread[0]['subject']}\n{unread[0]['body']}".strip()
        else:
            self.reminder_id, self.reminder_text = 0, ""

    def dismiss_reminder(self) -> None:
        """The patient has read the reminder."""
        App.get_running_app().mark_read(self.reminder_id)

    def on_leave(self, *_args: object) -> None:
        # "Session saved." has been read by now; it must not greet the next visit.
        App.get_running_app().notice = ""
