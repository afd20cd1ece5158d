"""Recording a contact: the outcome of a call or visit, and what it sets off.

A weekly call may set next week's prescription; a follow-up call records
health events, medication adherence and activity against the patient's
project, and a rupture (activity below the project or under the programme's
weekly minimum, or health events) opens the committee review with the seed's
proposal at the committee calls, a flag for the referent at the others.
Three unreached attempts mark the call missed and raise a flag.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from server.clock import get_clock, utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import Enrolment, HealthEvent, Patient, Prescription, ScheduledContact, User
from server.services.access import READ, WRITE, get_enrolment
from server.services.errors import Conflict, NotFound
from server.services.ingest import payload_digest
from server.services.plan import prescription_for_week
from server.services.sweep import (
    missed_contact_evidence,
    raise_flags,
    reinforced_enrolments,
    sweep_patients,
)
from server.services.transactions import read_use_case, use_case
from shared.enums import Channel, ContactKind, ContactStatus
from shared.programmes import ProgrammeTemplate
from shared.rules import RULES, Firing, FlagKind, Severity, rupture_firing

RECORDABLE = (ContactStatus.PLANNED, ContactStatus.MISSED)
FOLLOW_UP_CALLS = (ContactKind.FOLLOW_UP_CALL, ContactKind.MICRO_PROJECT_CALL)


def get_contact(user: User, contact_id: int, action: str) -> ScheduledContact:
    """The contact if ``user`` may reach its patient (404 otherwise); audited."""
    contact = db.session.get(ScheduledContact, contact_id)
    if contact is None:
        raise NotFound(_("No such contact."), "contact_not_found")
    try:
        get_enrolment(user, contact.enrolment_id, action)
    except NotFound:
        raise NotFound(_("No such contact."), "contact_not_found") from None
    return contact


@dataclass(frozen=True)
class ContactPage:
    """A contact to record, with what the referent needs beside the form."""

    contact: ScheduledContact
    patient: Patient
    attempts_limit: int
    # The referent adjusts next week's prescription from the one in force this week.
    in_force: Prescription | None
    # The W12 activity project (sessions a week), the follow-up target.
    activity_project: int | None
    programme: ProgrammeTemplate
    # Whether a rupture heard at this call goes to the committee (else it is the referent's).
    committee: bool


@read_use_case
def contact_page(user: User, contact_id: int) -> ContactPage:
    """The contact ``user`` may reach, its patient, the attempts limit and the prescription
    in force; audited."""
    contact = get_contact(user, contact_id, READ)
    enrolment = db.session.get(Enrolment, contact.enrolment_id)
    return ContactPage(
        contact=contact, patient=enrolment.patient,
        attempts_limit=RULES[enrolment.programme_code].unreachable_attempts,
        in_force=prescription_for_week(enrolment, contact.week) if contact.week else None,
        programme=enrolment.template,
        committee=_goes_to_committee(contact, enrolment.template),
        activity_project=enrolment.activity_project_sessions)


@use_case
def record_contact(user: User, contact_id: int, outcome: dict[str, Any]) -> ScheduledContact:
    """Store a contact's outcome (loaded by ``call_outcome.ContactRecordIn``); commit; return it."""
    contact = get_contact(user, contact_id, WRITE)
    if contact.status not in RECORDABLE:
        raise Conflict(_("This contact is already %(status)s.", status=contact.status.value),
                       "contact_closed")
    now = utcnow()
    if now < contact.window_opens:
        raise Conflict(_("This contact is not due before %(day)s.",
                         day=contact.window_opens.astimezone(get_clock().tz).date().isoformat()),
                       "contact_not_due")
    enrolment = db.session.get(Enrolment, contact.enrolment_id)
    contact.recorded_by_id = user.id
    contact.notes = outcome.get("notes")
    if not outcome["reached"]:
        return _unreached(contact, enrolment)
    contact.status, contact.done_at = ContactStatus.DONE, now
    if outcome.get("channel"):
        contact.channel = Channel(outcome["channel"])
    contact.hospital_days = outcome.get("hospital_days")
    contact.outcome = _stored_outcome(outcome)
    if outcome.get("next_prescription") and contact.week is not None:
        _prescribe(enrolment, contact.week + 1, outcome["next_prescription"], user)
    events = _store_events(enrolment, outcome.get("health_events") or [])
    db.session.flush()
    if contact.kind in FOLLOW_UP_CALLS:
        firing = _follow_up_rupture(enrolment, contact, outcome)
        if firing is not None:
            raise_flags(enrolment.patient_id, [firing])
    db.session.commit()
    if events:
        sweep_patients([enrolment.patient_id])  # health events reach their flag at once
    return contact


