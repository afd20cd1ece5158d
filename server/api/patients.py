"""Staff endpoints: patients, enrolments and their transitions, pairing, devices."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import select

from server.api.blueprint import Blueprint
from server.api.schemas.staff import (
    DeviceOut,
    EnrolmentOut,
    PairingCodeOut,
    PatientIn,
    PatientOut,
    TransitionIn,
)
from server.api.security import current_user, require_staff
from server.extensions import db
from server.models import ApiToken, Enrolment, Patient
from server.services import access, auth, enrolments
from server.services.audit import record_access
from server.services.errors import NotFound

blp = Blueprint("staff", __name__, url_prefix="/api/v1",
                description="Patients and enrolments, for staff", security="staff")
blp.before_request(require_staff)


@blp.route("/patients")
class Patients(MethodView):
    @blp.response(200, PatientOut(many=True))
    def get(self) -> list[Patient]:
        """The patients the caller may see (a referent: their own)."""
        user = current_user()
        patients = db.session.scalars(
            access.visible_patients(user).order_by(Patient.last_name, Patient.id)).all()
        record_access(user, access.READ, "patient_list", [p.id for p in patients])
        db.session.commit()
        return patients

    @blp.arguments(PatientIn)
    @blp.response(201, PatientOut)
    def post(self, data: dict[str, Any]) -> Patient:
        """Register a patient with an enrolment request."""
        user = current_user()
        patient, _enrolment = enrolments.create_patient(user, data)
        record_access(user, access.WRITE, "patient", [patient.id], patient.id)
        db.session.commit()
        return patient


@blp.route("/patients/<int:patient_id>")
class PatientDetail(MethodView):
    @blp.response(200, PatientOut)
    def get(self, patient_id: int) -> Patient:
        """One patient with their enrolments."""
        patient = access.get_patient(current_user(), patient_id)
        db.session.commit()
        return patient


@blp.route("/patients/<int:patient_id>/devices")
class PatientDevices(MethodView):
    @blp.response(200, DeviceOut(many=True))
    def get(self, patient_id: int) -> list[ApiToken]:
        """Tablets paired for this patient, revoked ones included."""
        patient = access.get_patient(current_user(), patient_id)
        devices = db.session.scalars(
            select(ApiToken).where(ApiToken.patient_id == patient.id).order_by(ApiToken.id)
        ).all()
        db.session.commit()
        return devices


@blp.route("/patients/<int:patient_id>/devices/<int:device_id>/revoke")
class RevokeDevice(MethodView):
    @blp.response(200, DeviceOut)
    def post(self, patient_id: int, device_id: int) -> ApiToken:
        """Revoke a tablet's token at once (lost or replaced tablet)."""
        patient = access.get_patient(current_user(), patient_id, access.WRITE)
        device = db.session.scalar(select(ApiToken).where(
            ApiToken.id == device_id, ApiToken.patient_id == patient.id))
        if device is None:
            raise NotFound(_("No such device."), "device_not_found")
        auth.revoke(device)
        return device


@blp.route("/enrolments/<int:enrolment_id>")
class EnrolmentDetail(MethodView):
    @blp.response(200, EnrolmentOut)
    def get(self, enrolment_id: int) -> Enrolment:
        """One enrolment."""
        enrolment = access.get_enrolment(current_user(), enrolment_id)
        db.session.commit()
        return enrolment


@blp.route("/enrolments/<int:enrolment_id>/transitions")
class Transitions(MethodView):
    @blp.arguments(TransitionIn)
    @blp.response(200, EnrolmentOut)
    def post(self, data: dict[str, Any], enrolment_id: int) -> Enrolment:
        """Move the enrolment (409 for an impossible move, which changes nothing)."""
        user = current_user()
        enrolment = access.get_enrolment(user, enrolment_id, access.TRANSITION)
        # The audit row stays even when the state machine refuses the move.
        db.session.commit()
        return enrolments.apply_transition(enrolment, user, data.pop("action"), data)


@blp.route("/enrolments/<int:enrolment_id>/pairing-code")
class PairingCode(MethodView):
    @blp.response(201, PairingCodeOut)
    def post(self, enrolment_id: int) -> dict[str, Any]:
        """A one-time code (single use, expiring) to pair the patient's tablet."""
        user = current_user()
        enrolment = access.get_enrolment(user, enrolment_id, access.WRITE)
        code, record = auth.create_pairing_code(enrolment, user)
        return {"code": code, "expires_at": record.expires_at}
