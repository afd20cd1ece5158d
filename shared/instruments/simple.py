"""Reprise's own instruments, shipped with their wording: satisfaction and weekly symptoms."""

from __future__ import annotations

from collections.abc import Mapping

from shared.enums import Questionnaire
from shared.instruments.model import (
    Better,
    Domain,
    Filler,
    Instrument,
    Item,
    Scale,
    Score,
    no_missing,
)
from shared.instruments.timepoints import EVERY_WEEK, W6, W12
from shared.ranges import SCORE_0_10

ZERO_TEN = Scale(int(SCORE_0_10.low), int(SCORE_0_10.high), "0 : pas du tout", "0: not at all",
                 "10 : au maximum", "10: the most")
SATISFIED = Scale(0, 10, "0 : pas du tout satisfait", "0: not satisfied at all",
                  "10 : tout à fait satisfait", "10: fully satisfied")

# Seed 003 asks a satisfaction EVA at W6 and W12 (l.3999-4014, l.4057-4083).
SATISFACTION = Instrument(
    code=Questionnaire.SATISFACTION,
    title_fr="Satisfaction (EVA)",
    title_en="Satisfaction (VAS)",
    items=(Item("satisfaction", 1, "satisfaction", SATISFIED,
                text_fr="Dans l'ensemble, êtes-vous satisfait du programme ?",
                text_en="Overall, how satisfied are you with the programme?"),),
    domains=(Domain("satisfaction", "Satisfaction", "Satisfaction", 0, 10, Better.HIGHER),),
    scorer=lambda a: Score({"satisfaction": a["satisfaction"]}, total=a["satisfaction"]),
    missing_allowed=no_missing,
    missing_rule_fr="L'item est requis.",
    missing_rule_en="The item is required.",
    fillers=(Filler.PATIENT, Filler.STAFF),
    timepoints={"respiratory_home": (W6, W12), "low_back_pain_home": (W6, W12)},
    reference="Seed 003, satisfaction EVA at W6 and W12",
    mcid_source="not an outcome of change: no MCID",
    licence="Reprise (wording shipped)",
    wording_shipped=True,
)

_SYMPTOMS = (
    ("dyspnoea", "Essoufflement", "Breathlessness",
     "Cette semaine, quel a été votre essoufflement ?",
     "This week, how breathless have you been?", None, ""),
    ("fatigue", "Fatigue", "Fatigue", "Cette semaine, quelle a été votre fatigue ?",
     "This week, how tired have you been?", None, ""),
    ("pain", "Douleur", "Pain", "Cette semaine, quelle a été votre douleur ?",
     "This week, how much pain have you had?", 2.0,
     "pain NRS: 2 points, Farrar 2001 (Pain 94:149)"),
)


def _symptoms(answers: Mapping[str, int]) -> Score:
    return Score({code: answers[code] for code, *_ in _SYMPTOMS})


WEEKLY_SYMPTOMS = Instrument(
    code=Questionnaire.WEEKLY_SYMPTOMS,
    title_fr="Mes symptômes de la semaine",
    title_en="My symptoms this week",
    items=tuple(Item(code, n, code, ZERO_TEN, text_fr=q_fr, text_en=q_en)
                for n, (code, _fr, _en, q_fr, q_en, _m, _s) in enumerate(_SYMPTOMS, start=1)),
    domains=tuple(Domain(code, fr, en, 0, 10, Better.LOWER, mcid=mcid)
                  for code, fr, en, _qf, _qe, mcid, _s in _SYMPTOMS),
    scorer=_symptoms,
    missing_allowed=no_missing,
    missing_rule_fr="Les trois items sont requis.",
    missing_rule_en="The three items are required.",
    fillers=(Filler.PATIENT,),
    timepoints={"respiratory_home": (EVERY_WEEK,), "low_back_pain_home": (EVERY_WEEK,)},
    reference="Reprise: 0-10 numeric scales, one a week",
    mcid_source="pain 2 points: Farrar 2001 (Pain 94:149); none for dyspnoea and fatigue",
    licence="Reprise (wording shipped)",
    wording_shipped=True,
)
