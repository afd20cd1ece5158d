"""The patient's care team: the professionals who receive the syntheses.

Entered at referral (``enrolments.register_patient``) and edited on the file;
both interfaces load a member through :class:`CareTeamMemberIn`, so the rules
are written once. A member marked as having a secure health messaging address
(MSSanté) must have one on a configured domain (``SECURE_MAIL_DOMAINS``): only
there may a synthesis travel as an e-mail attachment.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from server.clock import utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import CareTeamMember, Patient, User
from server.services.access import READ, WRITE, get_patient
from server.services.audit import record_access
from server.services.errors import Invalid, NotFound
from server.services.transactions import read_use_case, use_case
from shared.enums import CareTeamRole
from shared.synthesis import is_secure_address

MAX_MEMBERS = 20


def secure_domains() -> tuple[str, ...]:
    """The configured secure health messaging domains (default ``mssante.fr``)."""
    return tuple(current_app.config.get("SECURE_MAIL_DOMAINS") or ("mssante.fr",))


class CareTeamMemberIn(Schema):
    """A professional of the care team, as staff enter them."""

    role = fields.Enum(CareTeamRole, by_value=True, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, load_default=None,
                         validate=validate.Length(max=254))
    secure_messaging = fields.Boolean(load_default=False)
    phone = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(
        r"^\+?[0-9 .-]{6,20}$", error="Not a valid phone number."))
    postal_address = fields.String(allow_none=True, load_default=None,
                                   validate=validate.Length(max=500))
    receives_syntheses = fields.Boolean(load_default=True)

    @validates_schema
    def _reachable(self, data: dict[str, Any], **kwargs: Any) -> None:
        for key in ("name", "email", "phone", "postal_address"):
            if isinstance(data.get(key), str):
                data[key] = data[key].strip() or None
        if not data.get("name"):
            raise ValidationError(_("Give the professional's name."), "name")
        if data.get("secure_messaging") and not is_secure_address(
                data.get("email"), secure_domains()):
            raise ValidationError(_(
                "A secure health messaging address ends with %(domains)s.",
                domains=", ".join(secure_domains())), "email")
        if data.get("receives_syntheses") and not (data.get("email")
                                                    or data.get("postal_address")):
            raise ValidationError(_(
                "Give an e-mail or a postal address to send the syntheses to."),
                "postal_address")


def add_members(patient: Patient, members: list[dict[str, Any]]) -> list[CareTeamMember]:
    """Add loaded members to a patient's care team (the caller's transaction and audit)."""
    now = utcnow()
    rows = [CareTeamMember(patient_id=patient.id, created_at=now, **m) for m in members]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def members_of(patient_id: int) -> list[CareTeamMember]:
    """A patient's current care team, by role then name (the caller has checked access)."""
    order = {role: i for i, role in enumerate(CareTeamRole)}
    rows = db.session.scalars(select(CareTeamMember).where(
        CareTeamMember.patient_id == patient_id, CareTeamMember.removed_at.is_(None)))
    return sorted(rows, key=lambda m: (order[m.role], m.name.lower(), m.id))


@read_use_case
def care_team(user: User, patient_id: int) -> list[CareTeamMember]:
    """The patient's care team, for staff who may see the patient; audited."""
    get_patient(user, patient_id, READ)
    members = members_of(patient_id)
    record_access(user, READ, "care_team", [patient_id])
    return members


@use_case
def add_member(user: User, patient_id: int, data: dict[str, Any]) -> CareTeamMember:
    """Add a professional (loaded by :class:`CareTeamMemberIn`); audited; commits."""
    patient = get_patient(user, patient_id, WRITE)
    if len(members_of(patient.id)) >= MAX_MEMBERS:
        raise Invalid(_("Invalid request:"), "care_team_full", {"name": [
            _("A care team has at most %(n)d members.", n=MAX_MEMBERS)]})
    (member,) = add_members(patient, [data])
    record_access(user, WRITE, "care_team_member", [patient.id], member.id)
    return member


def _member(patient_id: int, member_id: int) -> CareTeamMember:
    member = db.session.scalar(select(CareTeamMember).where(
        CareTeamMember.id == member_id, CareTeamMember.patient_id == patient_id,
        CareTeamMember.removed_at.is_(None)))
    if member is None:
        raise NotFound(_("No such member of the care team."), "care_team_member_not_found")
    return member


@read_use_case
def get_member(user: User, patient_id: int, member_id: int) -> CareTeamMember:
    """One professional of the care team, to edit (404 out of reach); audited."""
    get_patient(user, patient_id, READ)
    member = _member(patient_id, member_id)
    record_access(user, READ, "care_team_member", [patient_id], member.id)
    return member


@use_case
def update_member(user: User, patient_id: int, member_id: int,
                  data: dict[str, Any]) -> CareTeamMember:
    """Change a professional's details (a whole :class:`CareTeamMemberIn`); audited."""
    get_patient(user, patient_id, WRITE)
    member = _member(patient_id, member_id)
    for key, value in data.items():
        setattr(member, key, value)
    record_access(user, WRITE, "care_team_member", [patient_id], member.id)
    return member


@use_case
def remove_member(user: User, patient_id: int, member_id: int) -> None:
    """Take a professional off the care team (kept for the syntheses already sent)."""
    get_patient(user, patient_id, WRITE)
    member = _member(patient_id, member_id)
    member.removed_at = utcnow()
    record_access(user, WRITE, "care_team_member", [patient_id], member.id)
