"""Staff endpoints: patients, enrolments and their transitions, pairing, devices."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

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
from server.models import ApiToken, Enrolment, Patient
from server.services import access, pipeline, tablets
from server.services.enrolments import register_patient
from server.services.patient_file import patient_list

blp = Blueprint("staff", __name__, url_prefix="/api/v1",
                description="Patients and enrolments, for staff", security="staff")
blp.before_request(require_staff)


@blp.route("/patients")
class Patients(MethodView):
    @blp.response(200, PatientOut(many=True))
    def get(self) -> list[Patient]:
        """The patients the caller may see (a referent: their own)."""
        return [patient for patient, _enrolment in patient_list(current_user())]

    @blp.arguments(PatientIn)
    @blp.response(201, PatientOut)
    def post(self, data: dict[str, Any]) -> Patient:
        """Register a patient with an enrolment request."""
        patient, _enrolment = register_patient(current_user(), data)
        return patient


@blp.route("/patients/<int:patient_id>")
class PatientDetail(MethodView):
    @blp.response(200, PatientOut)
    def get(self, patient_id: int) -> Patient:
        """One patient with their enrolments."""
        return access.read_patient(current_user(), patient_id)


@blp.route("/patients/<int:patient_id>/devices")
class PatientDevices(MethodView):
    @blp.response(200, DeviceOut(many=True))
    def get(self, patient_id: int) -> list[ApiToken]:
        """Tablets paired for this patient, revoked ones included."""
        return tablets.paired_tablets(current_user(), patient_id)


@blp.route("/patients/<int:patient_id>/devices/<int:device_id>/revoke")
class RevokeDevice(MethodView):
    @blp.response(200, DeviceOut)
    def post(self, patient_id: int, device_id: int) -> ApiToken:
        """Revoke a tablet's token at once (lost or replaced tablet)."""
        return tablets.revoke_tablet(current_user(), patient_id, device_id)


@blp.route("/enrolments/<int:enrolment_id>")
class EnrolmentDetail(MethodView):
    @blp.response(200, EnrolmentOut)
    def get(self, enrolment_id: int) -> Enrolment:
        """One enrolment."""
        return access.read_enrolment(current_user(), enrolment_id)


@blp.route("/enrolments/<int:enrolment_id>/transitions")
class Transitions(MethodView):
    @blp.arguments(TransitionIn)
    @blp.response(200, EnrolmentOut)
    def post(self, data: dict[str, Any], enrolment_id: int) -> Enrolment:
        """Move the enrolment (409 for an impossible move, which changes nothing)."""
        return pipeline.transition(current_user(), enrolment_id, data.pop("action"), data)


@blp.route("/enrolments/<int:enrolment_id>/pairing-code")
class PairingCode(MethodView):
    @blp.response(201, PairingCodeOut)
    def post(self, enrolment_id: int) -> dict[str, Any]:
        """A one-time code (single use, expiring) to pair the patient's tablet."""
        code, _enrolment, record = pipeline.pairing_code(current_user(), enrolment_id)
        return {"code": code, "expires_at": record.expires_at}
