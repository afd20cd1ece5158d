"""The patient list and the patient file (every view audited through services.access)."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from markupsafe import Markup

from server.i18n import gettext as _
from server.models.flags import Flag
from server.services import documents, fhir_export, pipeline
from server.services.charts import Band, Series, bar_chart, line_chart, session_chart
from server.services.errors import ServiceError
from server.services.flag_text import describe
from server.services.pairing_qr import pairing_qr_svg
from server.services.patient_file import PatientFile, patient_list, patient_record
from server.web.formats import format_date
from server.web.forms import DocumentForm, apply_service_errors
from server.web.session import current_user, roles_required
from shared.enums import Role, SymptomScore

bp = Blueprint("patients", __name__, url_prefix="/patients")
READERS = (Role.REFERENT, Role.PHYSICIAN, Role.COORDINATOR)


@bp.route("/")
@roles_required(*READERS)
def index() -> str:
    """The patients the user may see, by name."""
    return render_template("web/patients/index.html", rows=patient_list(current_user()))


@bp.route("/<int:patient_id>")
@roles_required(*READERS)
def file(patient_id: int) -> str:
    """The patient file: programme, timeline, charts, flags, call notes."""
    return _file_page(patient_id, DocumentForm())


def _file_page(patient_id: int, document_form: DocumentForm, status: int = 200,
               pairing: dict[str, Any] | None = None) -> Any:
    data = patient_record(current_user(), patient_id)
    return render_template("web/patients/file.html", f=data, charts=charts(data),
                           flags=data.flags, flag_text=flag_text, documents=data.documents,
                           document_form=document_form, can_write=data.can_write,
                           pairing=pairing), status


@bp.route("/<int:patient_id>/pairing-code", methods=["POST"])
@roles_required(Role.REFERENT, Role.COORDINATOR)
def pairing_code(patient_id: int) -> Any:
    """A one-time code for the patient's tablet, as text and QR code (shown once): the
    referent pairs the tablet at the inclusion visit, from the file."""
    try:
        code, _enrolment, record = pipeline.pairing_code_for_patient(current_user(), patient_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(url_for(".file", patient_id=patient_id))
    return _file_page(patient_id, DocumentForm(), pairing={
        "code": code, "expires_at": record.expires_at,
        "qr_svg": pairing_qr_svg(code, request.url_root)})


@bp.route("/<int:patient_id>/documents", methods=["POST"])
@roles_required(Role.REFERENT, Role.COORDINATOR)
def upload(patient_id: int) -> Any:
    """Attach a document to the patient's record."""
    form = DocumentForm()
    if not form.validate():
        return _file_page(patient_id, form, 422)  # a patient out of reach is a 404 first
    upload = form.file.data
    try:
        documents.add_document(
            current_user(), patient_id, kind=form.kind.data, title=form.title.data,
            filename=getattr(upload, "filename", "") or "",
            content=upload.read() if upload else b"")
    except ServiceError as exc:
        if exc.status == 404:
            raise
        if not apply_service_errors(form, exc):
            form.file.errors = [*form.file.errors, exc.message]
        return _file_page(patient_id, form, exc.status)
    flash(_("Document added to the file."), "ok")
    return redirect(url_for(".file", patient_id=patient_id, _anchor="documents-h"))


@bp.route("/<int:patient_id>/documents/<int:document_id>")
@roles_required(*READERS)
def download(patient_id: int, document_id: int) -> Any:
    """A document of the file, as an attachment (never rendered inline)."""
    document = documents.get_document(current_user(), patient_id, document_id)
    return send_file(BytesIO(document.content), mimetype=document.content_type,
                     as_attachment=True, download_name=document.filename)


