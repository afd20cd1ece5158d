"""Schemas of the authentication and staff endpoints."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from server.clock import get_clock
from server.i18n import gettext as _
from server.services.care_team import MAX_MEMBERS, CareTeamMemberIn
from server.services.validation import Day, InRange, Integer, heart_rate
from shared.enrolment import Action, all_dossier_pieces, dossier_pieces
from shared.enums import EnrolmentState, ReferralSource, Sex, WorkStatus
from shared.programmes import TEMPLATES
from shared.ranges import Range


class LoginIn(Schema):
    """Staff credentials."""

    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    # The 6-digit code of the authenticator app, for accounts with a second factor.
    totp = fields.String(load_default=None, validate=validate.Length(max=12))


class UserOut(Schema):
    """A staff account as others see it."""

    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    role = fields.String()


class TokenOut(Schema):
    """A bearer token, shown once."""

    token = fields.String()
    expires_at = fields.AwareDateTime(allow_none=True)
    user = fields.Nested(UserOut)


class PairIn(Schema):
    """A pairing code read from the referent, and a name for the device."""

    code = fields.String(required=True, validate=validate.Length(min=4, max=20))
    device_label = fields.String(load_default="tablet", validate=validate.Length(max=120))


class PairOut(Schema):
    """The device token and who it belongs to."""

    token = fields.String()
    patient_id = fields.Integer()
    first_name = fields.String()
    programme_code = fields.String()
    server_time = fields.AwareDateTime()


# Pieces of the enrolment dossier received so far: one box per piece any programme asks for.
DossierIn = Schema.from_dict({piece: fields.Boolean() for piece in all_dossier_pieces()},
                             name="DossierIn")


class EnrolmentIn(Schema):
    """The programme a new patient is referred to."""

    programme_code = fields.String(required=True,
                                   validate=validate.OneOf(sorted(TEMPLATES)))
    referral_source = fields.String(required=True, validate=validate.OneOf(list(ReferralSource)))
    intervention_weeks = Integer(allow_none=True, validate=InRange(Range(4, 16, "weeks")))
    dossier = fields.Nested(DossierIn, load_default=dict)
    work_status = fields.Enum(WorkStatus, by_value=True, allow_none=True)

    @validates_schema
    def _programme_pieces(self, data: dict[str, Any], **kwargs: Any) -> None:
        code = data.get("programme_code")
        if code not in TEMPLATES:
            return
        foreign = sorted(set(data.get("dossier") or {}) - set(dossier_pieces(code)))
        if foreign:
            raise ValidationError(_("Not a piece of this programme's dossier: %(pieces)s.",
                                    pieces=", ".join(foreign)), "dossier")


class PatientIn(Schema):
    """A new patient and their enrolment request."""

    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    birth_date = Day(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(list(Sex)))
    phone = fields.String(required=True, validate=validate.Regexp(
        r"^\+?[0-9 .-]{6,20}$", error="Not a valid phone number."))
    email = fields.Email(allow_none=True)
    locale = fields.String(load_default="fr", validate=validate.OneOf(("fr", "en")))
    external_ref = fields.String(allow_none=True, validate=validate.Length(max=50))
    referent_id = Integer(allow_none=True)
    physician_id = Integer(allow_none=True)
    hr_rest_min = heart_rate()
    hr_rest_max = heart_rate()
    hr_ceiling = heart_rate()
    enrolment = fields.Nested(EnrolmentIn, required=True)
    # The professionals around the patient, who receive the syntheses.
    care_team = fields.List(fields.Nested(CareTeamMemberIn), load_default=list,
                            validate=validate.Length(max=MAX_MEMBERS))

    @validates("birth_date")
    def _adult(self, value: Any, **kwargs: Any) -> None:
        today = get_clock().today()
        age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
        if age < 18:
            raise ValidationError(_("The programme is for adults (18 or over)."))
        if age > 120:
            raise ValidationError(_("Birth date too far in the past."))


class EnrolmentOut(Schema):
    """An enrolment with its stage and key dates."""

    id = fields.Integer()
    patient_id = fields.Integer()
    programme_code = fields.String()
    state = fields.Enum(EnrolmentState, by_value=True)
    referral_source = fields.String()
    intervention_weeks = fields.Integer(allow_none=True)
    dossier = fields.Dict()
    requested_at = fields.AwareDateTime()
    validated_at = fields.AwareDateTime(allow_none=True)
    start_date = Day(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    suspended_on = fields.Date(allow_none=True)
    suspension_review_on = fields.Date(allow_none=True)
    suspension_reason = fields.String(allow_none=True)
    work_status = fields.Enum(WorkStatus, by_value=True, allow_none=True)


class PatientOut(Schema):
    """A patient's identity and programme."""

    id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date()
    sex = fields.String()
    phone = fields.String()
    email = fields.String(allow_none=True)
    locale = fields.String()
    external_ref = fields.String(allow_none=True)
    referent_id = fields.Integer(allow_none=True)
    physician_id = fields.Integer(allow_none=True)
    hr_rest_min = fields.Integer(allow_none=True)
    hr_rest_max = fields.Integer(allow_none=True)
    hr_ceiling = fields.Integer(allow_none=True)
    enrolments = fields.List(fields.Nested(EnrolmentOut))


class TransitionIn(Schema):
    """A move of the enrolment state machine, with what that move needs."""

    action = fields.Enum(Action, by_value=True, required=True)
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))
    start_date = Day(allow_none=True)
    intervention_weeks = Integer(allow_none=True, validate=InRange(Range(4, 16, "weeks")))
    dossier = fields.Nested(DossierIn, load_default=dict)
    # Suspension: the day the physician will review it.
    review_on = Day(allow_none=True)


class PairingCodeOut(Schema):
    """A one-time pairing code to read to the patient."""

    code = fields.String()
    expires_at = fields.AwareDateTime()


class DeviceOut(Schema):
    """A paired tablet."""

    id = fields.Integer()
    label = fields.String()
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
