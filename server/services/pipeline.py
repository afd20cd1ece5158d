"""The coordinator's enrolment pipeline: dossier checklist, start, equipment, assignment.

State changes go through ``services.enrolments.apply_transition`` (the state
machine); this module adds what the pipeline needs around it: the checklist
edited piece by piece before the dossier is declared complete, the consent
gate before a start, equipment delivery, referent assignment and the delay
from complete dossier to start against the 4-week target (PROGRAMME.md,
indicator table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import or_, select

from server.clock import get_clock
from server.extensions import db
from server.i18n import gettext as _
from server.models import Enrolment, EnrolmentTransition, Patient, User
from server.services import access, auth
from server.services.audit import record_access
from server.services.enrolments import apply_transition, current_enrolment
from server.services.errors import Conflict, Forbidden, Invalid
from server.services.transactions import read_use_case, use_case
from shared.enrolment import FOLLOWED_STATES, Action, dossier_pieces, missing_dossier_pieces
from shared.enums import EnrolmentState, Role

TARGET_DAYS_TO_START = 28  # indicator table, seed 003 l.5096: 4 weeks
# Started enrolments stay on the board this long, so the delay indicator covers them.
RECENT_STARTS = timedelta(days=60)
EQUIPMENT_KEY = "equipment_delivered_on"
PENDING_STATES = (EnrolmentState.REQUESTED, EnrolmentState.DOSSIER_COMPLETE,
                  EnrolmentState.VALIDATED)


@dataclass(frozen=True)
class PipelineRow:
    """One enrolment on the coordinator's board."""

    enrolment: Enrolment
    patient: Patient
    missing: list[str]
    days_to_start: int | None
    late: bool
    equipment_on: date | None


@dataclass(frozen=True)
class EnrolmentDetail:
    """One enrolment as the coordinator's page shows it."""

    enrolment: Enrolment
    patient: Patient
    history: list[EnrolmentTransition]
    pieces: tuple[str, ...]  # what the programme's dossier asks for
    missing: list[str]
    days_to_start: int | None
    equipment_on: date | None


def _require_coordinator(actor: User) -> None:
    if actor.role != Role.COORDINATOR:
        raise Forbidden(_("Your role may not change this record."), "forbidden")


def days_to_start(enrolment: Enrolment, today: date) -> int | None:
    """Days from complete dossier to start (to today while not started yet)."""
    return delay_days(enrolment.dossier_completed_at, enrolment.start_date or today)


def delay_days(dossier_completed_at: datetime | None, start: date,
               tz: tzinfo | None = None) -> int | None:
    """Days from the local day the dossier was complete to ``start`` (the indicator's delay);
    ``tz`` is the clock's, given by callers that count many."""
    if dossier_completed_at is None:
        return None
    return (start - dossier_completed_at.astimezone(tz or get_clock().tz).date()).days


def equipment_delivered_on(enrolment: Enrolment) -> date | None:
    """The day the ergocycle was delivered, once recorded."""
    day = (enrolment.dossier or {}).get(EQUIPMENT_KEY)
    return date.fromisoformat(day) if day else None


@read_use_case
def board(actor: User, state: EnrolmentState | None = None) -> list[PipelineRow]:
    """Enrolments not started yet and those started recently, oldest request first; audited."""
    _require_coordinator(actor)
    clock = get_clock()
    today = clock.today()
    query = (
        select(Enrolment, Patient).join(Patient, Patient.id == Enrolment.patient_id)
        .where(or_(Enrolment.state.in_(PENDING_STATES),
                   Enrolment.start_date >= today - RECENT_STARTS))
        .order_by(Enrolment.requested_at, Enrolment.id)
    )
    if state is not None:
        query = query.where(Enrolment.state == state)
    rows = []
    for enrolment, patient in db.session.execute(query):
        days = days_to_start(enrolment, today)
        rows.append(PipelineRow(
            enrolment=enrolment, patient=patient,
            missing=missing_dossier_pieces(enrolment.dossier or {}, enrolment.programme_code),
            days_to_start=days, late=days is not None and days > TARGET_DAYS_TO_START,
            equipment_on=equipment_delivered_on(enrolment),
        ))
    record_access(actor, access.READ, "pipeline", [r.patient.id for r in rows])
    return rows


@read_use_case
def enrolment_detail(actor: User, enrolment_id: int) -> EnrolmentDetail:
    """The enrolment with its checklist, delay to start, equipment and history; audited."""
    enrolment = access.get_enrolment(actor, enrolment_id)
    history = list(db.session.scalars(
        select(EnrolmentTransition).where(EnrolmentTransition.enrolment_id == enrolment.id)
        .order_by(EnrolmentTransition.id)))
    return EnrolmentDetail(
        enrolment=enrolment, patient=enrolment.patient, history=history,
        pieces=dossier_pieces(enrolment.programme_code),
        missing=missing_dossier_pieces(enrolment.dossier or {}, enrolment.programme_code),
        days_to_start=days_to_start(enrolment, get_clock().today()),
        equipment_on=equipment_delivered_on(enrolment))


def _in_state(actor: User, state: EnrolmentState, order: Any,
              audit_name: str) -> list[tuple[Enrolment, Patient]]:
    """The enrolments in ``state`` of the patients ``actor`` may see, in ``order``; audited."""
    patients = access.visible_patients(actor).with_only_columns(Patient.id)
    rows = [tuple(row) for row in db.session.execute(
        select(Enrolment, Patient).join(Patient, Patient.id == Enrolment.patient_id)
        .where(Enrolment.state == state, Patient.id.in_(patients)).order_by(order))]
    record_access(actor, access.READ, audit_name, [p.id for _e, p in rows])
    return rows


