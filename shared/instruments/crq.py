"""Chronic Respiratory Questionnaire, self-administered standardised (CRQ-SAS).

Guyatt et al., Thorax 1987;42:773-8 (CRQ); standardised dyspnoea items,
Schünemann et al., Chest 2003;124:1421-9; self-administered standardised
version, Schünemann et al., Eur Respir J 2005;25:31-40. 20 items on a 7-point
scale (1 = most impaired, 7 = no impairment): dyspnoea 5, fatigue 4,
emotional function 7, mastery 4. Each domain scores as the mean of its items
(1 to 7); the minimal clinically important difference is 0.5 per item
(Jaeschke et al., Control Clin Trials 1989;10:407-15; confirmed for the
CRQ-SAS by Schünemann 2005).

Wording: copyright McMaster University, licensed (through its licensing
office); the repository ships structure and scoring only, the programme
installs the licensed French wording (see ``wording.py``).
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
)
from shared.instruments.timepoints import M12, W0, W12

SCALE = Scale(1, 7, "1 : gêne maximale", "1: most impaired",
              "7 : aucune gêne", "7: not impaired")

DOMAINS = (
    Domain("dyspnoea", "Dyspnée", "Dyspnoea", 1, 7, Better.HIGHER, mcid=0.5),
    Domain("fatigue", "Fatigue", "Fatigue", 1, 7, Better.HIGHER, mcid=0.5),
    Domain("emotional_function", "Fonction émotionnelle", "Emotional function", 1, 7,
           Better.HIGHER, mcid=0.5),
    Domain("mastery", "Maîtrise", "Mastery", 1, 7, Better.HIGHER, mcid=0.5),
)
TOTAL = Domain("total", "Score global (moyenne des 20 items)", "Overall (mean of 20 items)",
               1, 7, Better.HIGHER, mcid=0.5)
_COUNTS = {"dyspnoea": ("DY", 5), "fatigue": ("FA", 4), "emotional_function": ("EF", 7),
           "mastery": ("MA", 4)}

ITEMS = tuple(
    Item(f"{prefix}{n}", number, domain, SCALE)
    for number, (domain, prefix, n) in enumerate(
        ((d, p, n) for d, (p, count) in _COUNTS.items() for n in range(1, count + 1)), start=1)
)

# At most one blank item per domain: the domain is the mean of the items answered.
MAX_MISSING_PER_DOMAIN = 1


def _missing_allowed(missing: set[str]) -> bool:
    return all(sum(1 for i in ITEMS if i.domain == d and i.code in missing)
               <= MAX_MISSING_PER_DOMAIN for d in _COUNTS)


def _score(answers: Mapping[str, int]) -> Score:
    domains = {d: mean([answers[i.code] for i in ITEMS if i.domain == d and i.code in answers])
               for d in _COUNTS}
    values = [v for v in domains.values() if v is not None]
    return Score(domains, total=mean([answers[i.code] for i in ITEMS if i.code in answers])
                 if len(values) == len(domains) else None)


CRQ = Instrument(
    code=Questionnaire.CRQ,
    title_fr="Questionnaire respiratoire chronique (CRQ auto-administré standardisé)",
    title_en="Chronic Respiratory Questionnaire (self-administered standardised)",
    items=ITEMS,
    domains=DOMAINS,
    total=TOTAL,
    scorer=_score,
    missing_allowed=_missing_allowed,
    missing_rule_fr="Au plus un item sans réponse par domaine : le domaine est la moyenne "
                    "des items répondus.",
    missing_rule_en="At most one blank item per domain: the domain is the mean of the items "
                    "answered.",
    fillers=(Filler.PATIENT, Filler.STAFF),
    timepoints={"respiratory_home": (W0, W12, M12)},
    reference="Guyatt 1987 (Thorax 42:773); Schünemann 2005 (Eur Respir J 25:31), CRQ-SAS",
    mcid_source="0.5 per item: Jaeschke 1989 (Control Clin Trials 10:407); Schünemann 2005",
    licence="© McMaster University; licensed wording, installed by the programme",
    wording_shipped=False,
)
