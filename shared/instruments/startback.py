"""Keele STarT Back Screening Tool, 9-item version.

Hill et al., Arthritis Rheum 2008;59:632-41; scoring as published by Keele
University ("Using and scoring the Keele STarT Back Screening Tool"). Items
1-8: disagree (0) or agree (1); item 9, bothersomeness: not at all (0),
slightly (1), moderately (2), very much (3), extremely (4), positive for
"very much" or "extremely". Overall score 0-9 (positive items); distress
sub-score 0-5 (items 5-9). Sub-score 4 or 5: high risk; otherwise overall
0-3: low risk, 4-9: medium risk. Every item is required (no missing-item rule
is published). A stratification tool: no MCID.

Wording: © Keele University 2007; free for clinical use without changes, the
French version comes from Keele; the repository ships the structure and
scoring, the programme installs the wording from Keele.
"""

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
from shared.instruments.timepoints import W0, W12

AGREE = Scale(0, 1, "0 : pas d'accord", "0: disagree", "1 : d'accord", "1: agree",
              labels_fr=("Pas d'accord", "D'accord"), labels_en=("Disagree", "Agree"))
BOTHER = Scale(0, 4, "0 : pas du tout", "0: not at all", "4 : extrêmement", "4: extremely",
               labels_fr=("Pas du tout", "Légèrement", "Modérément", "Beaucoup",
                          "Extrêmement"),
               labels_en=("Not at all", "Slightly", "Moderately", "Very much", "Extremely"))
BOTHER_POSITIVE = 3
DISTRESS_ITEMS = ("5", "6", "7", "8", "9")
HIGH_DISTRESS = 4
LOW_OVERALL_MAX = 3

ITEMS = (
    *(Item(str(n), n, "physical", AGREE) for n in range(1, 5)),
    *(Item(str(n), n, "distress", AGREE) for n in range(5, 9)),
    Item("9", 9, "distress", BOTHER),
)
OVERALL = Domain("overall", "Score global", "Overall score", 0, 9, Better.LOWER)
DISTRESS = Domain("distress", "Sous-score psychosocial", "Distress sub-score", 0, 5,
                  Better.LOWER)
LOW, MEDIUM, HIGH = "low", "medium", "high"


def positive(code: str, value: int) -> int:
    """1 when an item's answer counts towards the scores."""
    return int(value >= BOTHER_POSITIVE) if code == "9" else value


def risk(overall: int, distress: int) -> str:
    """Keele's stratification from the two scores."""
    if distress >= HIGH_DISTRESS:
        return HIGH
    return LOW if overall <= LOW_OVERALL_MAX else MEDIUM


def _score(answers: Mapping[str, int]) -> Score:
    points = {code: positive(code, value) for code, value in answers.items()}
    overall = sum(points.values())
    distress = sum(points[c] for c in DISTRESS_ITEMS)
    return Score({"overall": overall, "distress": distress}, total=overall,
                 category=risk(overall, distress))


STARTBACK = Instrument(
    code=Questionnaire.STARTBACK,
    title_fr="STarT Back (Keele), 9 items",
    title_en="Keele STarT Back Screening Tool, 9 items",
    items=ITEMS,
    domains=(OVERALL, DISTRESS),
    scorer=_score,
    missing_allowed=no_missing,
    missing_rule_fr="Tous les items sont requis.",
    missing_rule_en="Every item is required.",
    fillers=(Filler.PATIENT, Filler.STAFF),
    timepoints={"low_back_pain_home": (W0, W12)},
    reference="Hill 2008 (Arthritis Rheum 59:632); Keele University scoring guide",
    mcid_source="stratification tool: risk group compared, no MCID",
    licence="© Keele University 2007; wording installed by the programme from Keele",
    wording_shipped=False,
    categories=(LOW, MEDIUM, HIGH),
)
