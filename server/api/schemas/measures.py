"""Schemas of questionnaires, endurance tests, visit reports and outcomes (staff API)."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.services.validation import Integer
from server.services.visit_report import (
    VisitEnduranceTestIn,
    VisitQuestionnaireIn,
)
from shared.endurance import StopReason
from shared.enums import Questionnaire


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
