"""Guided session: a timer through this week's prescription, then the end questions."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.forms import session_form
from mobile.guided import GuidedTimer, build_steps
from mobile.i18n import N_, _
from mobile.store import SESSION
from shared.enums import Modality, SessionSource
from shared.programmes import get_template

TICK_S = 0.25
MODALITY_WORDS = {
    Modality.CONTINUOUS.value: N_("continuous"),
    Modality.INTERMITTENT.value: N_("intermittent"),
    Modality.INTERVAL.value: N_("interval"),
}


def clock_text(seconds: float) -> str:
    """``12:05`` from seconds."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class GuidedScreen(Screen):
    """Start, pause and follow the steps; the end questions come after."""

    plan_text = StringProperty("")
    step_text = StringProperty("")
    left_text = StringProperty("")
    next_text = StringProperty("")
    progress = NumericProperty(0)
    running = BooleanProperty(False)
    started = BooleanProperty(False)
    elapsed_s = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.timer: GuidedTimer | None = None
        self._tick_event = None

    def on_pre_enter(self, *_args: object) -> None:
        if self.timer is not None and self.started:
            return  # coming back to a paused session
        app = App.get_running_app()
        plan = app.cached("plan") or {}
        prescription = plan.get("prescription")
        code = (plan.get("programme") or {}).get("code") or app.store.get("programme_code")
        default = get_template(code).default_session_minutes if code else 30
        steps = build_steps(prescription, default)
        self.timer = GuidedTimer(steps, app.monotonic)
        minutes = self.timer.total_s // 60
        watts = (prescription or {}).get("watts")
        modality = (prescription or {}).get("modality") or Modality.CONTINUOUS.value
        self.plan_text = _("Today: {minutes} minutes, {modality}{watts}.").format(
            minutes=minutes, modality=_(MODALITY_WORDS.get(modality, modality)),
            watts=_(" at {watts} watts").format(watts=watts) if watts else "")
        self._show()

    def start_pause(self) -> None:
        """Start, pause or resume (one big button)."""
        if self.timer.running:
            self.timer.pause()
            self._stop_ticking()
        else:
            self.timer.start()
            self.started = True
            self._tick_event = Clock.schedule_interval(self._tick, TICK_S)
        self.running = self.timer.running
        self._show()

    def finish(self) -> None:
        """End now (early or at the end of the last step) and ask the end questions."""
        self._stop_ticking()
        self.timer.pause()
        self.elapsed_s = min(self.timer.elapsed(), self.timer.total_s)
        end = self.manager.get_screen("guided_end")
        end.elapsed_s = self.elapsed_s
        self.timer, self.started, self.running = None, False, False
        App.get_running_app().go("guided_end")

    def _stop_ticking(self) -> None:
        if self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None

    def _tick(self, _dt: float) -> None:
        if self.timer is None:
            return
        if self.timer.state().finished:
            self.finish()
            return
        self._show()

    def _show(self) -> None:
        state = self.timer.state()
        self.step_text = _(state.step.title)
        if state.step.watts:
            self.step_text += "\n" + _("{watts} watts").format(watts=state.step.watts)
        self.left_text = clock_text(state.step_left_s)
        self.progress = state.elapsed_s / state.total_s if state.total_s else 0
        following = self.timer.steps[state.index + 1] if state.index + 1 < len(
            self.timer.steps) else None
        self.next_text = (_("Then: {step}").format(step=_(following.title)) if following
                          else _("Last step"))


class GuidedEndScreen(Screen):
    """Heart rate and how hard it felt, then save."""

    elapsed_s = NumericProperty(0)
    summary = StringProperty("")
    message = StringProperty("")

    def on_pre_enter(self, *_args: object) -> None:
        minutes = max(1, round(self.elapsed_s / 60))
        self.summary = _("Well done! You pedalled {minutes} minutes.").format(minutes=minutes)
        self.message = ""
        for field in self._fields():
            field.text, field.error = "", ""

    def _fields(self) -> list:
        return [self.ids[name] for name in ("hr_mean", "hr_max", "effort", "dyspnoea", "pain_eva",
                                               "notes")]

    def save(self) -> None:
        """Check the answers and write the session."""
        app = App.get_running_app()
        texts = {f.name: f.text for f in self._fields()}
        texts["duration_min"] = str(max(1, round(self.elapsed_s / 60)))
        result = session_form(texts, app.today(), app.clock(), SessionSource.GUIDED)
        for field in self._fields():
            field.error = result.errors.get(field.name, "")
        if not result.ok:
            self.message = _("Please correct what is shown in red.")
            return
        app.save(SESSION, result.payload, app.today())
        app.notice = _("Session saved.")
        app.go("home")