def _unreached(contact: ScheduledContact, enrolment: Enrolment) -> ScheduledContact:
    contact.attempts += 1
    limit = RULES[enrolment.programme_code].unreachable_attempts
    if contact.attempts >= limit:
        contact.status = ContactStatus.MISSED
        db.session.flush()
        raise_flags(enrolment.patient_id, [Firing(
            FlagKind.MISSED_CONTACT, Severity.HIGH,
            {"contacts": [missed_contact_evidence(contact, "unreachable")]})])
    return contact


def _stored_outcome(outcome: dict[str, Any]) -> dict[str, Any]:
    """The outcome as JSON (dates and enums as strings)."""
    return json.loads(json.dumps(
        {k: v for k, v in outcome.items() if k != "notes"}, default=str))


def _prescribe(enrolment: Enrolment, week: int, data: dict[str, Any], user: User) -> None:
    if week > enrolment.template.intervention_weeks:
        return
    template = enrolment.template
    prescription = db.session.scalar(select(Prescription).where(
        Prescription.enrolment_id == enrolment.id, Prescription.from_week == week))
    if prescription is None:
        prescription = Prescription(
            enrolment_id=enrolment.id, from_week=week,
            sessions_min=template.sessions_per_week_min,
            sessions_max=template.sessions_per_week_max,
            hr_target_high=enrolment.patient.hr_ceiling)
        db.session.add(prescription)
    prescription.session_minutes = data["session_minutes"]
    prescription.watts = data.get("watts")
    prescription.modality = data["modality"]
    prescription.work_s, prescription.rest_s = data.get("work_s"), data.get("rest_s")
    prescription.notes = data.get("notes")
    prescription.created_by_id, prescription.created_at = user.id, utcnow()


def _store_events(enrolment: Enrolment, events: list[dict[str, Any]]) -> list[HealthEvent]:
    now = utcnow()
    rows = []
    for event in events:
        rows.append(HealthEvent(
            client_id=uuid.uuid4(), payload_digest=payload_digest(event),
            received_at=now, patient_id=enrolment.patient_id, enrolment_id=enrolment.id,
            kind=event["kind"], occurred_on=event["occurred_on"],
            description=event.get("description"),
            warning_signs=[w.value for w in event.get("warning_signs", [])]))
    db.session.add_all(rows)
    return rows


def _follow_up_rupture(enrolment: Enrolment, contact: ScheduledContact,
                       outcome: dict[str, Any]) -> Firing | None:
    """A follow-up call showing activity below the project (or health events): rupture.

    It goes to the committee from the template's committee calls (+3 and +6
    months, seed 003 l.4188-4228); from the others it is the referent's flag.
    """
    rules = RULES[enrolment.programme_code]
    done = outcome.get("sessions_per_week")
    # The W12 activity project stands unless the call records a new one.
    project = outcome.get("project_sessions_per_week")
    if project is None:
        project = enrolment.activity_project_sessions
    below = done is not None and (done < rules.follow_up_min_sessions
                                  or (project is not None and done < project))
    if not below and not outcome.get("health_events"):
        return None
    reinforced = enrolment.id in db.session.scalars(
        reinforced_enrolments({enrolment.patient_id})).all()
    template = enrolment.template
    committee = _goes_to_committee(contact, template)
    return rupture_firing(template, enrolment.start_date, get_clock().today(),
                          reinforced, {
                              "source": "call", "call_month": contact.month,
                              "sessions_per_week": done,
                              "project_sessions_per_week": project,
                              "health_events": len(outcome.get("health_events") or []),
                              **rules.as_evidence("follow_up_min_sessions")},
                          committee=committee)


def _goes_to_committee(contact: ScheduledContact, template: ProgrammeTemplate) -> bool:
    """A rupture heard at this call goes to the committee (+3 and +6 months, seed 003
    l.4188-4228); at the others it is the referent's flag."""
    return (contact.kind == ContactKind.FOLLOW_UP_CALL
            and contact.month in template.committee_call_months)
