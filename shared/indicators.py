"""The programme's evaluation indicators, as data: wording, targets and seed references.

Seed 003 funds the programme on an indicator table (section VII,
l.5055-5268): for each indicator a definition, a numerator and a
denominator, and a target for the programme's first year (N) and the two
after it. The low back pain documents (seeds 000-002, 004) give no
indicator table: the low back pain programme keeps the process targets
(they are about the organisation, not the disease) and has no volume,
outcome or hospital days target ("to define"); its quality of life is read
on the Oswestry disability index (its own MCID) instead of the CRQ, it has
no endurance test, and its follow-up minimum is its own (``ProgrammeTemplate``).

Year N of each programme is settled here (``FIRST_YEAR``): the seed's
table starts with the experimentation, so year N is the calendar year the
programme opened. Years after N+2 keep the N+2 target; years before N
have none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from shared.enums import Questionnaire
from shared.programmes import LOW_BACK_PAIN, RESPIRATORY
from shared.ranges import Range

# Days in hospital reported at one contact (a year at most).
HOSPITAL_DAYS = Range(0, 366, "")

# Calendar year of each programme's first year (the seed's year N).
FIRST_YEAR: dict[str, int] = {RESPIRATORY.code: 2025, LOW_BACK_PAIN.code: 2025}


class Unit(StrEnum):
    """What a figure counts."""

    COUNT = "count"  # patients or programmes
    PERCENT = "percent"  # a share of a denominator
    DAYS = "days"  # a mean delay


class Goal(StrEnum):
    """Which way a figure meets its target."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    BELOW = "below"


@dataclass(frozen=True)
class Indicator:
    """One line of the indicator table for one programme."""

    code: str
    kind: str  # activity, process or result (the seed's "type d'indicateur")
    title_fr: str
    title_en: str
    numerator_fr: str
    numerator_en: str
    denominator_fr: str  # empty for a count or a mean
    denominator_en: str
    unit: Unit
    # Targets for years N, N+1, N+2; None where the seed says "to define" or gives none.
    targets: tuple[float | None, float | None, float | None]
    goal: Goal
    seed_lines: str  # where the seed defines it (seed 003 unless said)
    # False where the programme does not measure it (low back pain: no endurance test).
    applies: bool = True
    # What the seed says beside its lines (a target it leaves open, a reading chosen).
    note_fr: str = ""
    note_en: str = ""

    def target(self, programme: str, year: int) -> float | None:
        """The target of ``year`` for ``programme`` (the N+2 one after it; none before N)."""
        index = year - FIRST_YEAR[programme]
        if index < 0 or not self.applies:
            return None
        return self.targets[min(index, 2)]

    def met(self, value: float | None, target: float | None) -> bool | None:
        """Whether ``value`` meets ``target`` (None when either is missing)."""
        if value is None or target is None:
            return None
        if self.goal == Goal.AT_LEAST:
            return value >= target - 1e-9
        if self.goal == Goal.AT_MOST:
            return value <= target + 1e-9
        return value < target


NO_TARGET: tuple[None, None, None] = (None, None, None)

