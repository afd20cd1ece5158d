"""What the staff patient file shows: programme position, timeline, weekly series, notes.

One audited lookup (``services.access.get_patient``) then a handful of
queries bounded by one enrolment (a year of sessions is a few hundred rows),
so the page costs the same whatever the size of the active file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from statistics import fmean
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import joinedload

from server.clock import get_clock
from server.extensions import db
from server.models import (
    BookletEntry,
    BookletItem,
    Document,
    Enrolment,
    EnrolmentTransition,
    ErgoSession,
    HealthEvent,
    Patient,
    Prescription,
    QuestionnaireResponse,
    ScheduledContact,
    User,
)
from server.models.flags import Flag
from server.services import access, documents, flags, measures, samples
from server.services.audit import record_access
from server.services.enrolments import current_of
from server.services.measures import Outcomes
from server.services.transactions import read_use_case
from shared.enrolment import Action, Pause, suspensions
from shared.enums import BookletStatus, ContactStatus, Phase, SymptomScore, WorkStatus
from shared.programmes import ProgrammeTemplate
from shared.timeline import phase_on, programme_dates, week_of, weeks_touched

# A partly done booklet exercise counts for half in the adherence share.
PARTIAL_WEIGHT = 0.5
RECENT_EVENTS = 10

# The file's statements are built once, the enrolment and the day as their parameters:
# building a statement and computing its cache key cost about as much as running it,
# and a file runs a dozen.
_ENROLMENT = bindparam("enrolment_id")
# The page names the referent and the physician: loaded with the patient, not once the
# read committed (a second transaction, and a second connection from the pool).
_WITH_TEAM_AND_ENROLMENTS = (joinedload(Patient.referent), joinedload(Patient.physician),
                             joinedload(Patient.enrolments))
_PRESCRIPTION_IN_FORCE = (
    select(Prescription)
    .where(Prescription.enrolment_id == _ENROLMENT, Prescription.from_week <= bindparam("week"))
    .order_by(Prescription.from_week.desc()).limit(1))
# Each contact with the name of who recorded it, for the call notes.
_CONTACTS = (
    select(ScheduledContact, User.full_name)
    .outerjoin(User, User.id == ScheduledContact.recorded_by_id)
    .where(ScheduledContact.enrolment_id == _ENROLMENT)
    .order_by(ScheduledContact.due_at, ScheduledContact.id))
_QUESTIONNAIRES = (
    select(QuestionnaireResponse).where(QuestionnaireResponse.enrolment_id == _ENROLMENT)
    .order_by(QuestionnaireResponse.answered_at.desc(), QuestionnaireResponse.id.desc()))
_HEALTH_EVENTS = (
    select(HealthEvent).where(HealthEvent.enrolment_id == _ENROLMENT)
    .order_by(HealthEvent.occurred_on.desc(), HealthEvent.id.desc()).limit(RECENT_EVENTS))
_SUSPENSIONS = (
    select(EnrolmentTransition.action, EnrolmentTransition.at, EnrolmentTransition.reason)
    .where(EnrolmentTransition.enrolment_id == _ENROLMENT,
           EnrolmentTransition.action.in_((Action.SUSPEND, Action.RESUME)))
    .order_by(EnrolmentTransition.id))
_PRESCRIBED_PER_WEEK = select(func.coalesce(func.sum(BookletItem.per_week), 0)).where(
    BookletItem.enrolment_id == _ENROLMENT, BookletItem.active.is_(True))
_BOOKLET_DAYS = select(BookletEntry.day, BookletEntry.status).where(
    BookletEntry.enrolment_id == _ENROLMENT, BookletEntry.day <= bindparam("today"))
_LAST_SAMPLED_SESSION = (
    select(ErgoSession)
    .where(ErgoSession.enrolment_id == _ENROLMENT, ErgoSession.hr_sample_count > 0)
    .order_by(ErgoSession.started_at.desc(), ErgoSession.id.desc()).limit(1))


@dataclass(frozen=True)
class WeekSeries:
    """One programme week of what the patient logged."""

    week: int
    sessions: int
    minutes: int
    mean_minutes: float | None
    mean_watts: float | None
    hr_rest: float | None
    hr_mean: float | None
    hr_max: int | None
    symptom: float | None
    booklet_share: float | None
    # Minutes measured by the strap in the prescribed zone and above the ceiling (None:
    # no session of the week had samples).
    zone_minutes: float | None = None
    above_minutes: float | None = None


@dataclass(frozen=True)
class SessionCurve:
    """One session's per-second heart rate and power, with the zone it was prescribed."""

    session: ErgoSession
    heart_rate: list[tuple[int, int]]
    power: list[tuple[int, int]]
    zone_low: int | None
    ceiling: int | None


