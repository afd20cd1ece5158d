"""Report a health event; the screen says plainly that an emergency needs the 15."""

from __future__ import annotations

from datetime import timedelta

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.forms import health_event_form, readable_reason
from mobile.i18n import N_, _
from mobile.store import HEALTH_EVENT
from mobile.summary import long_date
from shared.enums import HealthEventKind, WarningSign

KIND_LABELS = {
    HealthEventKind.HOSPITALISATION: N_("Hospital stay"),
    HealthEventKind.UNSCHEDULED_CONSULTATION: N_("Unplanned visit to a doctor"),
    HealthEventKind.EXACERBATION: N_("Breathing got worse"),
    HealthEventKind.FALL: N_("Fall"),
    HealthEventKind.CHEST_PAIN: N_("Chest pain"),
    HealthEventKind.PAIN_FLARE: N_("Pain flare"),
    HealthEventKind.OTHER: N_("Other"),
}
SIGN_LABELS = {
    WarningSign.FEVER: N_("Fever"),
    WarningSign.CANCER_HISTORY: N_("History of cancer"),
    WarningSign.TRAUMA: N_("Injury"),
    WarningSign.NEUROLOGICAL: N_("Numbness or weakness"),
    WarningSign.SADDLE_ANAESTHESIA: N_("Numb between the legs"),
    WarningSign.WALKING_DIFFICULTY: N_("Trouble walking"),
    WarningSign.GENERAL_DECLINE: N_("Feeling much weaker overall"),
}


class EventScreen(Screen):
    """Kind, day, what happened, warning signs."""

    kind = StringProperty("")
    message = StringProperty("")
    day_choice = StringProperty("0")
    more = BooleanProperty(False)

    def on_pre_enter(self, *_args: object) -> None:
        self.kind, self.message, self.day_choice, self.more = "", "", "0", False
        self.ids.description.text = self.ids.description.error = ""
        self.ids.other_day.value, self.ids.other_day.error = None, ""
        for button in self.ids.kinds.children + self.ids.signs.children + \
                self.ids.days.children:
            button.state = "normal"
        self.ids.days.children[-1].state = "down"
        app = App.get_running_app()
        if app.editing is not None and app.editing.kind == HEALTH_EVENT:
            payload = app.editing.payload
            self.kind = payload["kind"]
            self.ids.description.text = payload.get("description") or ""
            self.more = bool(self.ids.description.text)
            self.message = _("Correct this report. The server said: {reason}").format(
                reason=readable_reason(app.editing.error or ""))
            for button in self.ids.kinds.children:
                button.state = "down" if button.value == self.kind else "normal"
            for button in self.ids.signs.children:
                button.state = "down" if button.value in payload["warning_signs"] else "normal"

    def kind_label(self, kind: str, *_bound: object) -> str:
        """The translated button text of an event kind."""
        return _(KIND_LABELS[HealthEventKind(kind)])

    def day_text(self, days_ago: int | None, *_bound: object) -> str:
        """The date a number of days back, in words."""
        if days_ago is None:
            return ""
        return long_date(App.get_running_app().today() - timedelta(days=int(days_ago)))

    def sign_label(self, sign: str, *_bound: object) -> str:
        """The translated button text of a warning sign."""
        return _(SIGN_LABELS[WarningSign(sign)])

    def save(self) -> None:
        """Check and record the event."""
        app = App.get_running_app()
        today = app.today()
        other = self.ids.other_day.value
        if self.day_choice == "other" and other is None:
            self.ids.other_day.error = _("Date: press + to go back day by day.")
            self.message = self.ids.other_day.error
            return
        day = today - timedelta(days=int(other if self.day_choice == "other"
                                         else self.day_choice))
        signs = [b.value for b in self.ids.signs.children if b.state == "down"]
        result = health_event_form(self.kind or None, day, today, self.ids.description.text,
                                   signs)
        errors = result.errors
        self.ids.other_day.error = errors.get("occurred_on", "")
        self.ids.description.error = errors.get("description", "")
        self.more = self.more or "description" in errors
        if errors:
            self.message = "\n".join(errors.values())
            return
        app.save(HEALTH_EVENT, result.payload, day)
        app.notice = _("Thank you. Your referent will see this report.")
        app.go("home")

    def on_leave(self, *_args: object) -> None:
        App.get_running_app().editing = None