@bp.route("/<int:patient_id>/fhir")
@roles_required(*READERS)
def fhir_bundle(patient_id: int) -> Any:
    """The patient's record as a FHIR R4 Bundle (JSON), downloaded as a file; audited."""
    bundle = fhir_export.patient_bundle(current_user(), patient_id,
                                        request.url_root.rstrip("/") + "/api/v1")
    response = current_app.response_class(json.dumps(bundle, ensure_ascii=False, indent=1),
                                          mimetype="application/fhir+json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="patient-{patient_id}-fhir.json"')
    response.headers["Cache-Control"] = "no-store"
    return response


def flag_text(flag: Flag) -> str:
    """A flag's evidence in one line."""
    return describe(flag.kind, flag.evidence)


def charts(data: PatientFile) -> dict[str, tuple[str, Markup]]:
    """The file's charts as (caption, SVG), in reading order; none before the start."""
    if not data.weeks or data.template is None:
        return {}
    weeks = [w.week for w in data.weeks]
    template = data.template
    low, high = template.sessions_per_week_min, template.sessions_per_week_max
    band = Band(low, high, _("Target band: %(low)d to %(high)d sessions", low=low, high=high))
    out: dict[str, tuple[str, Markup]] = {}
    title = _("Sessions per week (target %(low)d to %(high)d)", low=low, high=high)
    out["sessions"] = (title, bar_chart(
        title, _("Ergocycle sessions each programme week against the target band."),
        weeks, Series("sessions", _("Sessions"), [w.sessions for w in data.weeks]),
        bands=[band], classify=band,
        y_max=max(high + 2, *(w.sessions for w in data.weeks))))
    title = _("Minutes per session and mean power (W)")
    out["duration"] = (title, line_chart(
        title, _("Mean minutes per session and mean watts each week."), weeks,
        [Series("minutes", _("Minutes per session"), [w.mean_minutes for w in data.weeks]),
         Series("watts", _("Mean power (W)"), [w.mean_watts for w in data.weeks])]))
    rx = data.prescription
    zone: list[Band] = []
    if rx is not None and rx.hr_target_low and rx.hr_target_high:
        zone.append(Band(rx.hr_target_low, rx.hr_target_high, _("Prescribed heart-rate zone")))
    ceiling = rx.hr_target_high if rx is not None and rx.hr_target_high else (
        data.patient.hr_ceiling)
    if ceiling:
        zone.append(Band(ceiling, ceiling, _("Ceiling: %(bpm)d bpm", bpm=ceiling), "ceiling"))
    title = _("Heart rate: resting, mean, maximum (bpm)")
    out["heart_rate"] = (title, line_chart(
        title, _("Resting, mean and maximum heart rate each week against the prescribed zone."),
        weeks, [Series("hr-rest", _("Resting"), [w.hr_rest for w in data.weeks]),
                Series("hr-mean", _("Mean"), [w.hr_mean for w in data.weeks]),
                Series("hr-max", _("Maximum"), [w.hr_max for w in data.weeks])],
        bands=zone, y_min=40, y_max=max(180, *(w.hr_max or 0 for w in data.weeks))))
    if any(w.zone_minutes is not None for w in data.weeks):
        title = _("Minutes in the prescribed heart-rate zone and above the ceiling")
        out["zone"] = (title, line_chart(
            title, _("Minutes measured by the heart-rate strap each week: in the prescribed "
                     "zone, and above the ceiling."), weeks,
            [Series("zone-in", _("In the zone"), [w.zone_minutes for w in data.weeks]),
             Series("zone-above", _("Above the ceiling"),
                    [w.above_minutes for w in data.weeks])]))
    curve = data.curve
    if curve is not None and curve.heart_rate:
        day = format_date(curve.session.day)
        title = _("Last measured session (%(day)s): heart rate and power", day=day)
        bands = []
        if curve.zone_low and curve.ceiling:
            bands.append(Band(curve.zone_low, curve.ceiling, _("Prescribed heart-rate zone")))
        if curve.ceiling:
            bands.append(Band(curve.ceiling, curve.ceiling,
                              _("Ceiling: %(bpm)d bpm", bpm=curve.ceiling), "ceiling"))
        out["session"] = (title, session_chart(
            title, _("Heart rate (bpm) and power (W) second by second, minutes along the "
                     "axis, against the prescribed zone."), curve.session.duration_s,
            [(Series("hr-live", _("Heart rate (bpm)"), ()), curve.heart_rate),
             (Series("power", _("Power (W)"), ()), curve.power)], bands=bands))
    title = _("Booklet exercises done (%)")
    out["booklet"] = (title, bar_chart(
        title, _("Share of the prescribed booklet exercises done each week; "
                 "under half is a warning."),
        weeks, Series("booklet", _("Done (%)"),
                      [None if w.booklet_share is None else round(100 * w.booklet_share)
                       for w in data.weeks]),
        bands=[Band(50, 50, _("50% threshold"), "threshold")], y_max=100,
        classify=Band(50, 100, "")))
    title = (_("Pain (EVA 0-10)") if template.symptom_score == SymptomScore.PAIN
             else _("Dyspnoea (0-10)"))
    out["symptom"] = (title, line_chart(
        title, _("Mean score reported after the sessions of each week."),
        weeks, [Series("symptom", title, [w.symptom for w in data.weeks])], y_max=10))
    return out