@dataclass(frozen=True)
class TimelineWeek:
    """One of the programme's weeks with the contacts due in it."""

    week: int
    phase: Phase
    contacts: list[tuple[ScheduledContact, str]]
    is_current: bool
    suspended: bool = False


@dataclass(frozen=True)
class WorkStatusEntry:
    """Where the patient stood with work on a day (inclusion or a follow-up contact)."""

    day: date
    status: WorkStatus
    source: str  # "inclusion" or the contact's kind


@dataclass
class PatientFile:
    """Everything the patient file page shows about one patient."""

    patient: Patient
    enrolment: Enrolment | None
    template: ProgrammeTemplate | None = None
    phase: Phase | None = None
    week: int | None = None
    follow_up_month: int | None = None
    prescription: Prescription | None = None
    weeks: list[WeekSeries] = field(default_factory=list)
    timeline: list[TimelineWeek] = field(default_factory=list)
    call_notes: list[ScheduledContact] = field(default_factory=list)
    health_events: list[HealthEvent] = field(default_factory=list)
    questionnaires: list[QuestionnaireResponse] = field(default_factory=list)
    recorders: dict[int, str] = field(default_factory=dict)
    # The file page's own: the patient's flags and documents, and whether the reader writes.
    flags: list[Flag] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    can_write: bool = False
    curve: SessionCurve | None = None
    pauses: list[Pause] = field(default_factory=list)
    work: list[WorkStatusEntry] = field(default_factory=list)
    # W0 / W12 / 12-month measures with their change and verdict (the outcomes panel).
    outcomes: Outcomes | None = None


def contact_state(contact: ScheduledContact, now: datetime) -> str:
    """How a contact reads today: done, missed, cancelled, upcoming, due or overdue."""
    if contact.status != ContactStatus.PLANNED:
        return contact.status.value
    if now < contact.window_opens:
        return "upcoming"
    return "due" if now < contact.window_closes else "overdue"


def load_patient_file(actor: User, patient_id: int) -> PatientFile:
    """The patient file for ``actor``; the read lands in the audit log (404 when out of reach)."""
    patient = access.get_patient(actor, patient_id, load=_WITH_TEAM_AND_ENROLMENTS)
    enrolment = current_of(patient.enrolments)
    result = PatientFile(patient=patient, enrolment=enrolment)
    if enrolment is None or enrolment.start_date is None:
        return result
    clock = get_clock()
    today, now = clock.today(), clock.now()
    template = enrolment.template
    start = enrolment.start_date
    result.template = template
    result.phase = phase_on(template, start, today)
    result.week = min(week_of(start, today), template.total_weeks)
    dates = programme_dates(template, start)
    if result.phase == Phase.FOLLOW_UP:
        result.follow_up_month = (today - dates.follow_up_start).days // 30 + 1
    result.prescription = db.session.scalar(
        _PRESCRIPTION_IN_FORCE, {"enrolment_id": enrolment.id, "week": max(result.week, 1)})
    result.weeks = weekly_series(enrolment, template, today)
    result.curve = session_curve(enrolment, _last_sampled_session(enrolment.id))
    rows = db.session.execute(_CONTACTS, {"enrolment_id": enrolment.id}).all()
    contacts = [contact for contact, _name in rows]
    result.pauses = _pauses(enrolment)
    result.timeline = _timeline(contacts, template, start, today, now, result.pauses)
    result.work = _work_history(enrolment, contacts)
    result.questionnaires = list(db.session.scalars(
        _QUESTIONNAIRES, {"enrolment_id": enrolment.id}))
    result.outcomes = measures.outcomes(enrolment, result.questionnaires)
    result.call_notes = sorted(
        (c for c in contacts if c.status == ContactStatus.DONE or c.attempts),
        key=lambda c: c.done_at or c.due_at, reverse=True)
    result.health_events = list(db.session.scalars(
        _HEALTH_EVENTS, {"enrolment_id": enrolment.id}))
    result.recorders = {contact.recorded_by_id: name for contact, name in rows if name}
    return result


