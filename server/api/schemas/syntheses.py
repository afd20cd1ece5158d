"""Schemas of the care team and synthesis endpoints (the input ones come from the services)."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.services.care_team import CareTeamMemberIn
from server.services.syntheses import SectionsIn, StepIn
from shared.enums import CareTeamRole, SynthesisKind, SynthesisState

__all__ = ["CareTeamMemberIn", "CareTeamMemberOut", "DraftIn", "MySynthesisOut", "RecipientOut",
           "SectionsIn", "StepIn", "SynthesisOut"]


class CareTeamMemberOut(Schema):
    """A professional of the patient's care team."""

    id = fields.Integer()
    patient_id = fields.Integer()
    role = fields.Enum(CareTeamRole, by_value=True)
    name = fields.String()
    email = fields.String(allow_none=True)
    secure_messaging = fields.Boolean()
    phone = fields.String(allow_none=True)
    postal_address = fields.String(allow_none=True)
    receives_syntheses = fields.Boolean()


class DraftIn(Schema):
    """Which synthesis to start a draft of."""

    kind = fields.Enum(SynthesisKind, by_value=True, required=True)


class SynthesisOut(Schema):
    """One version of a synthesis."""

    id = fields.Integer()
    patient_id = fields.Integer()
    enrolment_id = fields.Integer()
    kind = fields.Enum(SynthesisKind, by_value=True)
    version = fields.Integer()
    state = fields.Enum(SynthesisState, by_value=True)
    sections = fields.Dict(keys=fields.String(), values=fields.String())
    reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    validated_at = fields.AwareDateTime(allow_none=True)
    cosigned_at = fields.AwareDateTime(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    document_id = fields.Integer(allow_none=True)


class RecipientOut(Schema):
    """Where a sent synthesis went: a secure e-mail in the outbox, or a letter to post."""

    id = fields.Integer()
    care_team_member_id = fields.Integer()
    channel = fields.String()
    name = fields.String()
    role = fields.Enum(CareTeamRole, by_value=True)
    address = fields.String(allow_none=True)
    notification_id = fields.Integer(allow_none=True)
    posted_at = fields.AwareDateTime(allow_none=True)


class MySynthesisOut(Schema):
    """A sent synthesis as the patient's tablet shows it: the message written for them."""

    id = fields.Integer()
    kind = fields.Enum(SynthesisKind, by_value=True)
    version = fields.Integer()
    sent_at = fields.AwareDateTime()
    message = fields.String()
    sessions = fields.Integer(allow_none=True)
    weeks = fields.Integer(allow_none=True)