RESPIRATORY_INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "programmes_done", "activity",
        "Programmes (phase interventionnelle) réalisés", "Programmes done (intervention phase)",
        "Programmes dont la phase d'intervention s'est achevée dans l'année",
        "Programmes whose intervention phase was completed in the year", "", "",
        Unit.COUNT, (220, 240, 260), Goal.AT_LEAST, "l.5075-5079"),
    Indicator(
        "intervention_validation", "process",
        "Taux de validation du parcours « intervention »",
        "Completion rate of the intervention pathway",
        "Programmes terminés (phase d'intervention achevée)",
        "Programmes completed (intervention phase finished)",
        "Programmes débutés dont la phase d'intervention a pris fin dans l'année "
        "(achevée ou arrêtée)",
        "Started programmes whose intervention phase ended in the year (completed or stopped)",
        Unit.PERCENT, (85, 85, 85), Goal.AT_LEAST,
        "l.5085-5090",
        note_fr="écrit « initiés/terminés », lu terminés / débutés",
        note_en="written initiated/completed, read completed/started"),
    Indicator(
        "dossier_to_start", "process",
        "Délai moyen de prise en charge", "Mean delay to start",
        "Jours entre le dossier complet et la mise en œuvre, en moyenne",
        "Days from complete dossier to start, on average",
        "Programmes débutés dans l'année", "Programmes started in the year",
        Unit.DAYS, (28, 28, 28), Goal.AT_MOST, "l.5096-5100",
        note_fr="4 semaines", note_en="4 weeks"),
    Indicator(
        "quality_of_life", "result",
        "Amélioration significative de la qualité de vie (CRQ)",
        "Significant quality-of-life improvement (CRQ)",
        "Patients dont le score global du CRQ gagne au moins la différence minimale "
        "cliniquement importante entre S0 et S12",
        "Patients whose overall CRQ score gains at least the minimal clinically important "
        "difference from W0 to W12",
        "Programmes réalisés dans l'année avec un CRQ à S0 et à S12",
        "Programmes done in the year with a CRQ at W0 and at W12",
        Unit.PERCENT, (80, 85, 90), Goal.AT_LEAST, "l.5102-5107"),
    Indicator(
        "endurance", "result",
        "Amélioration significative de la tolérance à l'effort",
        "Significant endurance improvement",
        "Patients dont le temps d'endurance à charge constante gagne au moins la différence "
        "minimale cliniquement importante entre S0 et S12",
        "Patients whose constant-load endurance time gains at least the minimal clinically "
        "important difference from W0 to W12",
        "Programmes réalisés dans l'année avec un test d'endurance à S0 et à S12",
        "Programmes done in the year with an endurance test at W0 and at W12",
        Unit.PERCENT, (75, 80, 85), Goal.AT_LEAST, "l.5109-5114"),
    Indicator(
        "activity_kept", "result",
        "Maintien d'une activité physique significative, par trimestre",
        "Significant physical activity kept, per quarter",
        "Patients dont la moyenne de séances par semaine de suivi atteint le minimum du "
        "programme, sur l'année puis trimestre par trimestre",
        "Patients whose mean sessions per follow-up week reach the programme's minimum, "
        "over the year then quarter by quarter",
        "Patients ayant au moins une semaine de suivi achevée dans l'année (le trimestre)",
        "Patients with at least one completed follow-up week in the year (the quarter)",
        Unit.PERCENT, NO_TARGET, Goal.AT_LEAST, "l.5116-5123",
        note_fr="3 séances par semaine ; cible à définir",
        note_en="3 sessions a week; target to define"),
    Indicator(
        "follow_up_patients", "activity",
        "Patients ayant bénéficié du parcours (phase d'accompagnement)",
        "Patients in the follow-up pathway",
        "Patients en phase de suivi à un moment de l'année",
        "Patients in the follow-up phase at some time in the year", "", "",
        Unit.COUNT, (220, 240, 260), Goal.AT_LEAST, "l.5152-5156"),
    Indicator(
        "follow_up_phone", "activity",
        "Patients suivis par entretien téléphonique", "Patients followed up by phone",
        "Patients ayant eu un contact de suivi par téléphone dans l'année",
        "Patients with a follow-up contact by phone in the year", "", "",
        Unit.COUNT, (150, 120, 100), Goal.AT_LEAST, "l.5159-5163"),
    Indicator(
        "follow_up_video", "activity",
        "Patients suivis par visioconsultation", "Patients followed up by video",
        "Patients ayant eu un contact de suivi en visioconsultation dans l'année",
        "Patients with a follow-up contact by video in the year", "", "",
        Unit.COUNT, (70, 120, 160), Goal.AT_LEAST, "l.5166-5170"),
    Indicator(
        "follow_up_validation", "process",
        "Taux de validation du parcours « accompagnement »",
        "Completion rate of the follow-up pathway",
        "Programmes dont la phase de suivi s'est achevée",
        "Programmes whose follow-up phase was completed",
        "Programmes dont la phase de suivi a pris fin dans l'année (achevée ou arrêtée)",
        "Programmes whose follow-up phase ended in the year (completed or stopped)",
        Unit.PERCENT, (65, 75, 85), Goal.AT_LEAST, "l.5173-5178"),
    Indicator(
        "reorientation", "process",
        "Taux de réorientation en SSR", "Reorientation rate (SSR)",
        "Patients réorientés dans l'année après être entrés en phase de suivi",
        "Patients reoriented in the year after entering the follow-up phase",
        "Patients ayant bénéficié du parcours accompagnement dans l'année",
        "Patients in the follow-up pathway in the year",
        Unit.PERCENT, (20, 15, 10), Goal.BELOW, "l.5185-5190"),
    Indicator(
        "hospital_days", "result",
        "Diminution du nombre de journées d'hospitalisation",
        "Reduction of hospital days",
        "1 - journées après / journées avant : après = de l'inclusion à la fin du suivi "
        "(visite S12 et appels de suivi), avant = 12 mois avant l'inclusion (visite S0)",
        "1 - days after / days before: after = from inclusion to the end of follow-up (W12 "
        "visit and follow-up calls), before = the 12 months before inclusion (W0 visit)",
        "Programmes achevés dans l'année où les journées avant et après sont renseignées",
        "Programmes completed in the year with the days before and after recorded",
        Unit.PERCENT, (40, 45, 50), Goal.AT_LEAST, "l.5193-5195, l.3576-3578, l.4579-4581"),
    Indicator(
        "incidents", "result",
        "Programmes ayant présenté un incident", "Programmes with an incident",
        "Programmes débutés avec au moins un événement de santé pendant l'intervention, "
        "par nature",
        "Started programmes with at least one health event during the intervention, by kind",
        "Programmes dont la phase d'intervention a pris fin dans l'année",
        "Programmes whose intervention phase ended in the year",
        Unit.PERCENT, NO_TARGET, Goal.AT_MOST, "l.4113-4135",
        note_fr="30 % en pratique ; pas de cible", note_en="30 % in practice; no target"),
)


