"""A realistic synthetic cohort for demonstrations, built from a seed.

The cohort follows the shares of the reference programme (seed 003, see
``shared/brief/PROGRAMME.md``): three patients in four in home respiratory
rehabilitation, one in four in the low back pain programme; enrolments at
every stage of the pipeline; most patients in the 12-week intervention or the
40-week follow-up, each with the timeline, booklet and prescriptions the
service lays out at the start, the calls the referent already made, and what
the patient logged from the tablet. About one running patient in five drifts
toward rupture so that the referent's queue has something to show.

Everything is drawn from ``random.Random(seed)`` and dated relative to
``today``: the same seed and day give the same cohort. Rows are written in
bulk (one statement per table, COPY for heart-rate samples) so that the
default 48 patients take a few seconds.
"""

from __future__ import annotations

import hashlib
import math
import random
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

from server.clock import get_clock
from server.extensions import db
from server.models import (
    BookletEntry,
    BookletItem,
    Enrolment,
    EnrolmentTransition,
    ErgoSession,
    HealthEvent,
    HeartRateSample,
    Patient,
    Prescription,
    QuestionnaireResponse,
    ScheduledContact,
    User,
)
from server.services import activity_weeks
from server.services.bulk import copy_rows, insert_rows
from server.services.enrolments import _lay_out_booklet, add_contacts, default_prescription
from server.services.users import create_user
from shared.enrolment import Action, dossier_pieces
from shared.enums import (
    BookletStatus,
    Channel,
    ContactKind,
    ContactStatus,
    EnrolmentState,
    HealthEventKind,
    Modality,
    Phase,
    Questionnaire,
    Role,
    SessionSource,
    WarningSign,
)
from shared.programmes import LOW_BACK_PAIN, RESPIRATORY, ProgrammeTemplate, get_template
from shared.timeline import (
    add_months,
    build_timeline,
    local_midnight,
    programme_dates,
    reinforcement_contacts,
    week_of,
)

S = EnrolmentState
DEMO_PASSWORD = "reprise-demo-2026"
COORDINATOR_EMAIL = "coordination@reprise.demo"
STAFF: tuple[tuple[str, str, Role], ...] = (
    (COORDINATOR_EMAIL, "Isabelle Roux", Role.COORDINATOR),
    ("medecin@reprise.demo", "Dr Antoine Mercier", Role.PHYSICIAN),
    ("admin@reprise.demo", "Administration Reprise", Role.ADMIN),
    ("referent1@reprise.demo", "Claire Lefèvre", Role.REFERENT),
    ("referent2@reprise.demo", "Julien Moreau", Role.REFERENT),
    ("referent3@reprise.demo", "Sophie Garnier", Role.REFERENT),
)
# Below this size the cohort cannot hold every stage and every kind of drift.
MIN_PATIENTS = 24
# Heart-rate curves are kept for the recent guided sessions only (one sample
# every 2 s): enough to show the curves without bloating the demo database.
HR_SAMPLE_DAYS = 14
HR_SAMPLE_PERIOD_S = 2

# Kinds of drift toward rupture, each held by at least one running patient.
FADING = "fading"            # sessions per week falling to 0-2 over the last 3 weeks
SILENT = "silent"            # nothing logged for 8 days or more
HR_OVER = "hr_over"          # a recent session above the heart-rate ceiling
PAIN_RISING = "pain_rising"  # low back pain EVA 2+ points above its baseline
HOSPITALISED = "hospitalised"  # hospitalisation during the intervention, lately

F_FIRST = ("Monique", "Françoise", "Martine", "Christiane", "Nicole", "Sylvie", "Catherine",
           "Brigitte", "Chantal", "Josiane", "Danielle", "Annie", "Isabelle", "Nathalie",
           "Véronique", "Sandrine", "Valérie", "Évelyne", "Odile", "Geneviève")
M_FIRST = ("Jean", "Michel", "Alain", "Bernard", "Gérard", "Daniel", "Patrick", "Jacques",
           "Claude", "Philippe", "Christian", "Serge", "Thierry", "Pascal", "Éric", "Laurent",
           "Olivier", "Stéphane", "René", "Joël")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
              "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
              "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Faure",
              "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
              "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine",
              "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Boyer", "Denis", "Lemaire")

DIFFICULTIES = {
    RESPIRATORY.code: ("Aucune", "Essoufflement en fin de séance", "Douleurs aux genoux",
                       "Fatigue en début de semaine", "Manque de temps (petits-enfants)",
                       "Motivation en baisse", "Selle inconfortable", "Moral bas avec la météo"),
    LOW_BACK_PAIN.code: ("Aucune", "Raideur matinale", "Douleur à la reprise des exercices",
                         "Manque de temps (travail)", "Appréhension du gainage",
                         "Motivation en baisse"),
}
BENEFITS = {
    RESPIRATORY.code: ("Moins essoufflé dans les escaliers", "Marche plus longue",
                       "Meilleur sommeil", "Plus d'énergie", "Reprise des courses à pied",
                       "Confiance retrouvée"),
    LOW_BACK_PAIN.code: ("Moins de douleur au lever", "Reprise du travail à mi-temps",
                         "Meilleure mobilité", "Moins d'antalgiques", "Sommeil moins haché"),
}
SESSION_NOTES = ("Bonne séance", "Un peu essoufflé à la fin", "Genou gauche sensible",
                 "Séance coupée par un appel", "Facile aujourd'hui", "Fatigué")


@dataclass
class _Spec:
    """What one demo patient is meant to show, before any date is drawn."""

    state: EnrolmentState
    programme: str = RESPIRATORY.code
    drift: str | None = None
    referral_source: str = "pneumologist"
    intervention_weeks: int | None = None


