"""The cohort as data: who is in which state, programme and phase, and who cares for them.

Pure: no database. Shares follow the reference programme (seed 003, see
``shared/brief/PROGRAMME.md``): three patients in four in home respiratory
rehabilitation, one in four in the low back pain programme; enrolments at
every stage of the pipeline; most patients in the 12-week intervention or the
40-week follow-up; about one running patient in five drifting toward rupture;
about one follow-up patient in two without the habit, who goes through a
committee review and a reinforcement visit (staff-time annex).

Each enrolment's history is a path of the state machine
(``shared.enrolment.check_transition`` with the actor's role and reason): the
state written is where the path ends, never set by hand. Everything is drawn
from one ``random.Random(seed)`` in a fixed order and dated relative to
``today``: the same options give the same cohort.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.enrolment import Action, check_transition, dossier_pieces
from shared.enums import EnrolmentState, HealthEventKind, Role, WarningSign, WorkStatus
from shared.programmes import LOW_BACK_PAIN, RESPIRATORY, ProgrammeTemplate, get_template
from shared.timeline import PARIS, add_months, local_midnight, programme_dates
from synthetic.texts import F_FIRST, LAST_NAMES, M_FIRST

S = EnrolmentState
# Below this size the cohort cannot hold every stage and every kind of drift.
MIN_PATIENTS = 24
PATIENTS_PER_REFERENT = 60
PATIENTS_PER_PHYSICIAN = 500

# Kinds of drift toward rupture, each held by at least one running patient.
FADING = "fading"            # sessions per week falling to 0-2 over the last 3 weeks
SILENT = "silent"            # nothing logged for 8 days or more
HR_OVER = "hr_over"          # a recent session above the heart-rate ceiling
PAIN_RISING = "pain_rising"  # low back pain EVA 2+ points above its baseline
HOSPITALISED = "hospitalised"  # hospitalisation during the intervention, lately


@dataclass(frozen=True)
class Options:
    """What to generate. The scale knobs keep a 100,000-patient file within reach."""

    patients: int
    seed: int
    today: date
    tz: ZoneInfo = PARIS
    # Heart-rate curves for the guided sessions of the last days (0: none).
    hr_sample_days: int = 14
    # Booklet entries over the last days only (None: the whole programme).
    booklet_days: int | None = None
    # Prefix of the patients' external references.
    ref_prefix: str = "DEMO"


@dataclass(frozen=True)
class StaffAccount:
    """A staff account of the cohort, before it has an id."""

    email: str
    full_name: str
    role: Role


@dataclass(frozen=True)
class Staff:
    """The ids of the cohort's staff accounts, by role."""

    coordinator: int
    physicians: list[int]
    referents: list[int]


