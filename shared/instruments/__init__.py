"""The catalogue of clinical instruments: one definition each, scored the same everywhere.

Which ship with their wording: satisfaction and weekly symptoms (Reprise's
own). CRQ, Oswestry, Dallas and STarT Back ship their structure and scoring;
the programme installs their wording under its licence (``wording.py``).
"""

from __future__ import annotations

from shared.enums import Questionnaire
from shared.instruments.crq import CRQ
from shared.instruments.dallas import DALLAS
from shared.instruments.model import (
    AnswerProblem,
    Better,
    Domain,
    Filler,
    Instrument,
    InvalidAnswers,
    Item,
    Scale,
    Score,
    Timepoint,
)
from shared.instruments.oswestry import OSWESTRY
from shared.instruments.simple import SATISFACTION, WEEKLY_SYMPTOMS
from shared.instruments.startback import STARTBACK

CATALOGUE: dict[Questionnaire, Instrument] = {
    i.code: i for i in (CRQ, SATISFACTION, WEEKLY_SYMPTOMS, OSWESTRY, DALLAS, STARTBACK)
}


def get_instrument(code: Questionnaire | str) -> Instrument:
    """The definition of an instrument by its code."""
    return CATALOGUE[Questionnaire(code)]


def instruments_for(programme_code: str) -> tuple[Instrument, ...]:
    """Instruments with at least one timepoint in a programme, catalogue order."""
    return tuple(i for i in CATALOGUE.values() if i.due_at(programme_code))


__all__ = [
    "CATALOGUE", "AnswerProblem", "Better", "Domain", "Filler", "Instrument", "InvalidAnswers",
    "Item", "Scale", "Score", "Timepoint", "get_instrument", "instruments_for",
]
