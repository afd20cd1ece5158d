"""The guided session: steps from this week's prescription, and a timer over them.

The timer reads an injectable monotonic time source, so the app runs on the
real clock and tests run a 30-minute session in a moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mobile.i18n import N_
from shared.enums import Modality

WARM_UP_S = 5 * 60
COOL_DOWN_S = 5 * 60
# Sessions too short for 5 + 5 minutes get a fifth of their time for each.
SHORT_SESSION_SHARE = 5

STEP_TITLES = {
    "warm_up": N_("Warm-up: pedal gently"),
    "continuous": N_("Pedal at the prescribed power"),
    "work": N_("Effort: pedal harder"),
    "rest": N_("Recovery: pedal gently"),
    "cool_down": N_("Cool-down: pedal gently"),
}


@dataclass(frozen=True)
class Step:
    """One part of the session: what to do and for how long."""

    kind: str
    seconds: int
    watts: int | None = None

    @property
    def title(self) -> str:
        """The untranslated instruction (a msgid)."""
        return STEP_TITLES[self.kind]


def build_steps(prescription: dict[str, Any] | None, default_minutes: int) -> list[Step]:
    """Warm-up, the prescribed blocks (continuous, or effort/recovery pairs), cool-down."""
    minutes = (prescription or {}).get("session_minutes") or default_minutes
    total = int(minutes) * 60
    warm = cool = min(WARM_UP_S, total // SHORT_SESSION_SHARE)
    middle = total - warm - cool
    watts = (prescription or {}).get("watts")
    modality = (prescription or {}).get("modality") or Modality.CONTINUOUS.value
    work_s, rest_s = (prescription or {}).get("work_s"), (prescription or {}).get("rest_s")
    steps = [Step("warm_up", warm)]
    if modality != Modality.CONTINUOUS.value and work_s and rest_s:
        left = middle
        while left > 0:
            steps.append(Step("work", min(work_s, left), watts))
            left -= work_s
            if left > 0:
                steps.append(Step("rest", min(rest_s, left)))
                left -= rest_s
    else:
        steps.append(Step("continuous", middle, watts))
    steps.append(Step("cool_down", cool))
    return [s for s in steps if s.seconds > 0]


@dataclass(frozen=True)
class TimerState:
    """Where the session stands at one instant."""

    index: int
    step: Step
    step_left_s: int
    elapsed_s: int
    total_s: int
    finished: bool


class GuidedTimer:
    """Counts time over the steps; pausing stops the count."""

    def __init__(self, steps: list[Step], now: Callable[[], float] = time.monotonic) -> None:
        if not steps:
            raise ValueError("a guided session needs at least one step")
        self.steps = steps
        self.now = now
        self.total_s = sum(s.seconds for s in steps)
        self._started: float | None = None
        self._paused_at: float | None = None
        self._paused_total = 0.0

    @property
    def running(self) -> bool:
        """Started and not paused."""
        return self._started is not None and self._paused_at is None

    def start(self) -> None:
        """Start (or resume after a pause)."""
        if self._started is None:
            self._started = self.now()
        elif self._paused_at is not None:
            self._paused_total += self.now() - self._paused_at
            self._paused_at = None

    def pause(self) -> None:
        """Stop counting until :meth:`start`."""
        if self.running:
            self._paused_at = self.now()

    def elapsed(self) -> float:
        """Seconds pedalled so far, pauses excluded."""
        if self._started is None:
            return 0.0
        end = self._paused_at if self._paused_at is not None else self.now()
        return max(0.0, end - self._started - self._paused_total)

    def elapsed_at(self, instant: float) -> float | None:
        """Session seconds at a past or present ``instant`` of the time source; None if the
        session was not running then (not started, or paused)."""
        if self._started is None or instant < self._started:
            return None
        if self._paused_at is not None and instant >= self._paused_at:
            return None
        return max(0.0, instant - self._started - self._paused_total)

    def state(self) -> TimerState:
        """The current step and the time left in it."""
        elapsed = min(self.elapsed(), float(self.total_s))
        boundary = 0
        for index, step in enumerate(self.steps):
            boundary += step.seconds
            if elapsed < boundary:
                return TimerState(index, step, int(boundary - elapsed + 0.999), int(elapsed),
                                  self.total_s, False)
        return TimerState(len(self.steps) - 1, self.steps[-1], 0, self.total_s, self.total_s,
                          True)