def suspended_enrolments(actor: User) -> list[tuple[Enrolment, Patient]]:
    """The enrolments paused by a physician, soonest review first; audited."""
    return _in_state(actor, EnrolmentState.SUSPENDED, Enrolment.suspension_review_on,
                     "suspension_list")


def awaiting_validation(actor: User) -> list[tuple[Enrolment, Patient]]:
    """Complete dossiers of the patients ``actor`` may see, oldest first; audited."""
    return _in_state(actor, EnrolmentState.DOSSIER_COMPLETE, Enrolment.dossier_completed_at,
                     "validation_list")


@use_case
def set_dossier_pieces(actor: User, enrolment_id: int, pieces: dict[str, bool]) -> Enrolment:
    """Tick or untick pieces of a dossier still being gathered."""
    _require_coordinator(actor)
    enrolment = access.get_enrolment(actor, enrolment_id, access.WRITE)
    if enrolment.state != EnrolmentState.REQUESTED:
        db.session.commit()
        raise Conflict(_("The dossier is already complete."), "dossier_closed")
    enrolment.dossier = {**(enrolment.dossier or {}),
                         **{p: bool(pieces.get(p))
                            for p in dossier_pieces(enrolment.programme_code)}}
    return enrolment


@use_case
def transition(actor: User, enrolment_id: int, action: Action,
               payload: dict[str, Any]) -> Enrolment:
    """A state-machine move (pipeline page and API); the audit row stays even when refused."""
    enrolment = access.get_enrolment(actor, enrolment_id, access.TRANSITION)
    db.session.commit()
    return apply_transition(enrolment, actor, action, payload)


@use_case
def start(actor: User, enrolment_id: int, start_date: date | None, consent: bool,
          intervention_weeks: int | None = None) -> Enrolment:
    """Start a validated enrolment: the patient's consent is required first."""
    _require_coordinator(actor)
    if not consent:
        raise Invalid(_("Invalid request:"), "consent_required", {
            "consent": [_("The patient's consent (acte d'adhésion) must be recorded first.")]})
    return transition(actor, enrolment_id, Action.START,
                      {"start_date": start_date, "intervention_weeks": intervention_weeks})


@use_case
def record_equipment(actor: User, enrolment_id: int, delivered_on: date) -> Enrolment:
    """Record the day the ergocycle was delivered."""
    _require_coordinator(actor)
    enrolment = access.get_enrolment(actor, enrolment_id, access.WRITE)
    today = get_clock().today()
    if delivered_on > today:
        db.session.commit()
        raise Invalid(_("Invalid request:"), "date_in_future", {
            "delivered_on": [_("This date is in the future.")]})
    enrolment.dossier = {**(enrolment.dossier or {}), EQUIPMENT_KEY: delivered_on.isoformat()}
    return enrolment


@use_case
def assign(actor: User, enrolment_id: int, referent_id: int | None,
           physician_id: int | None) -> Patient:
    """Assign the enrolment's patient a referent and a physician (active accounts of those
    roles)."""
    _require_coordinator(actor)
    enrolment = access.get_enrolment(actor, enrolment_id)
    patient = access.get_patient(actor, enrolment.patient_id, access.WRITE)
    errors: dict[str, list[str]] = {}
    for field_name, user_id, role in (("referent_id", referent_id, Role.REFERENT),
                                      ("physician_id", physician_id, Role.PHYSICIAN)):
        user = db.session.get(User, user_id) if user_id is not None else None
        if user_id is not None and (user is None or user.role != role or not user.active):
            errors[field_name] = [_("Choose an active account of this role.")]
    if errors:
        db.session.commit()
        raise Invalid(_("Invalid request:"), "invalid_reference", errors)
    patient.referent_id, patient.physician_id = referent_id, physician_id
    return patient


@use_case
def pairing_code(actor: User, enrolment_id: int) -> tuple[str, Enrolment, Any]:
    """A fresh one-time tablet pairing code for the enrolment (code, enrolment, record)."""
    enrolment = access.get_enrolment(actor, enrolment_id, access.WRITE)
    code, record = auth.create_pairing_code(enrolment, actor)
    return code, enrolment, record


# A tablet may be paired from validation (the ergocycle is delivered before the start) to the end.
PAIRABLE = FOLLOWED_STATES | {EnrolmentState.VALIDATED}


@use_case
def pairing_code_for_patient(actor: User, patient_id: int) -> tuple[str, Enrolment, Any]:
    """A fresh pairing code for the enrolment the patient's tablet reports to (404 when the
    patient is out of reach, 409 when no programme is followed)."""
    patient = access.get_patient(actor, patient_id, access.WRITE)
    enrolment = current_enrolment(patient.id)
    if enrolment is None or enrolment.state not in PAIRABLE:
        raise Conflict(_("No programme is followed for this patient: no tablet to pair."),
                       "no_running_enrolment")
    return pairing_code(actor, enrolment.id)


def staff_choices(role: Role) -> list[User]:
    """Active accounts of ``role``, by name, for the assignment lists."""
    return list(db.session.scalars(
        select(User).where(User.role == role, User.active.is_(True)).order_by(User.full_name)))
