"""Enrolment: creating a patient's request, moving it through the state machine,
and laying out the timeline, booklet and first prescription when it starts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Update, func, insert, select, update

from server.clock import get_clock, utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import (
    BookletItem,
    Enrolment,
    EnrolmentTransition,
    Patient,
    Prescription,
    ScheduledContact,
    User,
)
from server.services.access import WRITE
from server.services.audit import record_access
from server.services.care_team import add_members
from server.services.errors import Conflict, Forbidden, Invalid
from server.services.transactions import use_case
from shared.enrolment import (
    FOLLOWED_STATES,
    TERMINAL_STATES,
    Action,
    TransitionError,
    check_transition,
    missing_dossier_pieces,
    resume_state,
)
from shared.enums import ContactStatus, EnrolmentState, Phase, Role
from shared.programmes import ProgrammeTemplate
from shared.timeline import PlannedContact, build_timeline, local_midnight, programme_dates

# A start may be recorded a little after the inclusion visit, never long after.
MAX_START_BACKDATE = timedelta(days=14)
MAX_START_AHEAD = timedelta(days=120)
# A suspension is reviewed within three months at the latest (then renewed if need be).
MAX_SUSPENSION_REVIEW = timedelta(days=92)


def create_patient(actor: User, data: dict[str, Any]) -> tuple[Patient, Enrolment]:
    """A new patient with an enrolment request in the given programme."""
    if actor.role not in (Role.COORDINATOR, Role.REFERENT):
        raise Forbidden(_("Your role may not register patients."), "forbidden")
    enrolment_data = data.pop("enrolment")
    members = data.pop("care_team", [])
    referent_id = data.pop("referent_id", None)
    if actor.role == Role.REFERENT:
        referent_id = actor.id
    _check_staff(referent_id, Role.REFERENT, "referent_id")
    _check_staff(data.get("physician_id"), Role.PHYSICIAN, "physician_id")
    now = utcnow()
    patient = Patient(**data, referent_id=referent_id, created_at=now)
    enrolment = Enrolment(
        patient=patient, state=EnrolmentState.REQUESTED, requested_at=now,
        dossier=enrolment_data.pop("dossier", {}), **enrolment_data,
    )
    db.session.add_all([patient, enrolment])
    db.session.flush()
    add_members(patient, members)
    return patient, enrolment


@use_case
def register_patient(actor: User, data: dict[str, Any]) -> tuple[Patient, Enrolment]:
    """Register a patient and their enrolment request (API and coordinator page); audited."""
    patient, enrolment = create_patient(actor, data)
    record_access(actor, WRITE, "patient", [patient.id], patient.id)
    return patient, enrolment


def _check_staff(user_id: int | None, role: Role, field: str) -> None:
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if user is None or user.role != role or not user.active:
        raise Invalid(_("Invalid request:"), "invalid_reference",
                      {field: [_("No active %(role)s with this id.", role=role.value)]})


def current_enrolment(patient_id: int) -> Enrolment | None:
    """The enrolment the patient's tablet reports to: the running one, else the latest."""
    return current_of(db.session.scalars(
        select(Enrolment).where(Enrolment.patient_id == patient_id).order_by(Enrolment.id)
    ).all())


def current_of(enrolments: list[Enrolment]) -> Enrolment | None:
    """:func:`current_enrolment` among a patient's enrolments, oldest first."""
    for enrolment in reversed(enrolments):
        if enrolment.state in FOLLOWED_STATES:
            return enrolment
    return enrolments[-1] if enrolments else None


_TRANSITION_MESSAGES = {
    "invalid_transition": lambda a, s: _(
        "Impossible transition: cannot %(action)s an enrolment in state %(state)s.",
        action=a, state=s),
    "forbidden_transition": lambda a, s: _("Your role may not %(action)s an enrolment.", action=a),
    "reason_required": lambda a, s: _("A reason is required to %(action)s.", action=a),
}


