"""What the session screen starts from, and how its steppers move: plain Python, no Kivy.

A patient should only have to change what differs from the plan: duration
and power come from this week's prescription (or from what a device
recorded), heart rates start from the patient's usual values, and the
symptom the programme follows is asked first. Nothing is invented: a heart
rate stays empty until the patient sets it or a device measured it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mobile.forms import DURATION_MIN
from mobile.i18n import N_
from shared.enums import SymptomScore
from shared.ranges import HEART_RATE, RESISTANCE, SCORE_0_10, WATTS, Range

DEFAULT_MINUTES = 30  # when the tablet has no plan yet (first run offline)


@dataclass(frozen=True)
class Stepping:
    """A stepper's bounds and the size of one tap."""

    bounds: Range
    step: int


STEPPING = {
    "duration_min": Stepping(DURATION_MIN, 5),
    "watts": Stepping(WATTS, 5),
    "resistance": Stepping(RESISTANCE, 1),
    "hr_rest": Stepping(HEART_RATE, 1),
    "hr_mean": Stepping(HEART_RATE, 1),
    "hr_max": Stepping(HEART_RATE, 1),
    # A health event older than the day before yesterday: how many days ago, up to a year.
    "days_ago": Stepping(Range(3, 364, "d"), 1),
}
HEART_RATES = ("hr_rest", "hr_mean", "hr_max")
SESSION_STEPPERS = ("duration_min", "watts", "resistance") + HEART_RATES
SCALES = ("effort", "dyspnoea", "pain_eva")
# The words at both ends of each 0-10 scale (Borg CR10 for effort and breathlessness, EVA).
SCALE_WORDS = {
    "effort": (N_("No effort at all"), N_("Maximal effort")),
    "dyspnoea": (N_("Not breathless at all"), N_("Maximal breathlessness")),
    "pain_eva": (N_("No pain"), N_("Worst pain imaginable")),
}
# Fields a device summary may carry, under their session-form names.
RECORDED_FIELDS = ("duration_min", "watts", "distance_km", "resistance") + HEART_RATES


def step_value(name: str, value: int | None, direction: int, usual: int | None = None) -> int:
    """The value after one tap on + (direction 1) or - (-1), kept within the valid range.

    An empty stepper's first tap shows the usual value (or the middle of the
    range) rather than moving away from it: the patient starts near the answer.
    """
    stepping = STEPPING[name]
    low, high = int(stepping.bounds.low), int(stepping.bounds.high)
    if value is None:
        start = usual if usual is not None else (low + high) // 2
        return max(low, min(high, int(start)))
    return max(low, min(high, int(value) + direction * stepping.step))


def scale_value(current: int | None, tapped: int) -> int | None:
    """A tap on a 0-10 button chooses it; a tap on the chosen one clears the answer."""
    if not SCORE_0_10.contains(tapped):
        raise ValueError(f"scale value out of range: {tapped}")
    return None if current == tapped else tapped


@dataclass
class SessionStart:
    """The values the session screen opens with, and where they came from."""

    values: dict[str, Any] = field(default_factory=dict)
    usual: dict[str, int] = field(default_factory=dict)
    recorded: bool = False
    main_symptom: str = "dyspnoea"
    prescribed_minutes: int | None = None
    prescribed_watts: int | None = None

    @property
    def other_symptom(self) -> str:
        """The 0-10 scale folded under "more" (pain for breathing, breath for back pain)."""
        return "dyspnoea" if self.main_symptom == "pain_eva" else "pain_eva"

    def texts(self, values: dict[str, Any]) -> dict[str, str]:
        """The screen's values as the texts :func:`mobile.forms.session_form` checks."""
        return {name: "" if value is None else str(value) for name, value in values.items()}


def session_start(plan: dict[str, Any] | None, previous: list[dict[str, Any]],
                  recorded: dict[str, Any] | None = None) -> SessionStart:
    """Prefill from the week's prescription, the last sessions and a device's summary.

    ``previous`` are earlier session payloads, oldest first; the latest one
    holding a heart rate gives its usual value. ``recorded`` is a device's
    summary of this session (``duration_s`` or ``duration_min``, ``watts``,
    ``hr_mean``...), which wins over the prescription.
    """
    prescription = (plan or {}).get("prescription") or {}
    symptom = ((plan or {}).get("programme") or {}).get("symptom_score")
    start = SessionStart(
        main_symptom="pain_eva" if symptom == SymptomScore.PAIN.value else "dyspnoea",
        prescribed_minutes=prescription.get("session_minutes"),
        prescribed_watts=prescription.get("watts"))
    start.values = {"duration_min": start.prescribed_minutes or DEFAULT_MINUTES,
                    "watts": start.prescribed_watts, "resistance": None, "distance_km": None,
                    **dict.fromkeys(HEART_RATES), **dict.fromkeys(SCALES), "notes": ""}
    for name in HEART_RATES + ("resistance",):
        usual = next((p[name] for p in reversed(previous) if p.get(name) is not None), None)
        if usual is not None:
            start.usual[name] = int(usual)
    if recorded:
        summary = dict(recorded)
        if "duration_s" in summary and "duration_min" not in summary:
            summary["duration_min"] = max(1, round(summary["duration_s"] / 60))
        for name in RECORDED_FIELDS:
            if summary.get(name) is not None:
                start.values[name] = summary[name]
        start.recorded = True
    return start
