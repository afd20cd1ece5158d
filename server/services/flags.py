"""What a person does with a flag: acknowledge, resolve, escalate, send to committee, decide.

A referent acts on their patients' flags, a coordinator on every flag; a
physician sees and acts on what was escalated to them or sent to committee for
the patients they follow. Every change is a ``FlagEvent`` (who, when, why) and
the access lands in the audit log. Refused changes raise and store nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, or_, select
from sqlalchemy.orm import selectinload

from server.clock import get_clock, utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import Enrolment, Patient, User
from server.models.flags import OPEN_STATUSES, Flag, FlagEvent
from server.services.access import READ, WRITE, get_patient, visible_patients
from server.services.audit import record_access
from server.services.enrolments import add_contacts, apply_transition
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.escalation import notify_escalations
from server.services.transactions import read_use_case, use_case
from shared.enrolment import Action
from shared.enums import FlagDecision, FlagStatus, Role
from shared.rules import reinforcement_visit_day, reinforcement_windows
from shared.timeline import reinforcement_contacts

ACTIONABLE = {
    "acknowledge": ({FlagStatus.OPEN}, FlagStatus.ACKNOWLEDGED),
    "escalate": ({FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED, FlagStatus.COMMITTEE},
                 FlagStatus.ESCALATED),
    "committee": ({FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED, FlagStatus.ESCALATED},
                  FlagStatus.COMMITTEE),
    "resolve": (set(OPEN_STATUSES), FlagStatus.RESOLVED),
    "decide": ({FlagStatus.ESCALATED, FlagStatus.COMMITTEE}, FlagStatus.RESOLVED),
}
# The enrolment transition a decision carries, if any.
DECISION_TRANSITIONS = {
    FlagDecision.SUSPEND: Action.SUSPEND,
    FlagDecision.INTERRUPT: Action.INTERRUPT,
    FlagDecision.REORIENTATION_PHYSIO: Action.REORIENT,
    FlagDecision.REORIENTATION_SSR: Action.REORIENT,
}


def physician_items_of(physician_id: int | BindParameter[int]) -> Select[tuple[Flag]]:
    """A SELECT of the flags awaiting a physician's decision (escalated to them or in
    committee); their id may be a bound parameter of a statement built once."""
    return (select(Flag)
            .join(Patient, Patient.id == Flag.patient_id)
            .where(or_(Flag.escalated_to_id == physician_id,
                       (Flag.status == FlagStatus.COMMITTEE)
                       & (Patient.physician_id == physician_id)),
                   Flag.status.in_((FlagStatus.ESCALATED, FlagStatus.COMMITTEE))))


def visible_flags(user: User) -> Select[tuple[Flag]]:
    """A SELECT of the flags ``user`` may see."""
    patients = visible_patients(user).with_only_columns(Patient.id)
    return select(Flag).where(Flag.patient_id.in_(patients))


def get_flag(user: User, flag_id: int, action: str = READ) -> Flag:
    """The flag if ``user`` may see it (404 otherwise, so ids cannot be probed); audited."""
    flag = db.session.scalar(visible_flags(user).where(Flag.id == flag_id))
    if flag is None:
        raise NotFound(_("No such flag."), "flag_not_found")
    if action == WRITE and user.role not in (Role.REFERENT, Role.COORDINATOR, Role.PHYSICIAN):
        raise Forbidden(_("Your role may not change this record."), "forbidden")
    record_access(user, action, "flag", [flag.patient_id], flag.id)
    return flag


@dataclass(frozen=True)
class FlagDetail:
    """A flag with what its page shows: the patient, the people in its history, the actions."""

    flag: Flag
    patient: Patient
    people: dict[int, str]
    actions: frozenset[str]

    @property
    def is_open(self) -> bool:
        """Whether a person still has to act on the flag."""
        return self.flag.status in OPEN_STATUSES


@read_use_case
def flag_detail(user: User, flag_id: int) -> FlagDetail:
    """The flag ``user`` may see, with its patient and the names in its history; audited."""
    flag = get_flag(user, flag_id)
    actor_ids = {e.actor_id for e in flag.events if e.actor_id}
    people = dict(db.session.execute(
        select(User.id, User.full_name).where(User.id.in_(actor_ids))).all()) if actor_ids else {}
    return FlagDetail(
        flag=flag, patient=db.session.get(Patient, flag.patient_id), people=people,
        actions=frozenset(name for name, (sources, _t) in ACTIONABLE.items()
                          if flag.status in sources))


@read_use_case
def patient_flags(user: User, patient_id: int, include_closed: bool = True) -> list[Flag]:
    """A patient's flags, open ones first then by severity and age; audited."""
    get_patient(user, patient_id, READ)
    return flags_of(patient_id, include_closed)


# Built once (the patient file reads them on every view), the patient as parameter.
_FLAGS_OF = (select(Flag).where(Flag.patient_id == bindparam("patient_id"))
             .options(selectinload(Flag.events)))
_OPEN_FLAGS_OF = _FLAGS_OF.where(Flag.status.in_(OPEN_STATUSES))


def flags_of(patient_id: int, include_closed: bool = True) -> list[Flag]:
    """A patient's flags with their history, open ones first then by severity and age
    (no access check: for a use case that checked and audited the patient)."""
    query = _FLAGS_OF if include_closed else _OPEN_FLAGS_OF
    flags = list(db.session.scalars(query, {"patient_id": patient_id}))
    return sorted(flags, key=lambda f: (f.status not in OPEN_STATUSES, -f.severity,
                                        f.opened_at))