def apply_transition(enrolment: Enrolment, actor: User, action: Action,
                     payload: dict[str, Any]) -> Enrolment:
    """Move the enrolment; on refusal raise and change nothing. Commits on success."""
    source = enrolment.state
    reason = payload.get("reason")
    try:
        target = check_transition(source, action, actor.role, reason)
    except TransitionError as exc:
        error = Forbidden if exc.code == "forbidden_transition" else Conflict
        raise error(_TRANSITION_MESSAGES[exc.code](action.value, source.value), exc.code) from None
    now = utcnow()
    if action == Action.SUSPEND:
        _suspend(enrolment, reason, payload.get("review_on"))
    elif action == Action.RESUME:
        target = _resume(enrolment)
    if action == Action.COMPLETE_DOSSIER:
        _complete_dossier(enrolment, payload.get("dossier") or {})
        enrolment.dossier_completed_at = now
    elif action == Action.VALIDATE:
        enrolment.validated_at, enrolment.validated_by_id = now, actor.id
        # Escalations need a physician: the one who validates follows the patient if none does.
        if enrolment.patient.physician_id is None:
            enrolment.patient.physician_id = actor.id
    elif action == Action.START:
        _start(enrolment, payload, actor)
    elif target in TERMINAL_STATES:
        enrolment.ended_at, enrolment.end_reason = now, reason
        _cancel_planned_contacts(enrolment)
    enrolment.state = target
    db.session.add(EnrolmentTransition(
        enrolment_id=enrolment.id, action=action.value, from_state=source, to_state=target,
        actor_id=actor.id, at=now, reason=reason,
    ))
    db.session.commit()
    return enrolment


def _suspend(enrolment: Enrolment, reason: str | None, review_on: date | None) -> None:
    """The physician's pause: the contacts due until the review are marked suspended."""
    today = get_clock().today()
    if review_on is None:
        raise Invalid(_("Invalid request:"), "review_on_required",
                      {"review_on": [_("Give the day the suspension is to be reviewed.")]})
    if not today < review_on <= today + MAX_SUSPENSION_REVIEW:
        raise Invalid(_("Invalid request:"), "review_on_out_of_range", {"review_on": [_(
            "The review day must lie between %(low)s and %(high)s.",
            low=(today + timedelta(days=1)).isoformat(),
            high=(today + MAX_SUSPENSION_REVIEW).isoformat())]})
    enrolment.suspended_on, enrolment.suspension_review_on = today, review_on
    enrolment.suspension_reason = reason
    tz = get_clock().tz
    db.session.execute(
        update(ScheduledContact)
        .where(ScheduledContact.enrolment_id == enrolment.id,
               ScheduledContact.status == ContactStatus.PLANNED,
               ScheduledContact.due_at < local_midnight(review_on + timedelta(days=1), tz))
        .values(status=ContactStatus.SUSPENDED))


def _resume(enrolment: Enrolment) -> EnrolmentState:
    """Back to the phase the calendar is in; nothing is shifted (the seed shifts nothing).

    Contacts suspended whose window is still open are due again; those whose
    window closed during the pause stay marked suspended.
    """
    today = get_clock().today()
    db.session.execute(
        update(ScheduledContact)
        .where(ScheduledContact.enrolment_id == enrolment.id,
               ScheduledContact.status == ContactStatus.SUSPENDED,
               ScheduledContact.window_closes > utcnow())
        .values(status=ContactStatus.PLANNED))
    enrolment.suspended_on = enrolment.suspension_review_on = None
    enrolment.suspension_reason = None
    # Whatever was logged before the pause must not read as silence after it.
    enrolment.last_received_at = utcnow()
    dates = programme_dates(enrolment.template, enrolment.start_date)
    return resume_state(today > dates.intervention_end)


def _complete_dossier(enrolment: Enrolment, pieces: dict[str, bool]) -> None:
    dossier = {**(enrolment.dossier or {}), **pieces}
    missing = missing_dossier_pieces(dossier, enrolment.programme_code)
    if missing:
        raise Conflict(
            _("The dossier is incomplete; missing: %(pieces)s.", pieces=", ".join(missing)),
            "dossier_incomplete",
        )
    enrolment.dossier = dossier


