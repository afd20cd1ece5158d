"""Valid ranges of what a patient logs, checked on the tablet and on the server alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Range:
    """An inclusive numeric range with its unit, for messages."""

    low: float
    high: float
    unit: str = ""

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within the range."""
        return self.low <= value <= self.high


HEART_RATE = Range(25, 250, "bpm")
SESSION_DURATION_S = Range(1, 6 * 3600, "s")
WATTS = Range(0, 1000, "W")
RESISTANCE = Range(1, 30, "")
DISTANCE_KM = Range(0, 300, "km")
SCORE_0_10 = Range(0, 10, "")
REPETITIONS = Range(0, 500, "")
HR_SAMPLE_OFFSET_S = Range(0, 6 * 3600, "s")
MAX_HR_SAMPLES = 6 * 3600
MAX_BATCH_ITEMS = 100
MAX_NOTE_LENGTH = 2000
# A tablet clock may be a little ahead; anything later than this is refused.
FUTURE_TOLERANCE = timedelta(hours=24)

# Questionnaires as the tablet sends them today: the answer keys each instrument has and the
# range of its score (CRQ: mean of four domains scored 1-7; Dallas and Oswestry: 0-100 %;
# STarT Back: 0-9 points; satisfaction and weekly symptoms: 0-10 scales).
QUESTIONNAIRE_ANSWER_KEYS: dict[str, frozenset[str]] = {
    "crq": frozenset({"dyspnoea", "fatigue", "emotional_function", "mastery"}),
    "satisfaction": frozenset({"eva"}),
    "dallas": frozenset({"total"}),
    "oswestry": frozenset({"total"}),
    "startback": frozenset({"total"}),
    "weekly_symptoms": frozenset({"dyspnoea", "pain", "fatigue", "sleep"}),
}
QUESTIONNAIRE_SCORE: dict[str, Range] = {
    "crq": Range(1, 7, ""),
    "satisfaction": SCORE_0_10,
    "dallas": Range(0, 100, "%"),
    "oswestry": Range(0, 100, "%"),
    "startback": Range(0, 9, ""),
    "weekly_symptoms": SCORE_0_10,
}