def staff_accounts(patients: int) -> list[StaffAccount]:
    """A coordinator, an administrator, a physician per 500 patients, a referent per 60.

    The first six are the demo's named accounts.
    """
    physicians = max(1, -(-patients // PATIENTS_PER_PHYSICIAN))
    referents = max(3, -(-patients // PATIENTS_PER_REFERENT))
    named = ("Claire Lefèvre", "Julien Moreau", "Sophie Garnier")
    accounts = [
        StaffAccount("coordination@reprise.demo", "Isabelle Roux", Role.COORDINATOR),
        StaffAccount("medecin@reprise.demo", "Dr Antoine Mercier", Role.PHYSICIAN),
        StaffAccount("admin@reprise.demo", "Administration Reprise", Role.ADMIN),
    ]
    accounts += [StaffAccount(f"referent{n}@reprise.demo",
                              named[n - 1] if n <= len(named) else f"Référent {n}",
                              Role.REFERENT) for n in range(1, referents + 1)]
    accounts += [StaffAccount(f"medecin{n}@reprise.demo", f"Dr Médecin {n}", Role.PHYSICIAN)
                 for n in range(2, physicians + 1)]
    return accounts


@dataclass
class Spec:
    """What one patient is meant to show, before any date is drawn."""

    state: EnrolmentState
    programme: str = RESPIRATORY.code
    drift: str | None = None
    referral_source: str = "pneumologist"
    intervention_weeks: int | None = None


@dataclass
class PatientPlan:
    """One patient and enrolment: identity, pipeline and what the activity needs."""

    index: int
    spec: Spec
    template: ProgrammeTemplate
    patient_id: int
    enrolment_id: int
    referent_id: int
    physician_id: int
    first_name: str = ""
    last_name: str = ""
    sex: str = "F"
    birth_date: date | None = None
    phone: str = ""
    email: str | None = None
    hr_rest_min: int = 55
    hr_rest_max: int = 95
    hr_ceiling: int = 130
    state: EnrolmentState = S.REQUESTED
    transitions: list[tuple[Any, ...]] = field(default_factory=list)
    requested_at: datetime | None = None
    dossier: dict[str, bool] = field(default_factory=dict)
    dossier_completed_at: datetime | None = None
    validated_at: datetime | None = None
    consent_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    # The physician's pause in force (state SUSPENDED): from, review day, why.
    suspended_on: date | None = None
    suspension_review_on: date | None = None
    suspension_reason: str | None = None
    # Where a low back pain patient stands with work at inclusion (seed 000).
    work_status: WorkStatus | None = None
    start: date | None = None
    # Last day the patient may have logged anything (inclusive).
    stop: date | None = None
    adherence: str = "mid"
    keeper: bool = True
    base_watts: int = 30
    base_symptom: float = 5.0
    reinforcement_day: date | None = None
    blackouts: list[tuple[date, date]] = field(default_factory=list)
    # Health events (column values) drawn with the pipeline or the activity.
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return self.start is not None

    def blacked_out(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.blackouts)


def state_plan(n: int) -> list[EnrolmentState]:
    """How many enrolments in each state for a cohort of ``n``, scaled from 48."""
    def share(count_of_48: int) -> int:
        return max(1, round(n * count_of_48 / 48))

    fixed = ([S.REQUESTED] * share(3) + [S.DOSSIER_COMPLETE] * share(2)
             + [S.VALIDATED] * share(2) + [S.COMPLETED] * share(4)
             + [S.DECLINED] * share(1) + [S.INTERRUPTED] * share(1)
             + [S.REORIENTED] * share(1) + [S.SUSPENDED] * share(1))
    running = n - len(fixed)
    active = math.ceil(running * 0.56)
    return fixed + [S.ACTIVE] * active + [S.FOLLOW_UP] * (running - active)


def plan_specs(rng: random.Random, n: int) -> list[Spec]:
    """States, programmes and drifts of the cohort, in a shuffled order."""
    if n < MIN_PATIENTS:
        raise ValueError(f"the synthetic cohort needs at least {MIN_PATIENTS} patients")
    specs = [Spec(state) for state in state_plan(n)]
    active = [s for s in specs if s.state == S.ACTIVE]
    follow = [s for s in specs if s.state == S.FOLLOW_UP]
    core = [
        (active[0], FADING, RESPIRATORY.code), (active[1], SILENT, RESPIRATORY.code),
        (active[2], HR_OVER, RESPIRATORY.code), (active[3], PAIN_RISING, LOW_BACK_PAIN.code),
        (active[4], HOSPITALISED, RESPIRATORY.code), (follow[0], FADING, RESPIRATORY.code),
        (follow[1], SILENT, LOW_BACK_PAIN.code),
    ]
    for spec, drift, programme in core:
        spec.drift, spec.programme = drift, programme
    # About one running patient in five drifts; bigger cohorts get more of every kind
    # that needs no particular programme.
    running = active + follow
    calm = [s for s in running if s.drift is None]
    extra = max(0, round(0.2 * len(running)) - len(core))
    for spec, drift in zip(rng.sample(calm, min(extra, len(calm))),
                           [FADING, SILENT, FADING, SILENT, HR_OVER] * extra, strict=False):
        spec.drift = drift
    # One patient in four in the low back pain programme, drifters included.
    free = [s for s in specs if s.drift is None]
    lbp_wanted = round(n * 0.25) - sum(s.programme == LOW_BACK_PAIN.code for s in specs)
    for spec in rng.sample(free, max(0, lbp_wanted)):
        spec.programme = LOW_BACK_PAIN.code
    for spec in specs:
        if spec.programme == LOW_BACK_PAIN.code:
            spec.referral_source = rng.choice(
                ("general_practitioner", "rheumatologist", "occupational_physician"))
        else:
            spec.referral_source = rng.choice(
                ("pneumologist", "pneumologist", "general_practitioner"))
    # A few respiratory patients come from a short SSR stay: 10 weeks at home (seed 003).
    ssr = [s for s in specs if s.programme == RESPIRATORY.code and s.drift is None
           and s.state in (S.ACTIVE, S.FOLLOW_UP, S.COMPLETED)]
    for spec in rng.sample(ssr, min(max(2, round(0.02 * n)), len(ssr))):
        spec.referral_source, spec.intervention_weeks = "ssr_stay", 10
    rng.shuffle(specs)
    return specs


class Calendar:
    """Instants of the cohort: local to the programme's zone, all before ``today`` starts."""

    def __init__(self, rng: random.Random, today: date, tz: ZoneInfo) -> None:
        self.rng, self.today, self.tz = rng, today, tz
        self.yesterday = today - timedelta(days=1)
        # Everything generated happened before the start of today, local time.
        self.cutoff = local_midnight(today, tz)
        self._last_minute = self.cutoff - timedelta(minutes=1)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """An aware local instant on ``day``."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    def daytime(self, day: date, first_hour: int = 9, last_hour: int = 18) -> datetime:
        """A random instant on ``day`` between two local hours."""
        minutes = self.rng.randrange(first_hour * 60, last_hour * 60)
        return self.at(day, minutes // 60, minutes % 60)

    def before_cutoff(self, instant: datetime) -> datetime:
        return min(instant, self._last_minute)

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def event(self, kind: HealthEventKind, day: date, description: str,
              signs: Iterable[WarningSign] = (), reported: date | None = None
              ) -> dict[str, Any]:
        """A health event's columns, sent from the tablet on ``reported`` (or soon after)."""
        reported_day = min(reported or day + timedelta(days=self.rng.randint(0, 2)),
                           self.yesterday)
        return {"kind": kind, "occurred_on": day, "description": description,
                "warning_signs": [s.value for s in signs],
                "received_at": self.before_cutoff(self.daytime(reported_day, 17, 21))}


class Pipeline:
    """Draws each patient's identity and walks the enrolment through the state machine."""

    def __init__(self, cal: Calendar, staff: Staff, ref_prefix: str) -> None:
        self.cal, self.rng, self.staff, self.ref_prefix = cal, cal.rng, staff, ref_prefix

    def patients(self, specs: list[Spec], first_patient_id: int,
                 first_enrolment_id: int) -> Iterator[PatientPlan]:
        """One plan per spec, identity and pipeline drawn (activity comes later)."""
        for index, spec in enumerate(specs):
            referents, physicians = self.staff.referents, self.staff.physicians
            plan = PatientPlan(
                index=index, spec=spec,
                template=get_template(spec.programme, spec.intervention_weeks),
                patient_id=first_patient_id + index, enrolment_id=first_enrolment_id + index,
                referent_id=referents[index % len(referents)],
                physician_id=physicians[index * len(physicians) // len(specs)])
            self._identity(plan)
            self._pipeline(plan)
            if plan.state != spec.state:
                raise AssertionError(f"path ends in {plan.state}, not {spec.state}")
            yield plan

    def _identity(self, plan: PatientPlan) -> None:
        rng, respiratory = self.rng, plan.spec.programme == RESPIRATORY.code
        plan.sex = "M" if rng.random() < (0.55 if respiratory else 0.45) else "F"
        plan.first_name = rng.choice(M_FIRST if plan.sex == "M" else F_FIRST)
        plan.last_name = rng.choice(LAST_NAMES)
        low, high = (45, 85) if respiratory else (30, 65)
        plan.birth_date = self.cal.today - timedelta(
            days=rng.randint(low * 365 + 20, high * 365 - 20))
        if rng.random() < 0.4:
            plan.email = (f"{_ascii(plan.first_name)}.{_ascii(plan.last_name)}"
                          f"{plan.index}@exemple.fr").replace(" ", "")
        plan.phone = (f"0{rng.choice('67')} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                      f"{rng.randint(10, 99)} {rng.randint(10, 99)}")
        plan.hr_rest_min, plan.hr_rest_max = rng.randint(55, 60), rng.randint(95, 100)
        plan.hr_ceiling = rng.randint(120, 140)

    def move(self, plan: PatientPlan, action: Action, role: Role, actor_id: int,
             at: datetime, reason: str | None = None) -> None:
        """One transition, as the state machine allows it for this role and reason."""
        target = check_transition(plan.state, action, role, reason)
        plan.transitions.append((action.value, plan.state, target, actor_id, at, reason))
        plan.state = target

    def _pipeline(self, plan: PatientPlan) -> None:
        """Dates, dossier and transitions of the enrolment, consistent with its state."""
        rng, cal, state = self.rng, self.cal, plan.spec.state
        pieces = dossier_pieces(plan.template.code)
        complete = dict.fromkeys(pieces, True)
        if plan.template.tracks_return_to_work:
            plan.work_status = rng.choice((WorkStatus.SICK_LEAVE, WorkStatus.SICK_LEAVE,
                                           WorkStatus.THERAPEUTIC_PART_TIME, WorkStatus.WORKING))
        if state == S.REQUESTED:
            plan.requested_at = cal.daytime(cal.days_ago(1, 12))
            # Some pieces are still being chased: never all of them.
            missing = rng.sample(pieces, rng.randint(1, 3))
            plan.dossier = {piece: piece not in missing for piece in pieces}
        elif state == S.DOSSIER_COMPLETE:
            self._requested_and_complete(plan, cal.days_ago(1, 6), complete)
        elif state in (S.VALIDATED, S.DECLINED):
            validated = cal.days_ago(8, 14) if state == S.DECLINED else cal.days_ago(1, 8)
            self._requested_and_complete(
                plan, validated - timedelta(days=rng.randint(2, 6)), complete)
            self._validate(plan, validated)
            if state == S.DECLINED:
                plan.ended_at = cal.daytime(validated + timedelta(days=rng.randint(3, 6)))
                plan.end_reason = (
                    f"{'La patiente' if plan.sex == 'F' else 'Le patient'} renonce au "
                    "programme : pas d'aidant disponible et logement sans place pour "
                    "l'ergocycle.")
                self.move(plan, Action.DECLINE, Role.COORDINATOR, self.staff.coordinator,
                          plan.ended_at, plan.end_reason)
        else:
            self._started(plan)

    def _requested_and_complete(self, plan: PatientPlan, done: date,
                                dossier: dict[str, bool]) -> None:
        plan.requested_at = self.cal.daytime(done - timedelta(days=self.rng.randint(7, 21)))
        plan.dossier = dossier
        plan.dossier_completed_at = self.cal.daytime(done, 9, 17)
        self.move(plan, Action.COMPLETE_DOSSIER, Role.COORDINATOR, self.staff.coordinator,
                  plan.dossier_completed_at)

    def _validate(self, plan: PatientPlan, day: date) -> None:
        plan.validated_at = self.cal.daytime(day, 11, 13)
        self.move(plan, Action.VALIDATE, Role.PHYSICIAN, plan.physician_id, plan.validated_at)

    def _start_day(self, plan: PatientPlan) -> date:
        """A start day that puts the enrolment in its state as of today."""
        weeks = plan.template.intervention_weeks
        state, drift, cal = plan.spec.state, plan.spec.drift, self.cal
        if state == S.SUSPENDED:
            return cal.days_ago(35, 7 * weeks - 7)  # paused during the intervention
        if state == S.ACTIVE:
            # Drifts need a few weeks of history to drift from; started yesterday at the
            # latest, so that the start transition lies in the past.
            youngest = 35 if drift == HOSPITALISED else 28 if drift else 1
            return cal.days_ago(youngest, 7 * weeks - 1)
        if state == S.FOLLOW_UP:
            return cal.days_ago(7 * weeks + 7, 7 * 50)
        if state == S.COMPLETED:
            return cal.days_ago(7 * 53, 7 * 70)
        if state == S.INTERRUPTED:
            return cal.days_ago(7 * 8, 7 * 11)
        return cal.days_ago(7 * 42, 7 * 47)  # reoriented at the +6 month call

    def _started(self, plan: PatientPlan) -> None:
        rng, cal, state = self.rng, self.cal, plan.spec.state
        start = self._start_day(plan)
        dates = programme_dates(plan.template, start)
        # Target: about 4 weeks from a complete dossier to the start (seed 003).
        complete = start - timedelta(days=rng.randint(18, 35))
        self._requested_and_complete(
            plan, complete, dict.fromkeys(dossier_pieces(plan.template.code), True))
        self._validate(plan, complete + timedelta(days=rng.randint(2, 7)))
        plan.start = start
        plan.consent_at = cal.at(start, 8, rng.randint(30, 59))
        self.move(plan, Action.START, Role.REFERENT, plan.referent_id, plan.consent_at)
        plan.stop = min(cal.yesterday, dates.end)
        plan.adherence = rng.choices(("high", "mid", "low"), (0.45, 0.4, 0.15))[0]
        # About one patient in two keeps the habit in the follow-up (staff-time annex).
        plan.keeper = rng.random() < {"high": 0.75, "mid": 0.45, "low": 0.15}[plan.adherence]
        respiratory = plan.template.code == RESPIRATORY.code
        plan.base_watts = rng.randint(20, 45) if respiratory else rng.randint(40, 70)
        plan.base_symptom = rng.uniform(4.5, 6.5)
        drift = plan.spec.drift
        if drift is not None and state == S.ACTIVE:
            # A drift shows best from a good start: the referent sees the fall.
            plan.adherence = rng.choice(("high", "mid"))
            if drift == PAIN_RISING:
                plan.base_symptom = rng.uniform(4.0, 5.0)
        if drift in (FADING, SILENT) and state == S.FOLLOW_UP:
            plan.keeper = False
        if state in (S.FOLLOW_UP, S.COMPLETED, S.REORIENTED):
            self.move(plan, Action.BEGIN_FOLLOW_UP, Role.REFERENT, plan.referent_id,
                      cal.at(dates.follow_up_start, 9, rng.randint(0, 59)))
        if state == S.COMPLETED:
            plan.ended_at = cal.daytime(dates.end + timedelta(days=rng.randint(1, 6)))
            self.move(plan, Action.COMPLETE, Role.COORDINATOR, self.staff.coordinator,
                      plan.ended_at)
        elif state == S.INTERRUPTED:
            self._interrupted(plan)
        elif state == S.SUSPENDED:
            self._suspended(plan)
        elif state == S.REORIENTED:
            plan.keeper = False
            plan.reinforcement_day = add_months(dates.follow_up_start, 3) + timedelta(
                days=rng.randint(3, 14))
            day = add_months(dates.follow_up_start, 6) + timedelta(days=rng.randint(2, 8))
            plan.stop = min(plan.stop, day - timedelta(days=1))
            plan.ended_at = cal.daytime(day, 10, 17)
            plan.end_reason = (
                "Rupture persistante à l'appel des 6 mois malgré la visite de renforcement "
                "du 4e mois : réorientation vers des séances de kinésithérapie en cabinet, "
                "avec l'accord du médecin traitant.")
            self.move(plan, Action.REORIENT, Role.PHYSICIAN, plan.physician_id,
                      plan.ended_at, plan.end_reason)
        elif state in (S.FOLLOW_UP, S.COMPLETED) and not plan.keeper:
            # Rupture at +3 months: committee, then a reinforcement visit in month 4
            # (about one follow-up patient in two, as the staff-time annex plans).
            visit = add_months(dates.follow_up_start, 3) + timedelta(days=rng.randint(3, 20))
            if visit <= min(cal.today + timedelta(days=21), dates.end):
                plan.reinforcement_day = visit

    def _suspended(self, plan: PatientPlan) -> None:
        """An exacerbation treated at home: the physician pauses the programme for three weeks
        (no adherence or silence flag meanwhile; the calls due are marked suspended)."""
        rng, cal = self.rng, self.cal
        day = cal.days_ago(3, 10)
        plan.stop = day - timedelta(days=1)
        plan.suspended_on, plan.suspension_review_on = day, day + timedelta(days=21)
        plan.suspension_reason = ("Exacerbation traitée à domicile : reprise de l'entraînement "
                                  "après réévaluation par le médecin.")
        self.move(plan, Action.SUSPEND, Role.PHYSICIAN, plan.physician_id,
                  cal.daytime(day, 10, 17), plan.suspension_reason)
        plan.keeper = rng.random() < 0.5

    def _interrupted(self, plan: PatientPlan) -> None:
        """A severe incident in weeks 4-6 ends in hospital; the physician stops the programme."""
        rng, cal = self.rng, self.cal
        assert plan.start is not None
        day = plan.start + timedelta(days=rng.randint(21, 38))
        stay = rng.randint(7, 12)
        if plan.template.code == RESPIRATORY.code:
            cause, signs, ward = "exacerbation sévère", [WarningSign.FEVER], "en pneumologie"
        else:
            cause, signs = "sciatique hyperalgique", [WarningSign.NEUROLOGICAL]
            ward = "en rhumatologie"
        plan.events.append(cal.event(
            HealthEventKind.HOSPITALISATION, day,
            f"Hospitalisation de {stay} jours {ward} pour {cause}.", signs,
            reported=day + timedelta(days=stay)))
        plan.blackouts.append((day, day + timedelta(days=stay)))
        plan.stop = day - timedelta(days=1)
        plan.ended_at = cal.daytime(day + timedelta(days=stay + 2), 10, 17)
        plan.end_reason = (f"Hospitalisation pour {cause} ; le médecin directeur "
                           "interrompt le programme et revoit le patient en consultation.")
        self.move(plan, Action.INTERRUPT, Role.PHYSICIAN, plan.physician_id, plan.ended_at,
                  plan.end_reason)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
