"""What a referent records after a call: the outcome schema shared by the API and the web form.

Both interfaces load a call's outcome through ``ContactRecordIn`` before
``services.calls.record_contact`` stores it, so the rules are written once.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.i18n import gettext as _
from server.services.validation import Day, InRange, Integer, note
from shared.enums import HealthEventKind, MedicationAdherence, Modality, WarningSign, WorkStatus
from shared.indicators import HOSPITAL_DAYS
from shared.ranges import WATTS, Range

SESSION_MINUTES = Range(5, 120, "min")
SESSIONS_PER_WEEK = Range(0, 14, "")


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
    occurred_on = Day(required=True)
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
                                         validate=validate.OneOf(list(MedicationAdherence)))
    sessions_per_week = Integer(allow_none=True, validate=InRange(SESSIONS_PER_WEEK))
    project_sessions_per_week = Integer(allow_none=True, validate=InRange(SESSIONS_PER_WEEK))
    # Return to work, followed at follow-up contacts (low back pain, seed 000 l.1140-1142).
    work_status = fields.Enum(WorkStatus, by_value=True, allow_none=True)
    encouragement = note()
    # Follow-up calls by phone or by video are counted apart (seed 003 indicators).
    channel = fields.String(allow_none=True, validate=validate.OneOf(("phone", "video")))
    # Days in hospital since the contact before (follow-up calls; the W0 and W12 visits
    # pass theirs): the hospital days indicator sums them (seed 003 l.3576-3578).
    hospital_days = Integer(allow_none=True, validate=InRange(HOSPITAL_DAYS))