@dataclass
class _Plan:
    """One patient and enrolment being built, with what the activity needs."""

    spec: _Spec
    patient: Patient
    enrolment: Enrolment
    referent: User
    template: ProgrammeTemplate
    start: date | None = None
    # Last day the patient may have logged anything (inclusive).
    stop: date | None = None
    adherence: str = "mid"
    keeper: bool = True
    base_watts: int = 30
    base_symptom: float = 5.0
    prescriptions: list[tuple[int, int, int]] = field(default_factory=list)
    blackouts: list[tuple[date, date]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    reinforcement_day: date | None = None
    sessions: list[dict[str, Any]] = field(default_factory=list)
    samples: list[list[int]] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return self.start is not None

    def blacked_out(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.blackouts)


def build_demo_cohort(*, patients: int, seed: int, reset: bool, today: date) -> dict[str, Any]:
    """Build the demo staff accounts and a cohort of ``patients`` patients as of ``today``.

    With ``reset`` every row of every table is deleted first. Without it, a
    database that already holds the demo coordinator is left alone (so that
    ``make run`` can call this every time) and the summary says so. The
    summary gives the patient count, the enrolments by state, the session and
    heart-rate sample counts and the demo logins.
    """
    if patients < MIN_PATIENTS:
        raise ValueError(f"the demo cohort needs at least {MIN_PATIENTS} patients")
    if reset:
        _delete_everything()
    elif db.session.scalar(select(User.id).where(User.email == COORDINATOR_EMAIL)) is not None:
        return {**_summary(), "created": False,
                "message": "Demo data already present; use --reset to rebuild it."}
    staff = _staff_accounts()
    builder = _CohortBuilder(random.Random(seed), today, get_clock().tz, staff)
    builder.build(patients)
    db.session.commit()
    return {**_summary(), "created": True}


def _delete_everything() -> None:
    # Children before parents, so that foreign keys never see an orphan.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def _staff_accounts() -> dict[str, User]:
    """The demo accounts, reusing any that already exist (by e-mail)."""
    accounts = {}
    for email, full_name, role in STAFF:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(email=email, full_name=full_name, role=role,
                               password=DEMO_PASSWORD)
        accounts[email] = user
    return accounts


def _summary() -> dict[str, Any]:
    rows = dict(db.session.execute(
        select(Enrolment.state, func.count()).group_by(Enrolment.state)).all())
    return {
        "patients": db.session.scalar(select(func.count()).select_from(Patient)),
        "by_state": {state.value: rows.get(state, 0) for state in EnrolmentState},
        "sessions": db.session.scalar(select(func.count()).select_from(ErgoSession)),
        "hr_samples": db.session.scalar(select(func.count()).select_from(HeartRateSample)),
        "logins": [{"email": email, "role": role.value, "password": DEMO_PASSWORD}
                   for email, _name, role in STAFF],
    }


def _state_plan(n: int) -> list[EnrolmentState]:
    """How many enrolments in each state for a cohort of ``n``, scaled from 48."""
    def share(count_of_48: int) -> int:
        return max(1, round(n * count_of_48 / 48))

    fixed = ([S.REQUESTED] * share(3) + [S.DOSSIER_COMPLETE] * share(2)
             + [S.VALIDATED] * share(2) + [S.COMPLETED] * share(4)
             + [S.DECLINED, S.INTERRUPTED, S.REORIENTED])
    running = n - len(fixed)
    active = math.ceil(running * 0.56)
    return fixed + [S.ACTIVE] * active + [S.FOLLOW_UP] * (running - active)


def _plan_specs(rng: random.Random, n: int) -> list[_Spec]:
    """States, programmes and drifts of the cohort, in a shuffled order."""
    specs = [_Spec(state) for state in _state_plan(n)]
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
    # About one running patient in five drifts; bigger cohorts get more of the common kinds.
    running = active + follow
    calm = [s for s in running if s.drift is None]
    extra = max(0, round(0.2 * len(running)) - len(core))
    for spec, drift in zip(rng.sample(calm, min(extra, len(calm))),
                           [FADING, SILENT] * extra, strict=False):
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
    for spec in rng.sample(ssr, min(2, len(ssr))):
        spec.referral_source, spec.intervention_weeks = "ssr_stay", 10
    rng.shuffle(specs)
    return specs


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _digest(client_id: uuid.UUID) -> str:
    return hashlib.sha256(client_id.bytes).hexdigest()


class _CohortBuilder:
    """Draws the cohort and writes it; every random draw goes through ``self.rng``."""

    def __init__(self, rng: random.Random, today: date, tz: ZoneInfo,
                 staff: dict[str, User]) -> None:
        self.rng = rng
        self.today = today
        self.yesterday = today - timedelta(days=1)
        self.tz = tz
        # Everything generated happened before the start of today, local time.
        self.cutoff = local_midnight(today, tz)
        self.coordinator = staff[COORDINATOR_EMAIL]
        self.physician = staff["medecin@reprise.demo"]
        self.referents = [u for u in staff.values() if u.role == Role.REFERENT]
        self.transitions: list[dict[str, Any]] = []

    # -- helpers ---------------------------------------------------------------------------

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """An aware local instant on ``day``."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    def daytime(self, day: date, first_hour: int = 9, last_hour: int = 18) -> datetime:
        """A random instant on ``day`` between two local hours."""
        minutes = self.rng.randrange(first_hour * 60, last_hour * 60)
        return self.at(day, minutes // 60, minutes % 60)

    def before_cutoff(self, instant: datetime) -> datetime:
        return min(instant, self.cutoff - timedelta(minutes=1))

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def transition(self, enrolment: Enrolment, action: Action, source: EnrolmentState,
                   target: EnrolmentState, actor: User, at: datetime,
                   reason: str | None = None) -> None:
        self.transitions.append({
            "enrolment_id": enrolment.id, "action": action.value, "from_state": source,
            "to_state": target, "actor_id": actor.id, "at": at, "reason": reason})

    # -- the whole build -------------------------------------------------------------------

    def build(self, n: int) -> None:
        """Patients, enrolments and their history, then the activity, then the calls."""
        specs = _plan_specs(self.rng, n)
        plans = [self._patient(i, spec) for i, spec in enumerate(specs)]
        db.session.add_all([p.patient for p in plans] + [p.enrolment for p in plans])
        db.session.flush()
        for plan in plans:
            self._pipeline(plan)
        db.session.execute(insert(EnrolmentTransition), self.transitions)
        started = [p for p in plans if p.started]
        for plan in started:
            self._lay_out(plan)
        db.session.flush()
        items = self._booklet_items(started)
        for plan in started:
            self._health_events(plan)
            self._sessions(plan)
        self._write_sessions(started)
        self._write_booklet(started, items)
        activity_weeks.rebuild()
        self._write_events(started)
        self._write_questionnaires(started)
        self._record_contacts(started)
        self._last_received()

    def _last_received(self) -> None:
        """What the silence rule reads: the last time anything came from each tablet."""
        latest = [select(func.max(m.received_at)).where(m.enrolment_id == Enrolment.id)
                  .scalar_subquery()
                  for m in (ErgoSession, BookletEntry, HealthEvent, QuestionnaireResponse)]
        # SQLite's multi-argument max() is PostgreSQL's greatest().
        greatest = func.max if db.session.get_bind().dialect.name == "sqlite" else func.greatest
        db.session.execute(update(Enrolment).values(last_received_at=greatest(
            *[func.coalesce(q, Enrolment.requested_at) for q in latest])))

    # -- patients and pipeline -------------------------------------------------------------

    def _patient(self, index: int, spec: _Spec) -> _Plan:
        rng = self.rng
        respiratory = spec.programme == RESPIRATORY.code
        sex = "M" if rng.random() < (0.55 if respiratory else 0.45) else "F"
        first = rng.choice(M_FIRST if sex == "M" else F_FIRST)
        last = rng.choice(LAST_NAMES)
        low, high = (45, 85) if respiratory else (30, 65)
        birth = self.today - timedelta(days=rng.randint(low * 365 + 20, high * 365 - 20))
        email = (f"{_ascii(first)}.{_ascii(last)}{index}@exemple.fr".replace(" ", "")
                 if rng.random() < 0.4 else None)
        referent = self.referents[index % len(self.referents)]
        patient = Patient(
            first_name=first, last_name=last, birth_date=birth, sex=sex,
            phone=f"0{rng.choice('67')} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                  f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
            email=email, external_ref=f"DEMO-{index + 1:04d}", referent_id=referent.id,
            physician_id=self.physician.id, hr_rest_min=rng.randint(55, 60),
            hr_rest_max=rng.randint(95, 100), hr_ceiling=rng.randint(120, 140),
            created_at=self.cutoff,  # replaced by the request date in _pipeline
        )
        enrolment = Enrolment(
            patient=patient, programme_code=spec.programme, state=spec.state,
            referral_source=spec.referral_source, intervention_weeks=spec.intervention_weeks,
            dossier={}, requested_at=self.cutoff,
        )
        template = get_template(spec.programme, spec.intervention_weeks)
        return _Plan(spec, patient, enrolment, referent, template)

    def _pipeline(self, plan: _Plan) -> None:
        """Dates, dossier and transitions of the enrolment, consistent with its state."""
        rng, e, state = self.rng, plan.enrolment, plan.spec.state
        pieces = dossier_pieces(plan.template.code)
        complete = dict.fromkeys(pieces, True)
        if state == S.REQUESTED:
            e.requested_at = self.daytime(self.days_ago(1, 12))
            # Some pieces are still being chased: never all four.
            missing = rng.sample(pieces, rng.randint(1, 3))
            e.dossier = {piece: piece not in missing for piece in pieces}
        elif state == S.DOSSIER_COMPLETE:
            done = self.days_ago(1, 6)
            self._requested_and_complete(plan, done, complete)
        elif state in (S.VALIDATED, S.DECLINED):
            validated = self.days_ago(8, 14) if state == S.DECLINED else self.days_ago(1, 8)
            self._requested_and_complete(
                plan, validated - timedelta(days=rng.randint(2, 6)), complete)
            self._validate(plan, validated)
            if state == S.DECLINED:
                e.ended_at = self.daytime(validated + timedelta(days=rng.randint(3, 6)))
                e.end_reason = ("La patiente renonce au programme : pas d'aidant disponible "
                                "et logement sans place pour l'ergocycle."
                                if plan.patient.sex == "F" else
                                "Le patient renonce au programme : pas d'aidant disponible "
                                "et logement sans place pour l'ergocycle.")
                self.transition(e, Action.DECLINE, S.VALIDATED, S.DECLINED, self.coordinator,
                                e.ended_at, e.end_reason)
        else:
            self._started(plan)
        plan.patient.created_at = e.requested_at

    def _requested_and_complete(self, plan: _Plan, done: date, dossier: dict[str, bool]) -> None:
        e = plan.enrolment
        e.requested_at = self.daytime(done - timedelta(days=self.rng.randint(7, 21)))
        e.dossier = dossier
        e.dossier_completed_at = self.daytime(done, 9, 17)
        self.transition(e, Action.COMPLETE_DOSSIER, S.REQUESTED, S.DOSSIER_COMPLETE,
                        self.coordinator, e.dossier_completed_at)

    def _validate(self, plan: _Plan, day: date) -> None:
        e = plan.enrolment
        e.validated_at = self.daytime(day, 11, 13)
        e.validated_by_id = self.physician.id
        self.transition(e, Action.VALIDATE, S.DOSSIER_COMPLETE, S.VALIDATED, self.physician,
                        e.validated_at)

    def _start_day(self, plan: _Plan) -> date:
        """A start day that puts the enrolment in its state as of today."""
        weeks = plan.template.intervention_weeks
        state, drift = plan.spec.state, plan.spec.drift
        if state == S.ACTIVE:
            # Drifts need a few weeks of history to drift from.
            oldest = 7 * weeks - 1
            # Started yesterday at the latest, so that the start transition lies in the past.
            youngest = 35 if drift == HOSPITALISED else 28 if drift else 1
            return self.days_ago(youngest, oldest)
        if state == S.FOLLOW_UP:
            return self.days_ago(7 * weeks + 7, 7 * 50)
        if state == S.COMPLETED:
            return self.days_ago(7 * 53, 7 * 70)
        if state == S.INTERRUPTED:
            return self.days_ago(7 * 8, 7 * 11)
        return self.days_ago(7 * 42, 7 * 47)  # reoriented at the +6 month call

    def _started(self, plan: _Plan) -> None:
        rng, e, state = self.rng, plan.enrolment, plan.spec.state
        start = self._start_day(plan)
        dates = programme_dates(plan.template, start)
        # Target: about 4 weeks from a complete dossier to the start (seed 003).
        complete = start - timedelta(days=rng.randint(18, 35))
        self._requested_and_complete(plan, complete,
                                     dict.fromkeys(dossier_pieces(plan.template.code), True))
        self._validate(plan, complete + timedelta(days=rng.randint(2, 7)))
        e.start_date = start
        e.consent_at = self.at(start, 8, rng.randint(30, 59))
        self.transition(e, Action.START, S.VALIDATED, S.ACTIVE, plan.referent, e.consent_at)
        plan.start = start
        plan.stop = min(self.yesterday, dates.end)
        plan.adherence = rng.choices(("high", "mid", "low"), (0.45, 0.4, 0.15))[0]
        plan.keeper = rng.random() < {"high": 0.75, "mid": 0.45, "low": 0.15}[plan.adherence]
        respiratory = plan.template.code == RESPIRATORY.code
        plan.base_watts = rng.randint(20, 45) if respiratory else rng.randint(40, 70)
        plan.base_symptom = rng.uniform(4.5, 6.5)
        if plan.spec.drift is not None and state == S.ACTIVE:
            # A drift shows best from a good start: the referent sees the fall.
            plan.adherence = rng.choice(("high", "mid"))
            if plan.spec.drift == PAIN_RISING:
                plan.base_symptom = rng.uniform(4.0, 5.0)
        if plan.spec.drift in (FADING, SILENT) and state == S.FOLLOW_UP:
            plan.keeper = False
        if state in (S.FOLLOW_UP, S.COMPLETED, S.REORIENTED):
            self.transition(e, Action.BEGIN_FOLLOW_UP, S.ACTIVE, S.FOLLOW_UP, plan.referent,
                            self.at(dates.follow_up_start, 9, rng.randint(0, 59)))
        if state == S.COMPLETED:
            e.ended_at = self.daytime(dates.end + timedelta(days=rng.randint(1, 6)))
            self.transition(e, Action.COMPLETE, S.FOLLOW_UP, S.COMPLETED, self.coordinator,
                            e.ended_at)
        elif state == S.INTERRUPTED:
            # A severe incident in weeks 4-6 ends in hospital; the physician stops the programme.
            day = start + timedelta(days=rng.randint(21, 38))
            stay = rng.randint(7, 12)
            if respiratory:
                cause, signs = "exacerbation sévère", [WarningSign.FEVER]
                ward = "en pneumologie"
            else:
                cause, signs = "sciatique hyperalgique", [WarningSign.NEUROLOGICAL]
                ward = "en rhumatologie"
            plan.events.append(self._event(HealthEventKind.HOSPITALISATION, day,
                                           f"Hospitalisation de {stay} jours {ward} "
                                           f"pour {cause}.", signs,
                                           reported=day + timedelta(days=stay)))
            plan.blackouts.append((day, day + timedelta(days=stay)))
            plan.stop = day - timedelta(days=1)
            e.ended_at = self.daytime(day + timedelta(days=stay + 2), 10, 17)
            e.end_reason = (f"Hospitalisation pour {cause} ; le médecin directeur "
                            "interrompt le programme et revoit le patient en consultation.")
            self.transition(e, Action.INTERRUPT, S.ACTIVE, S.INTERRUPTED, self.physician,
                            e.ended_at, e.end_reason)
        elif state == S.REORIENTED:
            plan.keeper = False
            plan.reinforcement_day = add_months(dates.follow_up_start, 3) + timedelta(
                days=rng.randint(3, 14))
            day = add_months(dates.follow_up_start, 6) + timedelta(days=rng.randint(2, 8))
            plan.stop = min(plan.stop, day - timedelta(days=1))
            e.ended_at = self.daytime(day, 10, 17)
            e.end_reason = ("Rupture persistante à l'appel des 6 mois malgré la visite de "
                            "renforcement du 4e mois : réorientation vers des séances de "
                            "kinésithérapie en cabinet, avec l'accord du médecin traitant.")
            self.transition(e, Action.REORIENT, S.FOLLOW_UP, S.REORIENTED, self.physician,
                            e.ended_at, e.end_reason)
        elif (state in (S.FOLLOW_UP, S.COMPLETED) and not plan.keeper
              and plan.spec.drift is None):
            # Rupture at +3 months: committee, then a reinforcement visit in month 4.
            visit = add_months(dates.follow_up_start, 3) + timedelta(days=rng.randint(3, 20))
            if visit <= min(self.today + timedelta(days=21), dates.end):
                plan.reinforcement_day = visit

    # -- timeline, booklet, prescriptions --------------------------------------------------

    def _lay_out(self, plan: _Plan) -> None:
        """What the service lays out at the start, plus the referent's later adjustments."""
        e, template, rng = plan.enrolment, plan.template, self.rng
        add_contacts(e, build_timeline(template, plan.start, self.tz))
        if plan.reinforcement_day is not None:
            add_contacts(e, reinforcement_contacts(template, plan.start,
                                                   plan.reinforcement_day, self.tz))
        _lay_out_booklet(e, template)
        first = default_prescription(e, template, plan.referent)
        first.watts = plan.base_watts  # from the inclusion exercise test
        first.created_at = e.consent_at
        minutes, watts = template.default_session_minutes, plan.base_watts
        plan.prescriptions = [(1, minutes, watts)]
        prescriptions = [first]
        current = week_of(plan.start, self.today)
        for from_week in (rng.randint(3, 4), rng.randint(7, 8))[: rng.randint(1, 2)]:
            if from_week > min(current, template.intervention_weeks):
                break
            minutes += 5
            watts += rng.choice((5, 5, 10))
            interval = (template.code == RESPIRATORY.code and from_week >= 7
                        and rng.random() < 0.4)
            call_day = plan.start + timedelta(days=7 * (from_week - 2) + 4)
            prescriptions.append(Prescription(
                enrolment_id=e.id, from_week=from_week, session_minutes=minutes, watts=watts,
                modality=Modality.INTERVAL if interval else template.default_modality,
                work_s=60 if interval else None, rest_s=60 if interval else None,
                sessions_min=template.sessions_per_week_min,
                sessions_max=template.sessions_per_week_max,
                hr_target_low=None, hr_target_high=plan.patient.hr_ceiling,
                notes="Progression décidée lors de l'appel hebdomadaire.",
                created_by_id=plan.referent.id,
                created_at=self.before_cutoff(self.at(call_day, 11, rng.randint(0, 59))),
            ))
            plan.prescriptions.append((from_week, minutes, watts))
        db.session.add_all(prescriptions)

    def _booklet_items(self, plans: list[_Plan]) -> dict[int, list[BookletItem]]:
        items: dict[int, list[BookletItem]] = {p.enrolment.id: [] for p in plans}
        for item in db.session.scalars(
            select(BookletItem).where(BookletItem.enrolment_id.in_(items))
            .order_by(BookletItem.id)
        ):
            items[item.enrolment_id].append(item)
        return items

    # -- health events ---------------------------------------------------------------------

    def _event(self, kind: HealthEventKind, day: date, description: str,
               signs: Iterable[WarningSign] = (), reported: date | None = None) -> dict[str, Any]:
        reported_day = min(reported or day + timedelta(days=self.rng.randint(0, 2)),
                           self.yesterday)
        return {"kind": kind, "occurred_on": day, "description": description,
                "warning_signs": [s.value for s in signs],
                "received_at": self.before_cutoff(self.daytime(reported_day, 17, 21))}

    def _health_events(self, plan: _Plan) -> None:
        """Drift events, then ordinary incidents (about 30% of programmes, seed 003)."""
        rng, drift = self.rng, plan.spec.drift
        respiratory = plan.template.code == RESPIRATORY.code
        if drift == HOSPITALISED:
            day = self.days_ago(11, 18)
            stay = rng.randint(5, 8)
            onset = day - timedelta(days=3)
            plan.events.append(self._event(
                HealthEventKind.EXACERBATION, onset,
                "Toux et essoufflement accrus, crachats colorés.", [WarningSign.FEVER],
                reported=onset))
            plan.events.append(self._event(
                HealthEventKind.HOSPITALISATION, day,
                f"Hospitalisation de {stay} jours pour exacerbation de BPCO.",
                reported=day + timedelta(days=stay)))
            plan.blackouts.append((onset, day + timedelta(days=stay)))
        elif drift == PAIN_RISING:
            day = self.days_ago(9, 12)
            plan.events.append(self._event(
                HealthEventKind.PAIN_FLARE, day,
                "Lombalgie plus forte depuis un déménagement, sans irradiation."))
        if drift is not None or plan.spec.state == S.INTERRUPTED:
            return
        first, last = plan.start + timedelta(days=7), plan.stop
        if last < first or rng.random() >= 0.3:
            return
        day = first + timedelta(days=rng.randint(0, (last - first).days))
        if respiratory:
            kind = rng.choices(
                (HealthEventKind.EXACERBATION, HealthEventKind.UNSCHEDULED_CONSULTATION,
                 HealthEventKind.FALL, HealthEventKind.HOSPITALISATION), (45, 25, 15, 15))[0]
        else:
            kind = rng.choices(
                (HealthEventKind.PAIN_FLARE, HealthEventKind.UNSCHEDULED_CONSULTATION,
                 HealthEventKind.FALL), (45, 30, 25))[0]
        signs: list[WarningSign] = []
        rest = 0
        if kind == HealthEventKind.EXACERBATION:
            text, rest = "Exacerbation traitée par le médecin traitant (antibiotiques).", 5
            if rng.random() < 0.4:
                signs = [WarningSign.FEVER]
        elif kind == HealthEventKind.HOSPITALISATION:
            rest = rng.randint(4, 9)
            text = f"Hospitalisation de {rest} jours (exacerbation)."
        elif kind == HealthEventKind.FALL:
            text, rest = "Chute à domicile en sortant de la douche, contusion.", 3
            if rng.random() < 0.5:
                signs = [WarningSign.TRAUMA]
        elif kind == HealthEventKind.PAIN_FLARE:
            text, rest = "Poussée douloureuse après un effort de jardinage.", 3
            if rng.random() < 0.15:
                signs = [WarningSign.WALKING_DIFFICULTY]
        else:
            text = "Consultation non programmée chez le médecin traitant."
        plan.events.append(self._event(kind, day, text, signs,
                                       reported=day + timedelta(days=rest)))
        if rest:
            plan.blackouts.append((day, day + timedelta(days=rest)))

    # -- ergocycle sessions ----------------------------------------------------------------

    def _weekly_target(self, plan: _Plan, week: int) -> int:
        rng, respiratory = self.rng, plan.template.code == RESPIRATORY.code
        if week <= plan.template.intervention_weeks:
            choices = {
                ("high", True): (5, 5, 6, 4, 5), ("mid", True): (4, 4, 5, 3, 4),
                ("low", True): (3, 4, 3, 2, 4), ("high", False): (3, 2, 3),
                ("mid", False): (2, 2, 3), ("low", False): (1, 2, 2),
            }[(plan.adherence, respiratory)]
            return rng.choice(choices)
        micro_project = (plan.reinforcement_day is not None
                         and plan.reinforcement_day <= plan.start + timedelta(days=7 * week)
                         <= plan.reinforcement_day + timedelta(days=35))
        if plan.keeper or micro_project:
            return rng.choice((3, 3, 4, 4, 5) if respiratory else (2, 2, 3))
        return rng.choice((0, 1, 1, 2, 2, 3) if respiratory else (0, 0, 1, 1, 2))

    def _session_days(self, plan: _Plan) -> list[date]:
        days: list[date] = []
        if plan.stop < plan.start:
            return days
        for week in range(1, week_of(plan.start, plan.stop) + 1):
            first = plan.start + timedelta(days=7 * (week - 1))
            open_days = [first + timedelta(days=i) for i in range(7)
                         if first + timedelta(days=i) <= plan.stop]
            available = [d for d in open_days if not plan.blacked_out(d)]
            target = self._weekly_target(plan, week) * len(available) / 7
            count = int(target) + (self.rng.random() < target - int(target))
            days += sorted(self.rng.sample(available, min(count, len(available))))
        return self._drift_days(plan, days)

    def _drift_days(self, plan: _Plan, days: list[date]) -> list[date]:
        """Thin the last weeks out according to the patient's drift."""
        drift, rng = plan.spec.drift, self.rng
        if drift == SILENT:
            silence = rng.randint(9, 13)
            plan.stop = self.today - timedelta(days=silence)
            return [d for d in days if d <= plan.stop]
        caps: list[tuple[int, int, int]] = []
        if drift == FADING:
            caps = [(21, 14, 2), (14, 7, 1), (7, 0, rng.randint(0, 1))]
        elif drift == HOSPITALISED:
            caps = [(7, 0, 2)]
        elif drift == PAIN_RISING:
            caps = [(7, 0, 1)]
        for older, newer, cap in caps:
            low, high = self.today - timedelta(days=older), self.today - timedelta(days=newer)
            inside = [d for d in days if low <= d < high]
            if len(inside) > cap:
                dropped = set(rng.sample(inside, len(inside) - cap))
                days = [d for d in days if d not in dropped]
        if drift == HR_OVER and not any(d >= self.today - timedelta(days=5) for d in days):
            days.append(self.yesterday)
        return days

    def _prescription(self, plan: _Plan, week: int) -> tuple[int, int]:
        minutes, watts = plan.prescriptions[0][1:]
        for from_week, m, w in plan.prescriptions:
            if from_week <= week:
                minutes, watts = m, w
        return minutes, watts

    def _sessions(self, plan: _Plan) -> None:
        rng, template, patient = self.rng, plan.template, plan.patient
        respiratory = template.code == RESPIRATORY.code
        days = self._session_days(plan)
        recent = self.today - timedelta(days=HR_SAMPLE_DAYS)
        running = plan.spec.state in (S.ACTIVE, S.FOLLOW_UP)
        over_day = max(days) if plan.spec.drift == HR_OVER and days else None
        early_pains: list[int] = []
        for day in days:
            week = week_of(plan.start, day)
            follow_up = week > template.intervention_weeks
            minutes, watts = self._prescription(plan, week)
            scale = rng.uniform(0.6, 1.0) if follow_up else rng.uniform(0.8, 1.08)
            duration = max(300, round(minutes * 60 * scale / 10) * 10)
            watts = max(10, watts + rng.choice((-5, 0, 0, 5)))
            guided = day == over_day or rng.random() < 0.6
            started_at = self.daytime(day, 8, 19)
            ceiling = patient.hr_ceiling
            hr_rest = rng.randint(64, 82)
            hr_mean = ceiling - rng.randint(14, 26)
            hr_max = min(hr_mean + rng.randint(6, 12), ceiling - 2)
            samples: list[int] = []
            if day == over_day:
                hr_mean, hr_max = ceiling - rng.randint(4, 7), ceiling + rng.randint(6, 12)
            if guided and running and day >= recent:
                samples = self._hr_curve(duration, hr_rest, hr_mean, hr_max)
                hr_mean, hr_max = round(sum(samples) / len(samples)), max(samples)
            progress = min(week, template.intervention_weeks)
            symptom = plan.base_symptom - 0.2 * progress + rng.gauss(0, 0.8)
            pain = None
            if not respiratory:
                pain = max(0, min(10, round(symptom + 0.5)))
                if week <= 2:
                    early_pains.append(pain)
                elif plan.spec.drift == PAIN_RISING and day >= self.today - timedelta(days=14):
                    # 2 to 3 points above the worst of the first two weeks.
                    pain = min(10, max(early_pains or [6]) + rng.randint(2, 3))
            speed = 12 + watts / 10 + rng.uniform(-1, 1)
            ended = started_at + timedelta(seconds=duration)
            delay = (timedelta(seconds=rng.randint(20, 180)) if guided
                     else timedelta(minutes=rng.randint(5, 240)))
            plan.sessions.append({
                "patient_id": patient.id, "enrolment_id": plan.enrolment.id,
                "started_at": started_at, "day": day, "duration_s": duration,
                "resistance": max(1, min(30, round(watts / 8))), "watts": watts,
                "distance_km": round(speed * duration / 3600, 1),
                "hr_rest": hr_rest, "hr_mean": hr_mean, "hr_max": hr_max,
                "dyspnoea": max(0, min(10, round(symptom))) if respiratory else None,
                "effort": max(1, min(10, round(rng.gauss(5.5, 1.2)))),
                "pain_eva": pain,
                "notes": rng.choice(SESSION_NOTES) if rng.random() < 0.12 else None,
                "source": SessionSource.GUIDED if guided else SessionSource.MANUAL,
                "hr_sample_count": len(samples),
                "received_at": self.before_cutoff(ended + delay),
            })
            plan.samples.append(samples)

    def _hr_curve(self, duration_s: int, rest: int, mean: int, peak: int) -> list[int]:
        """One reading every 2 s: warm-up, a plateau with drift and noise, cool-down."""
        rng = self.rng
        n = duration_s // HR_SAMPLE_PERIOD_S
        warm, cool = min(90, n // 5), min(60, n // 6)
        phase = rng.uniform(0, math.tau)
        curve = []
        for i in range(n):
            if i < warm:
                base = rest + (mean - rest) * i / warm
            elif i >= n - cool:
                base = mean - (mean - rest - 10) * (i - (n - cool)) / cool
            else:
                base = mean + 3 * math.sin(i / 40 + phase)
            curve.append(min(peak, max(rest - 3, round(base + rng.gauss(0, 1.5)))))
        # The session's peak: a short burst somewhere in the plateau.
        top = rng.randrange(warm, max(warm + 1, n - cool - 15))
        for j in range(top, min(n, top + 15)):
            curve[j] = peak - abs(j - top - 7) // 3
        return curve

    def _write_sessions(self, plans: list[_Plan]) -> None:
        rows, samples = [], []
        for plan in plans:
            for row, curve in zip(plan.sessions, plan.samples, strict=True):
                client_id = _uuid(self.rng)
                rows.append({**row, "client_id": client_id, "payload_digest": _digest(client_id)})
                samples.append(curve)
        if not rows:
            return
        insert_rows(db.session, ErgoSession.__table__, rows)
        # Read the ids back by client id: on PostgreSQL, COPY and one SELECT take a
        # fraction of the time of an INSERT ... RETURNING in parameter order.
        ids = dict(db.session.execute(
            select(ErgoSession.client_id, ErgoSession.id)
            .where(ErgoSession.enrolment_id.in_({p.enrolment.id for p in plans}))
        ).all())
        copy_rows(db.session, HeartRateSample.__table__, ("session_id", "offset_s", "bpm"),
                  [(ids[row["client_id"]], i * HR_SAMPLE_PERIOD_S, bpm)
                   for row, curve in zip(rows, samples, strict=True)
                   for i, bpm in enumerate(curve)])

    # -- booklet, events, questionnaires ---------------------------------------------------

    def _logging_days(self, plan: _Plan) -> Iterator[tuple[int, list[date]]]:
        """Each programme week with the days the patient could log (not in hospital)."""
        if plan.stop < plan.start:
            return
        for week in range(1, week_of(plan.start, plan.stop) + 1):
            first = plan.start + timedelta(days=7 * (week - 1))
            yield week, [first + timedelta(days=i) for i in range(7)
                         if first + timedelta(days=i) <= plan.stop
                         and not plan.blacked_out(first + timedelta(days=i))]

    def _write_booklet(self, plans: list[_Plan], items: dict[int, list[BookletItem]]) -> None:
        rng, rows = self.rng, []
        for plan in plans:
            share = {"high": 0.9, "mid": 0.7, "low": 0.4}[plan.adherence]
            pains = {s["day"]: s["pain_eva"] for s in plan.sessions}
            for week, days in self._logging_days(plan):
                if week > plan.template.intervention_weeks:
                    share = 0.35 if plan.keeper else 0.12
                for item in items[plan.enrolment.id]:
                    target = item.per_week * share * len(days) / 7
                    count = int(target) + (rng.random() < target - int(target))
                    for day in sorted(rng.sample(days, min(count, len(days)))):
                        status = rng.choices(
                            (BookletStatus.DONE, BookletStatus.PARTIAL, BookletStatus.NOT_DONE),
                            (80, 15, 5))[0]
                        client_id = _uuid(rng)
                        rows.append({
                            "patient_id": plan.patient.id, "enrolment_id": plan.enrolment.id,
                            "item_id": item.id, "day": day, "status": status,
                            "pain_eva": pains.get(day), "notes": None,
                            "client_id": client_id, "payload_digest": _digest(client_id),
                            "received_at": self.before_cutoff(self.daytime(day, 18, 22)),
                        })
        insert_rows(db.session, BookletEntry.__table__, rows)

    def _write_events(self, plans: list[_Plan]) -> None:
        rows = []
        for plan in plans:
            for event in plan.events:
                client_id = _uuid(self.rng)
                rows.append({**event, "patient_id": plan.patient.id,
                             "enrolment_id": plan.enrolment.id, "client_id": client_id,
                             "payload_digest": _digest(client_id)})
        insert_rows(db.session, HealthEvent.__table__, rows)

    def _questionnaire(self, plan: _Plan, instrument: Questionnaire, day: date,
                       answers: dict[str, Any], score: float | None) -> dict[str, Any]:
        client_id = _uuid(self.rng)
        answered = self.before_cutoff(self.daytime(day, 17, 21))
        return {"patient_id": plan.patient.id, "enrolment_id": plan.enrolment.id,
                "instrument": instrument, "answered_at": answered, "answers": answers,
                "score": score, "client_id": client_id, "payload_digest": _digest(client_id),
                "received_at": answered}

    def _write_questionnaires(self, plans: list[_Plan]) -> None:
        rng, rows = self.rng, []
        for plan in plans:
            if plan.stop < plan.start:
                continue
            weeks = plan.template.intervention_weeks
            mid = plan.start + timedelta(days=7 * (plan.template.mid_week - 1) + 4)
            closing = plan.start + timedelta(days=7 * weeks - 3)
            # Quality of life improves significantly for about 80% (CRQ target, seed 003):
            # the closing answers are the inclusion ones plus a gain.
            improved = rng.random() < 0.8
            crq = {k: rng.uniform(2.5, 4.5)
                   for k in ("dyspnoea", "fatigue", "emotional_function", "mastery")}
            scales = {q: rng.uniform(low, high) for q, low, high in (
                (Questionnaire.DALLAS, 35, 70), (Questionnaire.OSWESTRY, 20, 50),
                (Questionnaire.STARTBACK, 3, 7))}
            for day, closing_visit in ((plan.start, False), (closing, True)):
                if day > plan.stop:
                    continue
                gain = 0.0
                if closing_visit:
                    gain = rng.uniform(0.5, 1.2) if improved else rng.uniform(-0.2, 0.3)
                if plan.template.code == RESPIRATORY.code:
                    answers = {k: round(min(7.0, v + gain + rng.gauss(0, 0.15)), 1)
                               for k, v in crq.items()}
                    rows.append(self._questionnaire(plan, Questionnaire.CRQ, day, answers,
                                                    round(sum(answers.values()) / 4, 2)))
                else:
                    # Lower is better on these scales: a gain of 1 takes a third off.
                    for instrument, value in scales.items():
                        total = round(value * (1 - gain / 3))
                        rows.append(self._questionnaire(plan, instrument, day,
                                                        {"total": total}, float(total)))
            for day in (mid, closing):
                if day <= plan.stop:
                    eva = rng.randint(7, 10)
                    rows.append(self._questionnaire(plan, Questionnaire.SATISFACTION, day,
                                                    {"eva": eva}, float(eva)))
            # Weekly symptoms every other week during the intervention.
            for week in range(2, weeks + 1, 2):
                day = plan.start + timedelta(days=7 * week - 1)
                if day > plan.stop or plan.blacked_out(day):
                    continue
                level = max(0, min(10, round(plan.base_symptom - 0.2 * week
                                             + rng.gauss(0, 1))))
                key = "dyspnoea" if plan.template.code == RESPIRATORY.code else "pain"
                rows.append(self._questionnaire(
                    plan, Questionnaire.WEEKLY_SYMPTOMS, day,
                    {key: level, "fatigue": rng.randint(2, 7), "sleep": rng.randint(3, 8)},
                    float(level)))
        insert_rows(db.session, QuestionnaireResponse.__table__, rows)

    # -- contacts already made -------------------------------------------------------------

    def _record_contacts(self, plans: list[_Plan]) -> None:
        """Mark past contacts done or missed and cancel those after an early end."""
        by_id = {p.enrolment.id: p for p in plans}
        contacts = db.session.execute(
            select(ScheduledContact.id, ScheduledContact.enrolment_id, ScheduledContact.kind,
                   ScheduledContact.phase, ScheduledContact.channel, ScheduledContact.due_at,
                   ScheduledContact.window_opens, ScheduledContact.window_closes)
            .where(ScheduledContact.enrolment_id.in_(by_id))
            .order_by(ScheduledContact.enrolment_id, ScheduledContact.due_at,
                      ScheduledContact.key)
        ).all()
        updates = []
        for contact in contacts:
            change = self._contact_update(by_id[contact.enrolment_id], contact)
            if change is not None:
                updates.append(change)
        if updates:
            db.session.execute(update(ScheduledContact), updates)

    def _contact_update(self, plan: _Plan, c: Any) -> dict[str, Any] | None:
        rng, e = self.rng, plan.enrolment
        # Every update carries the same columns, so that they go out as one executemany.
        blank = {"id": c.id, "channel": c.channel, "attempts": 0, "done_at": None,
                 "recorded_by_id": None, "outcome": None, "notes": None}
        if e.ended_at is not None and e.state != S.COMPLETED and c.due_at > e.ended_at:
            return {**blank, "status": ContactStatus.CANCELLED}
        opens = c.window_opens.astimezone(self.tz).date()
        last = (c.window_closes.astimezone(self.tz) - timedelta(days=1)).date()
        due = c.due_at.astimezone(self.tz).date()
        closed = c.window_closes <= self.cutoff
        if not closed and (due >= self.today or rng.random() < 0.4):
            return None  # still to do: stays planned
        last = min(last, self.yesterday)
        silent_lately = plan.spec.drift == SILENT and due > plan.stop
        miss_rate = 0.2 if not plan.keeper and c.phase == Phase.FOLLOW_UP else 0.07
        recorder = self.coordinator if c.kind in (ContactKind.SPECIALIST_CONSULTATION,
                                                  ContactKind.FOLLOW_UP_CONSULTATION) \
            else plan.referent
        if silent_lately or (c.kind in (ContactKind.WEEKLY_CALL, ContactKind.FOLLOW_UP_CALL,
                                        ContactKind.MICRO_PROJECT_CALL)
                             and rng.random() < miss_rate):
            return {**blank, "status": ContactStatus.MISSED, "attempts": rng.randint(2, 3),
                    "recorded_by_id": plan.referent.id, "outcome": {"reached": False},
                    "notes": "Pas de réponse après plusieurs essais, message laissé."}
        day = min(max(due + timedelta(days=rng.choice((-1, 0, 0, 0, 1, 2))), opens), last)
        done_at = self.daytime(day, 9, 18)
        sessions = sum(1 for s in plan.sessions
                       if day - timedelta(days=7) <= s["day"] < day)
        outcome: dict[str, Any] = {"reached": True}
        if c.kind in (ContactKind.WEEKLY_CALL, ContactKind.FOLLOW_UP_CALL,
                      ContactKind.MICRO_PROJECT_CALL, ContactKind.HOME_VISIT,
                      ContactKind.CLOSING_VISIT, ContactKind.REINFORCEMENT_VISIT):
            outcome.update(
                sessions_per_week=sessions,
                difficulties=rng.choice(DIFFICULTIES[plan.template.code]),
                benefits=rng.choice(BENEFITS[plan.template.code]))
        if c.kind == ContactKind.FOLLOW_UP_CALL:
            outcome.update(
                health_events=any(c.due_at.date() - timedelta(days=31) <= ev["occurred_on"]
                                  <= c.due_at.date() for ev in plan.events),
                medication_adherence=rng.choice(("bonne", "bonne", "partielle")),
                activity_kept=sessions >= 3)
        if c.kind in (ContactKind.HOME_VISIT, ContactKind.CLOSING_VISIT):
            outcome["satisfaction_eva"] = rng.randint(7, 10)
        channel = c.channel
        if c.kind == ContactKind.FOLLOW_UP_CALL and rng.random() < 0.3:
            channel = Channel.VIDEO  # follow-up by video is counted apart (seed 003)
        return {**blank, "channel": channel, "status": ContactStatus.DONE,
                "attempts": rng.randint(1, 2), "done_at": done_at,
                "recorded_by_id": recorder.id, "outcome": outcome}