def _change(user: User, flag_id: int, verb: str, note: str | None,
            require_note: bool = False) -> Flag:
    flag = get_flag(user, flag_id, WRITE)
    sources, target = ACTIONABLE[verb]
    if flag.status not in sources:
        raise Conflict(_("This flag is %(status)s: it cannot be changed this way.",
                         status=flag.status.value), "flag_state")
    note = (note or "").strip() or None
    if require_note and note is None:
        raise Invalid(_("Invalid request:"), "note_required",
                      {"note": [_("A note is required.")]})
    now = utcnow()
    db.session.add(FlagEvent(flag_id=flag.id, at=now, actor_id=user.id, action=verb,
                             from_status=flag.status, to_status=target, note=note))
    flag.status, flag.updated_at = target, now
    if target == FlagStatus.RESOLVED:
        flag.open_key, flag.closed_at, flag.close_reason = None, now, note
    return flag


@use_case
def acknowledge(user: User, flag_id: int, note: str | None = None) -> Flag:
    """The owner has seen the flag and takes it in hand."""
    flag = _change(user, flag_id, "acknowledge", note)
    flag.owner_id = flag.owner_id or user.id
    return flag


@use_case
def resolve(user: User, flag_id: int, note: str | None) -> Flag:
    """Close a flag by a person's decision, with a note saying why."""
    return _change(user, flag_id, "resolve", note, require_note=True)


@use_case
def escalate(user: User, flag_id: int, note: str | None = None) -> Flag:
    """Send the flag to the patient's physician, who is told by e-mail."""
    flag = get_flag(user, flag_id, READ)
    physician_id = db.session.scalar(select(Patient.physician_id).where(
        Patient.id == flag.patient_id))
    if physician_id is None:
        raise Conflict(_("This patient has no physician to escalate to."), "no_physician")
    flag = _change(user, flag_id, "escalate", note)
    flag.escalated_to_id = physician_id
    db.session.flush()
    notify_escalations([flag])
    return flag


@use_case
def send_to_committee(user: User, flag_id: int, note: str | None = None) -> Flag:
    """Put the flag on the coordination committee's agenda."""
    return _change(user, flag_id, "committee", note)


@use_case
def decide(user: User, flag_id: int, decision: FlagDecision | str, note: str | None,
           visit_day: date | None = None, review_on: date | None = None) -> Flag:
    """The physician's (or committee's) decision, applied to the timeline; closes the flag.

    A reinforcement visit adds the visit and its 4 weekly micro-project calls to
    the timeline (on ``visit_day``, else the day the rupture proposed);
    suspension pauses the enrolment until ``review_on``; interruption and
    reorientation end it, each through its state machine.
    """
    if user.role not in (Role.PHYSICIAN, Role.COORDINATOR):
        raise Forbidden(_("Only a physician or the coordination takes this decision."),
                        "forbidden")
    decision = FlagDecision(decision)
    flag = _change(user, flag_id, "decide", note, require_note=decision != FlagDecision.CONTINUE)
    flag.decision = decision
    enrolment = db.session.get(Enrolment, flag.enrolment_id)
    if decision == FlagDecision.REINFORCEMENT_VISIT:
        _plan_reinforcement(enrolment, flag, visit_day)
    action = DECISION_TRANSITIONS.get(decision)
    if action is not None:
        apply_transition(enrolment, user, action,
                         {"reason": f"{decision.value}: {note}", "review_on": review_on})
    return flag


def _plan_reinforcement(enrolment: Enrolment, flag: Flag, visit_day: date | None) -> None:
    today = get_clock().today()
    proposed = flag.evidence.get("visit_day")
    day = visit_day or (date.fromisoformat(proposed) if proposed else None)
    if visit_day is None and day is not None and day < today:
        # The committee met after the day the rupture proposed: the rule proposes again.
        day = reinforcement_visit_day(enrolment.template, enrolment.start_date, today)
    if day is None:
        raise Invalid(_("Invalid request:"), "visit_day_required",
                      {"visit_day": [_("Give the day of the reinforcement visit.")]})
    if day < today:
        raise Invalid(_("Invalid request:"), "visit_day_past",
                      {"visit_day": [_("The visit cannot be planned in the past.")]})
    windows = reinforcement_windows(enrolment.template, enrolment.start_date)
    if not any(opens <= day <= closes for _month, opens, closes in windows):
        # The seed places the visit in follow-up month 4 or 7 (l.4231-4239): say which days.
        allowed = "; ".join(_("month %(month)d, %(first)s to %(last)s", month=m,
                              first=o.isoformat(), last=c.isoformat()) for m, o, c in windows)
        raise Invalid(_("Invalid request:"), "visit_day_outside", {"visit_day": [_(
            "A reinforcement visit takes place in one of these follow-up months: %(windows)s.",
            windows=allowed)]})
    try:
        planned = reinforcement_contacts(enrolment.template, enrolment.start_date, day,
                                         get_clock().tz)
    except ValueError:
        raise Invalid(_("Invalid request:"), "visit_day_outside", {"visit_day": [
            _("The visit must fall within the follow-up phase.")]}) from None
    add_contacts(enrolment, planned)


def flag_history(flag: Flag) -> list[dict[str, Any]]:
    """The flag's events, oldest first, as plain data."""
    return [{"at": e.at, "actor_id": e.actor_id, "action": e.action,
             "from_status": e.from_status, "to_status": e.to_status, "note": e.note}
            for e in flag.events]
