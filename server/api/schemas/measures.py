"""Schemas of questionnaires, endurance tests, visit reports and outcomes (staff API)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.api.schemas.fields import InRange, Integer, Number, heart_rate
from server.api.schemas.tablet import note
from shared.endurance import BORG, ENDURANCE_TIME_S, LOAD_PERCENT, PEAK_POWER, StopReason
from shared.enums import Questionnaire
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


class StaffQuestionnaireIn(VisitQuestionnaireIn):
    """Answers entered by staff, tied to a contact of the enrolment if given."""

    contact_id = Integer(load_default=None, allow_none=True)


class QuestionnaireOut(Schema):
    """A stored questionnaire with the server's scores."""

    id = fields.Integer()
    enrolment_id = fields.Integer()
    instrument = fields.Enum(Questionnaire, by_value=True)
    answered_at = fields.AwareDateTime()
    timepoint = fields.String(allow_none=True)
    answers = fields.Dict()
    score = fields.Float(allow_none=True)
    domain_scores = fields.Dict(allow_none=True)
    category = fields.String(allow_none=True)
    recorded_by_id = fields.Integer(allow_none=True)
    contact_id = fields.Integer(allow_none=True)


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


class EnduranceTestIn(VisitEnduranceTestIn):
    """An endurance test, tied to a contact of the enrolment if given."""

    contact_id = Integer(load_default=None, allow_none=True)


class EnduranceTestOut(Schema):
    """A stored endurance test."""

    id = fields.Integer()
    enrolment_id = fields.Integer()
    contact_id = fields.Integer(allow_none=True)
    timepoint = fields.String(allow_none=True)
    performed_on = fields.Date()
    peak_watts = fields.Integer()
    load_percent = fields.Integer()
    load_watts = fields.Integer()
    duration_s = fields.Integer()
    hr_start = fields.Integer(allow_none=True)
    hr_end = fields.Integer(allow_none=True)
    borg_start = fields.Integer(allow_none=True)
    borg_end = fields.Integer(allow_none=True)
    stop_reason = fields.Enum(StopReason, by_value=True)
    notes = fields.String(allow_none=True)


class ChangeOut(Schema):
    """A change from W0 with its MCID and verdict."""

    before = fields.Float(allow_none=True)
    after = fields.Float(allow_none=True)
    change = fields.Float(allow_none=True)
    mcid = fields.Float(allow_none=True)
    verdict = fields.String()


class DomainOutcomeOut(Schema):
    """One domain over W0, W12 and 12 months."""

    code = fields.String()
    title_fr = fields.String()
    title_en = fields.String()
    unit = fields.String()
    values = fields.Dict(values=fields.Float(allow_none=True))
    at_w12 = fields.Nested(ChangeOut)
    at_m12 = fields.Nested(ChangeOut)


class InstrumentOutcomeOut(Schema):
    """One instrument's outcomes."""

    code = fields.String()
    title_fr = fields.String()
    title_en = fields.String()
    mcid_source = fields.String()
    domains = fields.List(fields.Nested(DomainOutcomeOut))
    categories = fields.Dict(values=fields.String(allow_none=True))


class OutcomesOut(Schema):
    """The outcomes panel of an enrolment."""

    instruments = fields.List(fields.Nested(InstrumentOutcomeOut))
    endurance = fields.Dict(values=fields.Nested(EnduranceTestOut, allow_none=True))
    endurance_w12 = fields.Nested(ChangeOut)
    endurance_m12 = fields.Nested(ChangeOut)
    endurance_mcid_source = fields.String()


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
    questionnaires = fields.List(fields.Nested(VisitQuestionnaireIn), load_default=list,
                                 validate=validate.Length(max=10))
    endurance_test = fields.Nested(VisitEnduranceTestIn, allow_none=True, load_default=None)


class VisitReportOut(Schema):
    """A stored visit report."""

    id = fields.Integer()
    enrolment_id = fields.Integer()
    contact_id = fields.Integer()
    timepoint = fields.String()
    contents = fields.Dict()
    recorded_at = fields.AwareDateTime()


class InstrumentOut(Schema):
    """An instrument as forms lay it out (wording when installed or shipped)."""

    code = fields.String()
    title_fr = fields.String()
    title_en = fields.String()
    items = fields.List(fields.Dict())
