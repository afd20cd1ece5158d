"""Dallas Pain Questionnaire (DPQ; French version "auto-questionnaire de Dallas").

Lawlis et al., Spine 1989;14:511-6; French validation Marty et al., Rev Rhum
1998;65:126-34. 16 items, each a visual analogue line read as a percentage
(0 % no impact to 100 %), in four domains: daily activities (7 items), work
and leisure (3), anxiety and depression (3), social interest (3). Each domain
is the mean of its items' percentages (0-100 %). The published scoring has
no missing-item rule, so every item is required. No MCID is published for
the DPQ: the outcomes panel shows its change without a verdict.

Wording: the French version is distributed free of charge for clinical use;
its authors keep the copyright, so the repository ships the domains and
scoring, and the programme installs the wording.
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
    mean,
    no_missing,
)
from shared.instruments.timepoints import M12, W0, W12

SCALE = Scale(0, 100, "0 % : aucun retentissement", "0%: no impact",
              "100 % : retentissement maximal", "100%: maximal impact", step=10)
DOMAINS = (
    Domain("daily_activities", "Activités quotidiennes", "Daily activities", 0, 100,
           Better.LOWER, unit="%"),
    Domain("work_leisure", "Travail et loisirs", "Work and leisure", 0, 100, Better.LOWER,
           unit="%"),
    Domain("anxiety_depression", "Anxiété et dépression", "Anxiety and depression", 0, 100,
           Better.LOWER, unit="%"),
    Domain("social_interest", "Intérêt social", "Social interest", 0, 100, Better.LOWER,
           unit="%"),
)
_COUNTS = {"daily_activities": ("DA", 7), "work_leisure": ("WL", 3),
           "anxiety_depression": ("AD", 3), "social_interest": ("SI", 3)}
ITEMS = tuple(
    Item(f"{prefix}{n}", number, domain, SCALE)
    for number, (domain, prefix, n) in enumerate(
        ((d, p, n) for d, (p, count) in _COUNTS.items() for n in range(1, count + 1)), start=1)
)


def _score(answers: Mapping[str, int]) -> Score:
    return Score({d: mean([answers[i.code] for i in ITEMS if i.domain == d]) for d in _COUNTS})


DALLAS = Instrument(
    code=Questionnaire.DALLAS,
    title_fr="Auto-questionnaire de Dallas (douleur rachidienne)",
    title_en="Dallas Pain Questionnaire",
    items=ITEMS,
    domains=DOMAINS,
    scorer=_score,
    missing_allowed=no_missing,
    missing_rule_fr="Tous les items sont requis.",
    missing_rule_en="Every item is required.",
    fillers=(Filler.PATIENT, Filler.STAFF),
    timepoints={"low_back_pain_home": (W0, W12, M12)},
    reference="Lawlis 1989 (Spine 14:511); Marty 1998 (Rev Rhum 65:126), French version",
    mcid_source="none published: change shown without verdict",
    licence="© the authors; free for clinical use, wording installed by the programme",
    wording_shipped=False,
)