def _low_back(indicator: Indicator) -> Indicator:
    """The respiratory line as the low back pain programme reads it."""
    if indicator.code == "quality_of_life":
        return replace(
            indicator, title_fr="Amélioration significative de l'incapacité (Oswestry)",
            title_en="Significant disability improvement (Oswestry)",
            numerator_fr="Patients dont l'indice d'Oswestry baisse d'au moins la différence "
                         "minimale cliniquement importante entre S0 et S12",
            numerator_en="Patients whose Oswestry index falls by at least the minimal "
                         "clinically important difference from W0 to W12",
            denominator_fr="Programmes réalisés dans l'année avec un Oswestry à S0 et à S12",
            denominator_en="Programmes done in the year with an Oswestry at W0 and at W12",
            targets=NO_TARGET, seed_lines="seed 000 l.1362-1370", note_fr="pas de cible",
            note_en="no target")
    if indicator.code == "endurance":
        return replace(indicator, applies=False, targets=NO_TARGET, seed_lines="seeds 000-002",
                       note_fr="pas de test d'endurance", note_en="no endurance test")
    if indicator.code == "activity_kept":
        return replace(indicator, seed_lines="seed 002 l.98",
                       note_fr="2 jours actifs par semaine ; cible à définir",
                       note_en="2 active days a week; target to define")
    if indicator.unit == Unit.COUNT or indicator.code == "hospital_days":
        # Volumes and the fall in (respiratory) hospital days are the respiratory
        # experimentation's; none is set for low back pain.
        return replace(indicator, targets=NO_TARGET)
    return indicator


INDICATORS: dict[str, tuple[Indicator, ...]] = {
    RESPIRATORY.code: RESPIRATORY_INDICATORS,
    LOW_BACK_PAIN.code: tuple(_low_back(i) for i in RESPIRATORY_INDICATORS),
}
# The questionnaire whose overall score is the quality-of-life indicator, per programme.
QUALITY_OF_LIFE: dict[str, Questionnaire] = {
    RESPIRATORY.code: Questionnaire.CRQ, LOW_BACK_PAIN.code: Questionnaire.OSWESTRY,
}
CODES: tuple[str, ...] = tuple(i.code for i in RESPIRATORY_INDICATORS)
QUARTERS = (1, 2, 3, 4)
