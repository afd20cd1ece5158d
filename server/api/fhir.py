"""FHIR R4 export for other systems: a patient's Bundle, the whole file as NDJSON (staff)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Response, jsonify, request, send_file, stream_with_context
from flask.views import MethodView
from marshmallow import Schema, fields

from server.api.blueprint import Blueprint
from server.api.security import current_user, require_staff
from server.services import documents, fhir_export

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
BINARY = {"type": "string", "format": "binary"}

blp = Blueprint("fhir", __name__, url_prefix="/api/v1",
                description="FHIR R4 (4.0.1) export of the record, for other systems",
                security="staff")
blp.before_request(require_staff)


class BundleOut(Schema):
    """A FHIR Bundle of type collection (its resources are FHIR R4 JSON)."""

    resourceType = fields.String()  # FHIR names its elements in camelCase
    id = fields.String()
    meta = fields.Dict()
    type = fields.String()
    timestamp = fields.String()
    entry = fields.List(fields.Dict())


class ManifestOutput(Schema):
    """One NDJSON file of the bulk export."""

    type = fields.String()
    url = fields.String()


class ManifestOut(Schema):
    """The bulk export's files, in the FHIR Bulk Data manifest's shape."""

    transactionTime = fields.String()
    request = fields.String()
    requiresAccessToken = fields.Boolean()
    output = fields.List(fields.Nested(ManifestOutput))
    error = fields.List(fields.Dict())


def _api_root() -> str:
    """The API's address as the caller reached it (ProxyFix applied)."""
    return request.url_root.rstrip("/") + "/api/v1"


@blp.route("/patients/<int:patient_id>/fhir")
class PatientBundle(MethodView):
    @blp.response(200, BundleOut, content_type=FHIR_JSON)
    def get(self, patient_id: int) -> Response:
        """The patient's record as a FHIR R4 collection Bundle: Patient, CarePlan, Encounter,
        Appointment, Observation, QuestionnaireResponse, Flag, DocumentReference."""
        response = jsonify(fhir_export.patient_bundle(current_user(), patient_id, _api_root()))
        response.mimetype = FHIR_JSON
        return response


@blp.route("/patients/<int:patient_id>/documents/<int:document_id>")
class DocumentContent(MethodView):
    @blp.response(200, BINARY, content_type="application/pdf")
    @blp.doc(responses={"200": {"description": "The file, in its own type", "content": {
        t: {"schema": BINARY} for t in documents.SIGNATURES}}})
    def get(self, patient_id: int, document_id: int) -> Response:
        """A document's file (the url of a DocumentReference's attachment), as an attachment;
        its own type in Content-Type. Audited."""
        document = documents.get_document(current_user(), patient_id, document_id)
        return send_file(BytesIO(document.content), mimetype=document.content_type,
                         as_attachment=True, download_name=document.filename)


@blp.route("/fhir/bulk")
class BulkManifest(MethodView):
    @blp.response(200, ManifestOut)
    def get(self) -> dict[str, Any]:
        """The whole file's NDJSON files, one per resource type (coordinator only)."""
        return fhir_export.bulk_manifest(current_user(), _api_root())


@blp.route("/fhir/bulk/<string:resource_type>.ndjson")
class BulkFile(MethodView):
    @blp.response(200, {"type": "string"}, content_type=FHIR_NDJSON)
    def get(self, resource_type: str) -> Response:
        """Every resource of one type in the whole file, one FHIR R4 JSON resource a line,
        streamed (coordinator only; one audit row naming the type)."""
        chunks = fhir_export.bulk_export(current_user(), resource_type, _api_root())
        return Response(stream_with_context(chunks), mimetype=FHIR_NDJSON)
