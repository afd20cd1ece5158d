"""Guided session: a timer through this week's prescription, then the end questions."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.capture import LiveCapture, LiveValues, Recorded
from mobile.devices import DeviceKind, LinkState
from mobile.forms import session_form
from mobile.guided import GuidedTimer, build_steps
from mobile.i18n import N_, _
from mobile.store import SESSION
from shared.enums import Modality, SessionSource
from shared.programmes import get_template
from shared.samples import HeartRateZone, ZoneState

TICK_S = 0.25
MODALITY_WORDS = {
    Modality.CONTINUOUS.value: N_("continuous"),
    Modality.INTERMITTENT.value: N_("intermittent"),
    Modality.INTERVAL.value: N_("interval"),
}
LINK_WORDS = {
    LinkState.CONNECTING: N_("connecting"),
    LinkState.CONNECTED: N_("connected"),
    LinkState.RECONNECTING: N_("link lost, reconnecting"),
    LinkState.STOPPED: N_("stopped"),
}
DEVICE_WORDS = {DeviceKind.STRAP: N_("Heart-rate strap"), DeviceKind.BIKE: N_("Bike")}


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
    # Live values from the devices (empty when the tablet has none).
    live = BooleanProperty(False)
    hr_text = StringProperty("")
    power_text = StringProperty("")
    zone_text = StringProperty("")
    link_text = StringProperty("")
    alarm = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.timer: GuidedTimer | None = None
        self.capture: LiveCapture | None = None
        self.zone = HeartRateZone(None, None)
        self._source = None
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
        self.zone = HeartRateZone((prescription or {}).get("hr_target_low"),
                                  (prescription or {}).get("hr_target_high"))
        self.capture = None
        self.live, self.alarm = False, False
        self.hr_text = self.power_text = self.zone_text = self.link_text = ""
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
            if not self.started:
                self._start_devices()
            self.started = True
            self._tick_event = Clock.schedule_interval(self._tick, TICK_S)
        self.running = self.timer.running
        self._show()

    def finish(self) -> None:
        """End now (early or at the end of the last step) and ask the end questions."""
        self._stop_ticking()
        self.timer.pause()
        self._stop_devices()
        self.elapsed_s = min(self.timer.elapsed(), self.timer.total_s)
        end = self.manager.get_screen("guided_end")
        end.elapsed_s = self.elapsed_s
        end.recorded = self.capture.recorded() if self.capture is not None else None
        self.timer, self.started, self.running = None, False, False
        self.alarm = False
        App.get_running_app().go("guided_end")

    def _start_devices(self) -> None:
        """Listen to the strap and the bike, if the tablet knows any (or plays the demo)."""
        app = App.get_running_app()
        self._source = app.device_source()
        if self._source is None:
            return
        timer = self.timer
        self.capture = LiveCapture(self.zone, timer.elapsed_at, app.monotonic)
        self.live = True
        self._source.start(self.capture.receive, self.capture.link)

    def _stop_devices(self) -> None:
        if self._source is not None:
            self._source.stop()
            self._source = None

    def _show_live(self, values: LiveValues) -> None:
        self.hr_text = _("{bpm} bpm").format(bpm=values.bpm) if values.bpm else "--"
        self.power_text = _("{watts} W").format(watts=values.watts) if values.watts is not None \
            else "--"
        if values.zone is ZoneState.ABOVE:
            self.zone_text = _("Above your ceiling of {bpm}: slow down now").format(
                bpm=self.zone.ceiling)
        elif values.zone is ZoneState.BELOW:
            self.zone_text = _("Below your zone: you may pedal a little harder")
        elif values.zone is ZoneState.IN_ZONE:
            self.zone_text = _("In your zone")
        else:
            self.zone_text = ""
        self.link_text = " · ".join(
            f"{_(DEVICE_WORDS[kind])}: {_(LINK_WORDS[state])}"
            for kind, state in sorted(values.links.items()) if state is not LinkState.CONNECTED)
        self.alarm = values.alarm
        if values.sound:
            App.get_running_app().ring_alarm()

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
        if self.capture is not None:
            self._show_live(self.capture.snapshot())
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
    heart_summary = StringProperty("")
    message = StringProperty("")
    recorded = ObjectProperty(None, allownone=True)

    def on_pre_enter(self, *_args: object) -> None:
        minutes = max(1, round(self.elapsed_s / 60))
        self.summary = _("Well done! You pedalled {minutes} minutes.").format(minutes=minutes)
        self.message = ""
        for field in self._fields():
            field.text, field.error = "", ""
        self.heart_summary = ""
        recorded: Recorded | None = self.recorded
        if recorded is not None and recorded.summary.count:
            s = recorded.summary
            # Measured values fill the form; the patient can still correct them.
            self.ids.hr_mean.text, self.ids.hr_max.text = str(s.mean), str(s.maximum)
            self.heart_summary = _("Heart rate measured: mean {mean}, maximum {maximum} bpm.")\
                .format(mean=s.mean, maximum=s.maximum)
            if s.in_zone_s is not None:
                self.heart_summary += " " + _(
                    "{zone} in your zone, {above} above your ceiling.").format(
                    zone=clock_text(s.in_zone_s), above=clock_text(s.above_ceiling_s or 0))

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
        payload = result.payload
        if self.recorded is not None:
            payload = self.recorded.attach(payload)
        app.save(SESSION, payload, app.today())
        self.recorded = None
        app.notice = _("Session saved.")
        app.go("home")

