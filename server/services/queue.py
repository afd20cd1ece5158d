"""The caller's work queue: contacts due today or overdue, then open flags by severity and age.

One query for the contacts and one for the flags, whatever the size of the
file; a referent sees their patients, a coordinator everyone, a physician the
flags awaiting their decision (and no calls to make).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select

from server.clock import get_clock
from server.extensions import db
from server.models import Enrolment, Patient, ScheduledContact, Synthesis, User
from server.models.flags import OPEN_STATUSES, Flag
from server.models.patients import display_name
from server.services.access import READ, visible_patients_of
from server.services.audit import record_access
from server.services.flag_text import describe, kind_label
from server.services.flags import physician_items_of
from server.services.pipeline import awaiting_validation, suspended_enrolments
from server.services.syntheses import awaiting
from server.services.transactions import read_use_case
from shared.enums import ContactStatus, EnrolmentState, Phase, Role
from shared.timeline import local_midnight

PHASE_STATES = {Phase.INTERVENTION: EnrolmentState.ACTIVE,
                Phase.FOLLOW_UP: EnrolmentState.FOLLOW_UP}


@dataclass(frozen=True)
class Queue:
    """What the caller should do today."""

    as_of: date
    contacts: list[dict[str, Any]]
    flags: list[dict[str, Any]]


@dataclass(frozen=True)
class PhysicianDesk:
    """What awaits a physician: items to decide, dossiers to validate, pauses to review."""

    items: list[dict[str, Any]]
    dossiers: list[tuple[Enrolment, Patient]]
    suspended: list[tuple[Enrolment, Patient]]
    # Final and 12-month syntheses waiting for the physician's co-signature.
    syntheses: list[tuple[Synthesis, Patient]]


@read_use_case
def work_queue(user: User, phase: Phase | str | None = None, limit: int = 200) -> Queue:
    """Today's and overdue contacts, then open flags (severity, then oldest first); audited."""
    clock = get_clock()
    today, now = clock.today(), clock.now()
    state = PHASE_STATES[Phase(phase)] if phase else None
    contacts = [] if user.role == Role.PHYSICIAN else _contacts(user, today, now, state, limit)
    flags = _flags(user, state, limit)
    patient_ids = sorted({c["patient_id"] for c in contacts} | {f["patient_id"] for f in flags})
    record_access(user, READ, "queue", patient_ids)
    return Queue(as_of=today, contacts=contacts, flags=flags)


def _contacts(user: User, today: date, now: datetime, state: EnrolmentState | None,
              limit: int) -> list[dict[str, Any]]:
    tomorrow = local_midnight(today + timedelta(days=1), get_clock().tz)
    rows = db.session.execute(_contacts_query(user.role, state),
                              {"user_id": user.id, "tomorrow": tomorrow, "limit": limit})
    return [{
        "id": c.id, "patient_id": c.patient_id,
        "patient_name": display_name(c.first_name, c.last_name),
        "kind": c.kind.value, "channel": c.channel.value, "phase": c.phase.value,
        "due_at": c.due_at, "window_closes": c.window_closes, "overdue": c.due_at < now,
        "attempts": c.attempts,
    } for c in rows]


# The queue's two statements are built once per role and phase, the user, the day and
# the limit being their parameters: building and keying a statement this size costs about as
# much as running it. Columns, not entities: the queue only shows them.
@cache
def _contacts_query(role: Role, state: EnrolmentState | None) -> Select[Any]:
    patients = visible_patients_of(role, bindparam("user_id")).with_only_columns(Patient.id)
    query = (
        select(ScheduledContact.id, ScheduledContact.kind, ScheduledContact.channel,
               ScheduledContact.phase, ScheduledContact.due_at,
               ScheduledContact.window_closes, ScheduledContact.attempts,
               Patient.id.label("patient_id"), Patient.first_name, Patient.last_name)
        .join(Enrolment, Enrolment.id == ScheduledContact.enrolment_id)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .where(ScheduledContact.status == ContactStatus.PLANNED,
               ScheduledContact.due_at < bindparam("tomorrow"),
               Enrolment.state.in_(tuple(PHASE_STATES.values())),
               Patient.id.in_(patients))
        .order_by(ScheduledContact.due_at, ScheduledContact.id)
        .limit(bindparam("limit")))
    if state is not None:
        query = query.where(Enrolment.state == state)
    return query


def _flags(user: User, state: EnrolmentState | None, limit: int) -> list[dict[str, Any]]:
    rows = db.session.execute(_flags_query(user.role, state),
                              {"user_id": user.id, "limit": limit})
    return [{
        "id": f.id, "patient_id": f.patient_id,
        "patient_name": display_name(f.first_name, f.last_name),
        "kind": f.kind.value, "label": kind_label(f.kind), "summary": describe(f.kind, f.evidence),
        "severity": f.severity, "status": f.status.value, "opened_at": f.opened_at,
        "phase": "follow_up" if f.state == EnrolmentState.FOLLOW_UP else "intervention",
    } for f in rows]


@cache
def _flags_query(role: Role, state: EnrolmentState | None) -> Select[Any]:
    if role == Role.PHYSICIAN:
        base = physician_items_of(bindparam("user_id"))
    else:
        patients = visible_patients_of(role, bindparam("user_id")).with_only_columns(Patient.id)
        base = select(Flag).where(Flag.status.in_(OPEN_STATUSES), Flag.patient_id.in_(patients))
    query = (base.join(Enrolment, Enrolment.id == Flag.enrolment_id)
             .with_only_columns(Flag.id, Flag.patient_id, Flag.kind, Flag.evidence,
                                Flag.severity, Flag.status, Flag.opened_at, Enrolment.state,
                                Patient.first_name, Patient.last_name)
             .order_by(Flag.severity.desc(), Flag.opened_at, Flag.id)
             .limit(bindparam("limit")))
    if role != Role.PHYSICIAN:
        query = query.join(Patient, Patient.id == Flag.patient_id)
    if state is not None:
        query = query.where(Enrolment.state == state)
    return query


@read_use_case
def physician_desk(user: User) -> PhysicianDesk:
    """The physician's home: the queue's items, the dossiers awaiting validation and the
    suspended programmes; audited."""
    return PhysicianDesk(items=work_queue(user).flags, dossiers=awaiting_validation(user),
                         suspended=suspended_enrolments(user), syntheses=awaiting(user))
