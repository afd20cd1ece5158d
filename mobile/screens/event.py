"""Report a health event; the screen says plainly that an emergency needs the 15."""

from __future__ import annotations

from datetime import timedelta

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from mobile.forms import FormResult, health_event_form, parse_day, readable_reason
from mobile.i18n import N_, _
from mobile.store import HEALTH_EVENT
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

    def on_pre_enter(self, *_args: object) -> None:
        self.kind, self.message, self.day_choice = "", "", "0"
        self.ids.description.text = self.ids.description.error = ""
        self.ids.other_day.text = self.ids.other_day.error = ""
        for button in self.ids.kinds.children + self.ids.signs.children + \
                self.ids.days.children:
            button.state = "normal"
        self.ids.days.children[-1].state = "down"
        app = App.get_running_app()
        if app.editing is not None and app.editing.kind == HEALTH_EVENT:
            payload = app.editing.payload
            self.kind = payload["kind"]
            self.ids.description.text = payload.get("description") or ""
            self.message = _("Correct this report. The server said: {reason}").format(
                reason=readable_reason(app.editing.error or ""))
            for button in self.ids.kinds.children:
                button.state = "down" if button.value == self.kind else "normal"
            for button in self.ids.signs.children:
                button.state = "down" if button.value in payload["warning_signs"] else "normal"

    def kind_label(self, kind: str, *_bound: object) -> str:
        """The translated button text of an event kind."""
        return _(KIND_LABELS[HealthEventKind(kind)])

    def sign_label(self, sign: str, *_bound: object) -> str:
        """The translated button text of a warning sign."""
        return _(SIGN_LABELS[WarningSign(sign)])

    def save(self) -> None:
        """Check and record the event."""
        app = App.get_running_app()
        today = app.today()
        pre = FormResult()
        if self.day_choice == "other":
            day = parse_day(self.ids.other_day.text, pre)
        else:
            day = today - timedelta(days=int(self.day_choice))
        signs = [b.value for b in self.ids.signs.children if b.state == "down"]
        result = health_event_form(self.kind or None, day or today, today,
                                   self.ids.description.text, signs)
        errors = {**result.errors, **pre.errors}
        self.ids.other_day.error = errors.get("occurred_on", "")
        self.ids.description.error = errors.get("description", "")
        if errors:
            self.message = "\n".join(errors.values())
            return
        app.save(HEALTH_EVENT, result.payload, day)
        app.notice = _("Thank you. Your referent will see this report.")
        app.go("home")

    def on_leave(self, *_args: object) -> None:
        App.get_running_app().editing = None
