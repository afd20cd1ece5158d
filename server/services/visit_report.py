"""What staff record at a W0, W6 or W12 visit: the input schemas shared by the API and the
web form (the service scores every answer)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.services.validation import InRange, Integer, Number, heart_rate, note
from shared.endurance import BORG, ENDURANCE_TIME_S, LOAD_PERCENT, PEAK_POWER, StopReason
from shared.enums import Questionnaire
from shared.indicators import HOSPITAL_DAYS
from shared.ranges import Range

SESSIONS_A_WEEK = Range(0, 14, "")


def borg() -> Integer:
    """A Borg CR10 dyspnoea rating."""
    return Integer(allow_none=True, validate=InRange(BORG))


class VisitQuestionnaireIn(Schema):
    """Answers entered by staff at a visit; the server scores them."""

    instrument = fields.Enum(Questionnaire, by_value=True, required=True)
    answered_at = fields.AwareDateTime(load_default=None)
    answers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)),
                          values=Number(), required=True,
                          validate=validate.Length(min=1, max=100))


class VisitEnduranceTestIn(Schema):
    """A constant-load ergocycle endurance test, done at a visit."""

    performed_on = fields.Date(required=True)
    peak_watts = Integer(required=True, validate=InRange(PEAK_POWER))
    load_percent = Integer(load_default=80, validate=InRange(LOAD_PERCENT))
    duration_s = Integer(required=True, validate=InRange(ENDURANCE_TIME_S))
    hr_start = heart_rate()
    hr_end = heart_rate()
    borg_start = borg()
    borg_end = borg()
    stop_reason = fields.Enum(StopReason, by_value=True, required=True)
    notes = note()


class VisitReportIn(Schema):
    """The structured contents of a W0, W6 or W12 visit, with what was measured there."""

    notes = note()
    objectives = note()
    compliance = fields.String(allow_none=True, validate=validate.OneOf(
        ("full", "partial", "poor")))
    adaptation = note()
    activity_project_sessions = Integer(allow_none=True, validate=InRange(SESSIONS_A_WEEK))
    certificate_given = fields.Boolean(allow_none=True, truthy={True}, falsy={False})
    ergocycle_collected = fields.Boolean(allow_none=True, truthy={True}, falsy={False})
    # W0: the 12 months before inclusion (the pneumologist's statement); W12: since inclusion.
    hospital_days = Integer(allow_none=True, validate=InRange(HOSPITAL_DAYS))
    questionnaires = fields.List(fields.Nested(VisitQuestionnaireIn), load_default=list,
                                 validate=validate.Length(max=10))
    endurance_test = fields.Nested(VisitEnduranceTestIn, allow_none=True, load_default=None)
