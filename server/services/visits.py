"""The structured contents of the W0, W6 and W12 home visits, recorded in one transaction.

W0 (inclusion): objectives, baseline CRQ if the referent administers it,
endurance test. W6: compliance, adaptation of the programme, satisfaction.
W12 (closing): CRQ, endurance test, satisfaction, the activity project in
sessions a week (which becomes the follow-up target), certificate given,
ergocycle collected. Seed 003 l.3922-4105.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from server.clock import utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import Enrolment, Patient, ScheduledContact, User, VisitReport
from server.services.access import READ, WRITE
from server.services.calls import get_contact, record_contact
from server.services.errors import Conflict, Invalid
from server.services.measures import add_endurance_test, add_questionnaire, contact_timepoint
from server.services.transactions import read_use_case, use_case
from shared.enums import ContactStatus
from shared.programmes import ProgrammeTemplate

# What each visit records besides notes, questionnaires and the endurance test.
VISIT_FIELDS: dict[str, tuple[str, ...]] = {
    "W0": ("objectives", "hospital_days"),
    "W6": ("compliance", "adaptation"),
    "W12": ("activity_project_sessions", "certificate_given", "ergocycle_collected",
            "hospital_days"),
}
REQUIRED: dict[str, tuple[str, ...]] = {"W12": ("activity_project_sessions",)}
WITH_ENDURANCE = ("W0", "W12")


def with_endurance(template: ProgrammeTemplate, timepoint: str) -> bool:
    """Whether this visit of this programme holds the endurance test."""
    return template.endurance_test and timepoint in WITH_ENDURANCE
CONTENT_FIELDS = tuple(sorted({f for fields in VISIT_FIELDS.values() for f in fields}))


def visit_timepoint(contact: ScheduledContact) -> str | None:
    """W0, W6 or W12 for a visit contact, None for anything else."""
    timepoint = contact_timepoint(contact)
    return timepoint if timepoint in VISIT_FIELDS else None


@dataclass
class VisitPage:
    """A contact to record as a visit, with its enrolment and any report already stored."""

    contact: ScheduledContact
    enrolment: Enrolment
    patient: Patient
    timepoint: str | None
    report: VisitReport | None


@read_use_case
def visit_page(user: User, contact_id: int) -> VisitPage:
    """The contact ``user`` may reach, as a visit page; audited."""
    contact = get_contact(user, contact_id, READ)
    enrolment = db.session.get(Enrolment, contact.enrolment_id)
    return VisitPage(contact=contact, enrolment=enrolment, patient=enrolment.patient,
                     timepoint=visit_timepoint(contact), report=visit_report(contact.id))


def visit_report(contact_id: int) -> VisitReport | None:
    """The report of a contact, if one was recorded."""
    return db.session.scalar(select(VisitReport).where(VisitReport.contact_id == contact_id))


def _check(timepoint: str, data: dict[str, Any], template: ProgrammeTemplate) -> None:
    allowed = VISIT_FIELDS[timepoint]
    errors: dict[str, list[str]] = {
        name: [_("Not recorded at this visit.")]
        for name in CONTENT_FIELDS if name not in allowed and data.get(name) is not None}
    errors.update({name: [_("Required at this visit.")]
                   for name in REQUIRED.get(timepoint, ()) if data.get(name) is None})
    if data.get("endurance_test") and not with_endurance(template, timepoint):
        errors["endurance_test"] = [_("Not recorded at this visit.")]
    if errors:
        raise Invalid(_("Invalid request:"), "invalid_visit", errors)


@use_case
def record_visit(user: User, contact_id: int, data: dict[str, Any]) -> VisitReport:
    """Store a visit's contents, questionnaires and endurance test; mark it done; commit.

    All or nothing: a bad answer or an impossible contact stores nothing.
    """
    contact = get_contact(user, contact_id, WRITE)
    timepoint = visit_timepoint(contact)
    if timepoint is None:
        raise Conflict(_("This contact is not a W0, W6 or W12 visit."), "not_a_visit")
    if visit_report(contact.id) is not None:
        raise Conflict(_("This visit has already been recorded."), "visit_recorded")
    enrolment = db.session.get(Enrolment, contact.enrolment_id)
    _check(timepoint, data, enrolment.template)
    errors: dict[str, Any] = {}
    for index, answers in enumerate(data.get("questionnaires") or ()):
        try:
            add_questionnaire(user, enrolment, answers, contact)
        except Invalid as error:
            errors[str(index)] = error.errors
    if errors:
        raise Invalid(_("Invalid request:"), "invalid_answers", {"questionnaires": errors})
    if data.get("endurance_test"):
        add_endurance_test(user, enrolment, data["endurance_test"], contact)
    report = VisitReport(
        enrolment_id=enrolment.id, contact_id=contact.id, timepoint=timepoint,
        contents={name: data.get(name) for name in VISIT_FIELDS[timepoint]},
        recorded_by_id=user.id, recorded_at=utcnow())
    db.session.add(report)
    if timepoint == "W12":
        enrolment.activity_project_sessions = data["activity_project_sessions"]
    if contact.status != ContactStatus.DONE:
        # Marks the visit done, in the same transaction as the report.
        record_contact(user, contact.id, {"reached": True, "notes": data.get("notes")})
    # The 12 months before inclusion (W0) or the days since it (W12): the indicator's
    # before and the first part of its after.
    contact.hospital_days = data.get("hospital_days")
    return report
