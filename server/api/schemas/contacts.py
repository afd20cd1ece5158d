"""What a referent records after a call: the outcome schema shared by the API and the web form."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.api.schemas.fields import InRange, Integer
from server.api.schemas.tablet import note
from shared.enums import FlagDecision, HealthEventKind, Modality, WarningSign, WorkStatus
from shared.ranges import WATTS, Range

SESSION_MINUTES = Range(5, 120, "min")
SESSIONS_PER_WEEK = Range(0, 14, "")
MAX_ATTEMPTS = 10
MEDICATION_ADHERENCE = ("good", "partial", "poor", "no_treatment")


class NextPrescriptionIn(Schema):
    """Next week's ergocycle prescription, decided during the weekly call."""

    session_minutes = Integer(required=True, validate=InRange(SESSION_MINUTES))
    watts = Integer(allow_none=True, validate=InRange(WATTS))
    modality = fields.Enum(Modality, by_value=True, required=True)
    work_s = Integer(allow_none=True, validate=InRange(Range(10, 600, "s")))
    rest_s = Integer(allow_none=True, validate=InRange(Range(10, 600, "s")))
    notes = note()

    @validates_schema
    def _interval_blocks(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["modality"] != Modality.CONTINUOUS and not (data.get("work_s")
                                                            and data.get("rest_s")):
            raise ValidationError(
                _("Interval and intermittent work need work and rest durations."), "work_s")


class CallEventIn(Schema):
    """A health event the patient tells the referent about."""

    kind = fields.Enum(HealthEventKind, by_value=True, required=True)
    occurred_on = fields.Date(required=True)
    description = note()
    warning_signs = fields.List(fields.Enum(WarningSign, by_value=True), load_default=list)


class ContactRecordIn(Schema):
    """The outcome of a contact. Unreached: only ``reached`` and ``notes`` count.

    Weekly intervention calls carry sessions done, difficulties, benefits and
    next week's prescription; follow-up calls carry health events, medication
    adherence, sessions per week against the activity project, encouragement.
    """

    # JSON true or false only: "yes" or 1 from a buggy client must not count as reached.
    reached = fields.Boolean(required=True, truthy={True}, falsy={False})
    notes = note()
    sessions_done = Integer(allow_none=True, validate=InRange(SESSIONS_PER_WEEK))
    difficulties = note()
    benefits = note()
    next_prescription = fields.Nested(NextPrescriptionIn, allow_none=True)
    health_events = fields.List(fields.Nested(CallEventIn), load_default=list,
                                validate=validate.Length(max=20))
    medication_adherence = fields.String(allow_none=True,
                                         validate=validate.OneOf(MEDICATION_ADHERENCE))
    sessions_per_week = Integer(allow_none=True, validate=InRange(SESSIONS_PER_WEEK))
    project_sessions_per_week = Integer(allow_none=True, validate=InRange(SESSIONS_PER_WEEK))
    # Return to work, followed at follow-up contacts (low back pain, seed 000 l.1140-1142).
    work_status = fields.Enum(WorkStatus, by_value=True, allow_none=True)
    encouragement = note()


class StaffContactOut(Schema):
    """A scheduled contact with its outcome."""

    id = fields.Integer()
    enrolment_id = fields.Integer()
    key = fields.String()
    kind = fields.String()
    phase = fields.String()
    channel = fields.String()
    week = fields.Integer(allow_none=True)
    month = fields.Integer(allow_none=True)
    due_at = fields.AwareDateTime()
    window_opens = fields.AwareDateTime()
    window_closes = fields.AwareDateTime()
    status = fields.String()
    attempts = fields.Integer()
    done_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.Dict(allow_none=True)
    notes = fields.String(allow_none=True)


class FlagEventOut(Schema):
    """One change of a flag."""

    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    note = fields.String(allow_none=True)


class FlagOut(Schema):
    """A flag with its one-line evidence and its history."""

    id = fields.Integer()
    patient_id = fields.Integer()
    enrolment_id = fields.Integer()
    kind = fields.String()
    label = fields.String()
    summary = fields.String()
    severity = fields.Integer()
    status = fields.String()
    evidence = fields.Dict()
    opened_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    escalated_to_id = fields.Integer(allow_none=True)
    decision = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)
    events = fields.List(fields.Nested(FlagEventOut))


class FlagNoteIn(Schema):
    """A note given with a flag action (required to resolve)."""

    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class FlagDecisionIn(Schema):
    """The physician's decision on an escalated flag or a committee item."""

    decision = fields.Enum(FlagDecision, by_value=True, required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    visit_day = fields.Date(allow_none=True)
    # Suspension: the day the physician will review it.
    review_on = fields.Date(allow_none=True)


class QueueContactOut(Schema):
    """A contact due today or overdue, with whom to call."""

    id = fields.Integer()
    patient_id = fields.Integer()
    patient_name = fields.String()
    kind = fields.String()
    channel = fields.String()
    phase = fields.String()
    due_at = fields.AwareDateTime()
    window_closes = fields.AwareDateTime()
    overdue = fields.Boolean()
    attempts = fields.Integer()


class QueueFlagOut(Schema):
    """An open flag in the queue."""

    id = fields.Integer()
    patient_id = fields.Integer()
    patient_name = fields.String()
    kind = fields.String()
    label = fields.String()
    summary = fields.String()
    severity = fields.Integer()
    status = fields.String()
    opened_at = fields.AwareDateTime()
    phase = fields.String()


class QueueOut(Schema):
    """The caller's work: due contacts and open flags."""

    as_of = fields.Date()
    contacts = fields.List(fields.Nested(QueueContactOut))
    flags = fields.List(fields.Nested(QueueFlagOut))


class QueueArgs(Schema):
    """Filters of the queue."""

    phase = fields.String(validate=validate.OneOf(["intervention", "follow_up"]))
    # Query strings are text: the lenient integer field parses "50".
    limit = fields.Integer(load_default=200, validate=InRange(Range(1, 1000, "")))
