"""The constant-load ergocycle endurance test, measured at W0 and W12 (seed 003).

Seed 003 judges the programme on "significant improvement of endurance"
measured by a constant-load test at 80 % of peak power (indicators,
l.5102-5114). The minimal clinically important difference of the endurance
time is taken from Laviolette et al., Eur Respir J 2009;34:340-5 (constant
power at 75 % of peak, COPD, after rehabilitation): 101 s (95 % CI 86-116),
or about 33 % of the baseline time. A change reaching either counts.
"""

from __future__ import annotations

from enum import StrEnum

from shared.instruments.timepoints import M12, W0, W12
from shared.ranges import Range

PEAK_POWER = Range(5, 500, "W")
LOAD_PERCENT = Range(30, 100, "%")
DEFAULT_LOAD_PERCENT = 80
ENDURANCE_TIME_S = Range(0, 60 * 60, "s")
BORG = Range(0, 10, "")  # modified Borg CR10 dyspnoea scale

# Measured at the inclusion and closing visits, and again for the 12-month synthesis.
ENDURANCE_TIMEPOINTS = (W0, W12, M12)

MCID_SECONDS = 101
MCID_FRACTION = 0.33
MCID_SOURCE = "Laviolette 2009 (Eur Respir J 34:340): 101 s or 33 % of baseline"


class StopReason(StrEnum):
    """Why the patient stopped pedalling."""

    DYSPNOEA = "dyspnoea"
    LEG_FATIGUE = "leg_fatigue"
    DYSPNOEA_AND_LEGS = "dyspnoea_and_legs"
    OTHER_SYMPTOM = "other_symptom"  # chest pain, dizziness...
    TIME_LIMIT = "time_limit"
    STOPPED_BY_STAFF = "stopped_by_staff"  # safety: heart rate, saturation, blood pressure
    OTHER = "other"


def load_watts(peak_watts: float, load_percent: float) -> int:
    """The constant load to set on the ergocycle, rounded to the watt."""
    return round(peak_watts * load_percent / 100)


def endurance_change_is_important(before_s: float, after_s: float) -> int:
    """+1 for an important gain, -1 for an important loss, 0 otherwise (MCID above)."""
    change = after_s - before_s
    threshold = min(MCID_SECONDS, MCID_FRACTION * before_s) if before_s > 0 else MCID_SECONDS
    if change >= threshold:
        return 1
    if change <= -threshold:
        return -1
    return 0