def _start(enrolment: Enrolment, payload: dict[str, Any], actor: User) -> None:
    start: date | None = payload.get("start_date")
    if start is None:
        raise Invalid(_("Invalid request:"), "start_date_required",
                      {"start_date": [_("A start date is required to start.")]})
    today = get_clock().today()
    if not today - MAX_START_BACKDATE <= start <= today + MAX_START_AHEAD:
        raise Invalid(_("Invalid request:"), "start_date_out_of_range", {"start_date": [_(
            "The start date must lie between %(low)s and %(high)s.",
            low=(today - MAX_START_BACKDATE).isoformat(),
            high=(today + MAX_START_AHEAD).isoformat())]})
    if payload.get("intervention_weeks"):
        enrolment.intervention_weeks = payload["intervention_weeks"]
    enrolment.start_date = start
    enrolment.consent_at = utcnow()
    template = enrolment.template
    add_contacts(enrolment, build_timeline(template, start, get_clock().tz))
    _mark_prescribing_consultation(enrolment)
    lay_out_booklet(enrolment, template)
    db.session.add(default_prescription(enrolment, template, actor))


def _mark_prescribing_consultation(enrolment: Enrolment) -> None:
    """The consultation that prescribed the programme took place before it (it is in the
    validated dossier): done, never due."""
    db.session.execute(
        update(ScheduledContact)
        .where(ScheduledContact.enrolment_id == enrolment.id,
               ScheduledContact.phase == Phase.BEFORE_START)
        .values(status=ContactStatus.DONE, done_at=enrolment.dossier_completed_at or utcnow()))


def add_contacts(enrolment: Enrolment, planned: Iterable[PlannedContact]) -> None:
    """Insert planned contacts on the enrolment's timeline in one statement."""
    rows = [{"enrolment_id": enrolment.id, **contact_values(c)} for c in planned]
    if rows:
        db.session.execute(insert(ScheduledContact), rows)


def contact_values(contact: PlannedContact) -> dict[str, Any]:
    """The columns of a planned contact's row, as laid out on a timeline (no enrolment id)."""
    return {"key": contact.key, "kind": contact.kind, "phase": contact.phase,
            "channel": contact.channel, "week": contact.week, "month": contact.month,
            "due_at": contact.due_at, "window_opens": contact.window_opens,
            "window_closes": contact.window_closes, "status": ContactStatus.PLANNED,
            "attempts": 0}


def lay_out_booklet(enrolment: Enrolment, template: ProgrammeTemplate) -> None:
    """Give the enrolment the template's booklet, and its weekly volume."""
    db.session.add_all(BookletItem(enrolment_id=enrolment.id, **values)
                       for values in booklet_item_values(template))
    enrolment.booklet_per_week = sum(e.per_week for e in template.booklet)


def booklet_item_values(template: ProgrammeTemplate) -> list[dict[str, Any]]:
    """The columns of each booklet item the template lays out (no enrolment id)."""
    return [{"code": e.code, "title_fr": e.title_fr, "title_en": e.title_en,
             "description_fr": e.description_fr, "repetitions": e.repetitions, "sets": e.sets,
             "per_week": e.per_week, "active": True}
            for e in template.booklet]


def booklet_volume_update() -> Update:
    """Every enrolment's ``booklet_per_week`` from its active items (after a bulk load)."""
    volume = (select(func.coalesce(func.sum(BookletItem.per_week), 0))
              .where(BookletItem.enrolment_id == Enrolment.id, BookletItem.active.is_(True))
              .scalar_subquery())
    return update(Enrolment).values(booklet_per_week=volume)


def default_prescription(enrolment: Enrolment, template: ProgrammeTemplate,
                         actor: User | None) -> Prescription:
    """Week-1 prescription from the template; the referent adjusts it each week."""
    return Prescription(
        enrolment_id=enrolment.id,
        **default_prescription_values(template, enrolment.patient.hr_ceiling),
        created_by_id=actor.id if actor else None, created_at=utcnow(),
    )


def default_prescription_values(template: ProgrammeTemplate,
                                hr_ceiling: int | None) -> dict[str, Any]:
    """The columns of the week-1 prescription (no enrolment, author or time)."""
    return {"from_week": 1, "session_minutes": template.default_session_minutes,
            "watts": None, "modality": template.default_modality, "work_s": None,
            "rest_s": None, "sessions_min": template.sessions_per_week_min,
            "sessions_max": template.sessions_per_week_max, "hr_target_low": None,
            "hr_target_high": hr_ceiling, "notes": None}


def _cancel_planned_contacts(enrolment: Enrolment) -> None:
    db.session.execute(
        update(ScheduledContact)
        .where(ScheduledContact.enrolment_id == enrolment.id,
               ScheduledContact.status == ContactStatus.PLANNED)
        .values(status=ContactStatus.CANCELLED)
    )
