"""The tablets paired for a patient: listed and revoked by staff (a lost or replaced tablet)."""

from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.i18n import gettext as _
from server.models import ApiToken, User
from server.services import access, auth
from server.services.errors import NotFound
from server.services.transactions import read_use_case, use_case


@read_use_case
def paired_tablets(user: User, patient_id: int) -> list[ApiToken]:
    """The patient's device tokens, revoked ones included, oldest first; audited."""
    patient = access.get_patient(user, patient_id)
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.patient_id == patient.id).order_by(ApiToken.id)))


@use_case
def revoke_tablet(user: User, patient_id: int, device_id: int) -> ApiToken:
    """Revoke one of the patient's device tokens at once; audited as a write."""
    patient = access.get_patient(user, patient_id, access.WRITE)
    device = db.session.scalar(select(ApiToken).where(
        ApiToken.id == device_id, ApiToken.patient_id == patient.id))
    if device is None:
        raise NotFound(_("No such device."), "device_not_found")
    auth.revoke(device)
    return device