@read_use_case
def patient_list(actor: User) -> list[tuple[Patient, Enrolment | None]]:
    """The patients ``actor`` may see, by name, each with their latest enrolment; audited."""
    rows = db.session.execute(
        access.visible_patients(actor)
        .add_columns(Enrolment)
        .outerjoin(Enrolment, Enrolment.patient_id == Patient.id)
        .order_by(Patient.last_name, Patient.first_name, Patient.id, Enrolment.id))
    latest: dict[int, tuple[Patient, Enrolment | None]] = {}
    for patient, enrolment in rows:
        latest[patient.id] = (patient, enrolment)
    record_access(actor, access.READ, "patient_list", list(latest))
    return list(latest.values())


@read_use_case
def patient_record(actor: User, patient_id: int) -> PatientFile:
    """The whole patient file page: the file, the flags, the documents; audited."""
    result = load_patient_file(actor, patient_id)  # checks access and audits the read
    result.flags = flags.flags_of(patient_id)
    result.documents = documents.patient_documents(patient_id)
    result.can_write = access.can_write(actor, result.patient)
    return result


@read_use_case
def flag_with_file(actor: User, flag_id: int) -> tuple[flags.FlagDetail, PatientFile]:
    """A flag and its patient's file, for the physician's decision on one screen; audited."""
    detail = flags.flag_detail(actor, flag_id)
    return detail, load_patient_file(actor, detail.flag.patient_id)


def _pauses(enrolment: Enrolment) -> list[Pause]:
    """The enrolment's suspensions, from its transitions (each suspend, then its resume)."""
    tz = get_clock().tz
    return suspensions(
        (action, at.astimezone(tz).date(), reason) for action, at, reason in db.session.execute(
            _SUSPENSIONS, {"enrolment_id": enrolment.id}))


def _work_history(enrolment: Enrolment,
                  contacts: list[ScheduledContact]) -> list[WorkStatusEntry]:
    """Work at inclusion, then as each contact recorded it (return to work, seed 000)."""
    tz = get_clock().tz
    history = []
    if enrolment.work_status is not None:
        history.append(WorkStatusEntry(enrolment.start_date, enrolment.work_status,
                                       "inclusion"))
    for contact in contacts:
        status = (contact.outcome or {}).get("work_status")
        if status and contact.done_at:
            history.append(WorkStatusEntry(contact.done_at.astimezone(tz).date(),
                                           WorkStatus(status), contact.kind.value))
    return history


def _timeline(contacts: list[ScheduledContact], template: ProgrammeTemplate, start: date,
              today: date, now: datetime, pauses: list[Pause]) -> list[TimelineWeek]:
    tz = get_clock().tz
    by_week: dict[int, list[tuple[ScheduledContact, str]]] = defaultdict(list)
    for contact in contacts:
        day = contact.due_at.astimezone(tz).date()
        week = min(max(week_of(start, day), 1), template.total_weeks)
        by_week[week].append((contact, contact_state(contact, now)))
    current = week_of(start, today)
    paused = {week for p in pauses for week in weeks_touched(start, p.since, p.until or today)}
    return [
        TimelineWeek(week=w, contacts=by_week.get(w, []), is_current=w == current,
                     phase=Phase.INTERVENTION if w <= template.intervention_weeks
                     else Phase.FOLLOW_UP, suspended=w in paused)
        for w in range(1, template.total_weeks + 1)
    ]


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 1) if values else None


