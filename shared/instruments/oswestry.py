"""Oswestry Disability Index (ODI, version 2.1a).

Fairbank & Pynsent, Spine 2000;25:2940-53. Ten sections, each 0 (no
disability) to 5; the index is the sum over the sections answered divided by
5 times the number answered, as a percentage: "for every question not
answered, the denominator is reduced by 5" (16/50 = 32 %; one section blank:
16/45 = 35.6 %). More than two blank sections and the index is not computed
(the usual convention; the sex-life section is the one most often left
blank). MCID 10 points (Ostelo et al., Spine 2008;33:90-4).

Wording: © Jeremy Fairbank, licensed through Mapi Research Trust (ePROVIDE);
the repository ships the section names and scoring, not the statements.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.enums import Questionnaire
from shared.instruments.model import Better, Domain, Filler, Instrument, Item, Scale, Score
from shared.instruments.timepoints import M12, W0, W12

SCALE = Scale(0, 5, "0 : aucune gêne", "0: no disability",
              "5 : gêne maximale", "5: maximal disability")
SECTIONS = (
    ("pain_intensity", "Intensité de la douleur", "Pain intensity"),
    ("personal_care", "Soins personnels", "Personal care"),
    ("lifting", "Soulever des charges", "Lifting"),
    ("walking", "Marche", "Walking"),
    ("sitting", "Position assise", "Sitting"),
    ("standing", "Position debout", "Standing"),
    ("sleeping", "Sommeil", "Sleeping"),
    ("sex_life", "Vie sexuelle", "Sex life"),
    ("social_life", "Vie sociale", "Social life"),
    ("travelling", "Déplacements", "Travelling"),
)
ITEMS = tuple(Item(code, n, "disability", SCALE, text_fr=fr, text_en=en)
              for n, (code, fr, en) in enumerate(SECTIONS, start=1))
MAX_MISSING = 2
TOTAL = Domain("disability", "Incapacité (ODI)", "Disability (ODI)", 0, 100, Better.LOWER,
               unit="%", mcid=10)


def _score(answers: Mapping[str, int]) -> Score:
    answered = [answers[i.code] for i in ITEMS if i.code in answers]
    index = 100 * sum(answered) / (5 * len(answered))
    return Score({"disability": index}, total=index)


OSWESTRY = Instrument(
    code=Questionnaire.OSWESTRY,
    title_fr="Échelle d'incapacité d'Oswestry (ODI)",
    title_en="Oswestry Disability Index (ODI)",
    items=ITEMS,
    domains=(TOTAL,),
    scorer=_score,
    missing_allowed=lambda missing: len(missing) <= MAX_MISSING,
    missing_rule_fr="Au plus deux sections sans réponse : le dénominateur perd 5 points "
                    "par section manquante.",
    missing_rule_en="At most two blank sections: the denominator loses 5 per blank section.",
    fillers=(Filler.PATIENT, Filler.STAFF),
    timepoints={"low_back_pain_home": (W0, W12, M12)},
    reference="Fairbank & Pynsent 2000 (Spine 25:2940)",
    mcid_source="10 points: Ostelo 2008 (Spine 33:90)",
    licence="© J. Fairbank, licensed by Mapi Research Trust; statements installed by the "
            "programme",
    wording_shipped=False,
)