def weekly_series(enrolment: Enrolment, template: ProgrammeTemplate,
                  today: date) -> list[WeekSeries]:
    """Each programme week up to ``today``'s as the patient logged it (three queries)."""
    start = enrolment.start_date
    current = min(week_of(start, today), template.total_weeks)
    sessions: dict[int, list[Any]] = defaultdict(list)
    for row in db.session.execute(_week_sessions(template.symptom_score),
                                  {"enrolment_id": enrolment.id, "today": today}):
        sessions[week_of(start, row[0])].append(row)
    prescribed_per_week = db.session.scalar(_PRESCRIBED_PER_WEEK,
                                            {"enrolment_id": enrolment.id})
    booklet: dict[int, float] = defaultdict(float)
    for day, status in db.session.execute(
            _BOOKLET_DAYS, {"enrolment_id": enrolment.id, "today": today}):
        booklet[week_of(start, day)] += {BookletStatus.DONE: 1.0,
                                         BookletStatus.PARTIAL: PARTIAL_WEIGHT}.get(status, 0.0)
    series = []
    for week in range(1, current + 1):
        rows = sessions.get(week, [])
        minutes = [r[1] / 60 for r in rows]
        series.append(WeekSeries(
            week=week,
            sessions=len(rows),
            minutes=int(sum(minutes)),
            mean_minutes=_mean(minutes),
            mean_watts=_mean([r[2] for r in rows if r[2] is not None]),
            hr_rest=_mean([r[3] for r in rows if r[3] is not None]),
            hr_mean=_mean([r[4] for r in rows if r[4] is not None]),
            hr_max=max((r[5] for r in rows if r[5] is not None), default=None),
            symptom=_mean([r[6] for r in rows if r[6] is not None]),
            booklet_share=(round(min(booklet.get(week, 0.0) / prescribed_per_week, 1.0), 2)
                           if prescribed_per_week else None),
            zone_minutes=_minutes([r[7] for r in rows if r[7] is not None]),
            above_minutes=_minutes([r[8] for r in rows if r[8] is not None]),
        ))
    return series


@cache
def _week_sessions(score: SymptomScore) -> Select[Any]:
    """The sessions' figures the weeks sum up, with the programme's symptom score."""
    symptom = ErgoSession.pain_eva if score == SymptomScore.PAIN else ErgoSession.dyspnoea
    return select(
        ErgoSession.day, ErgoSession.duration_s, ErgoSession.watts, ErgoSession.hr_rest,
        ErgoSession.hr_mean, ErgoSession.hr_max, symptom, ErgoSession.hr_in_zone_s,
        ErgoSession.hr_above_ceiling_s,
    ).where(ErgoSession.enrolment_id == _ENROLMENT, ErgoSession.day <= bindparam("today"))


def _minutes(seconds: list[int]) -> float | None:
    return round(sum(seconds) / 60, 1) if seconds else None


def _last_sampled_session(enrolment_id: int) -> ErgoSession | None:
    return db.session.scalar(_LAST_SAMPLED_SESSION, {"enrolment_id": enrolment_id})


def session_curve(enrolment: Enrolment, session: ErgoSession | None) -> SessionCurve | None:
    """The session's series and the zone prescribed the week it was ridden (None without
    a session)."""
    if session is None:
        return None
    week = max(week_of(enrolment.start_date, session.day), 1)
    rx = db.session.scalar(_PRESCRIPTION_IN_FORCE,
                           {"enrolment_id": enrolment.id, "week": week})
    hr = samples.read_series([session.id], samples.HEART_RATE).get(session.id, [])
    power = samples.read_series([session.id], samples.POWER).get(session.id, [])
    return SessionCurve(session, hr, power, rx.hr_target_low if rx else None,
                        (rx.hr_target_high if rx else None) or enrolment.patient.hr_ceiling)
