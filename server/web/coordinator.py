"""The coordinator's enrolment pipeline: requests, dossier, validation, start, equipment,
assignment and tablet pairing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from server.i18n import gettext as _
from server.services import pipeline
from server.services.enrolments import register_patient
from server.services.errors import ServiceError
from server.services.pairing_qr import pairing_qr_svg
from server.web.forms import (
    ActionForm,
    AssignForm,
    DossierForm,
    EquipmentForm,
    PatientRequestForm,
    ReasonForm,
    StartForm,
    apply_service_errors,
    choices,
    load_members,
)
from server.web.session import current_user, roles_required
from shared.enrolment import Action
from shared.enums import EnrolmentState, Role

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


def _staff_choices(form: FlaskForm) -> None:
    none = [(0, _("— not assigned —"))]
    form.referent_id.choices = choices(none + [
        (u.id, u.full_name) for u in pipeline.staff_choices(Role.REFERENT)])
    form.physician_id.choices = choices(none + [
        (u.id, u.full_name) for u in pipeline.staff_choices(Role.PHYSICIAN)])


@bp.route("/")
@roles_required(Role.COORDINATOR)
def index() -> str:
    """The pipeline board, filterable by state."""
    state = request.args.get("state") or None
    chosen = EnrolmentState(state) if state in set(EnrolmentState) else None
    rows = pipeline.board(current_user(), chosen)
    started = [r for r in rows if r.enrolment.start_date and r.days_to_start is not None]
    within = sum(1 for r in started if not r.late)
    return render_template(
        "web/coordinator/index.html", rows=rows, state=chosen, states=pipeline.PENDING_STATES,
        target=pipeline.TARGET_DAYS_TO_START, started=len(started), within=within)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def new() -> Any:
    """Register a patient and their enrolment request."""
    form = PatientRequestForm()
    _staff_choices(form)
    valid = form.validate_on_submit()
    # After validate(), which resets the fields' errors.
    members = load_members(form.gp, form.specialist) if form.is_submitted() else []
    if valid and members is not None:
        try:
            patient, enrolment = register_patient(
                current_user(), {**form.patient_data(), "care_team": members})
        except ServiceError as exc:
            # Nothing of a refused request was kept.
            if not apply_service_errors(form, exc):
                form.form_errors.append(exc.message)
        else:
            flash(_("Request registered for %(name)s.", name=patient.display_name), "ok")
            return redirect(url_for(".enrolment", enrolment_id=enrolment.id))
    return render_template("web/coordinator/new.html", form=form), 422 if form.errors else 200


def _detail(enrolment_id: int, status: int = 200, **forms: Any) -> tuple[str, int]:
    detail = pipeline.enrolment_detail(current_user(), enrolment_id)
    enrolment, patient = detail.enrolment, detail.patient
    # Forms other than the one that failed show stored values, not the posted ones.
    assign = forms.get("assign") or AssignForm(
        formdata=None, referent_id=patient.referent_id or 0,
        physician_id=patient.physician_id or 0)
    _staff_choices(assign)
    return render_template(
        "web/coordinator/enrolment.html", enrolment=enrolment, patient=patient,
        missing=detail.missing, pieces=detail.pieces, history=detail.history,
        days_to_start=detail.days_to_start,
        target=pipeline.TARGET_DAYS_TO_START, equipment_on=detail.equipment_on,
        dossier_form=forms.get("dossier") or DossierForm(formdata=None,
                                                         data=enrolment.dossier or {}),
        start_form=forms.get("start") or StartForm(formdata=None),
        equipment_form=forms.get("equipment") or EquipmentForm(formdata=None),
        reason_form=forms.get("reason") or ReasonForm(formdata=None),
        action_form=ActionForm(formdata=None), assign_form=assign,
        pairing=forms.get("pairing_code"),
    ), status


def _refused(enrolment_id: int, form_name: str, form: FlaskForm, exc: ServiceError) -> Any:
    """Re-show the page with the service's message next to the field, nothing saved."""
    if not apply_service_errors(form, exc):
        form.form_errors.append(exc.message)
    return _detail(enrolment_id, exc.status, **{form_name: form})


@bp.route("/enrolments/<int:enrolment_id>")
@roles_required(Role.COORDINATOR)
def enrolment(enrolment_id: int) -> Any:
    """One enrolment: checklist, next step, assignment, history."""
    return _detail(enrolment_id)


@bp.route("/enrolments/<int:enrolment_id>/dossier", methods=["POST"])
@roles_required(Role.COORDINATOR)
def dossier(enrolment_id: int) -> Any:
    """Save the checklist; with "complete", declare the dossier complete."""
    form = DossierForm()
    try:
        pipeline.set_dossier_pieces(current_user(), enrolment_id, form.pieces())
        if request.form.get("complete"):
            pipeline.transition(current_user(), enrolment_id, Action.COMPLETE_DOSSIER, {})
            flash(_("Dossier complete: waiting for the physician's validation."), "ok")
    except ServiceError as exc:
        return _refused(enrolment_id, "dossier", form, exc)
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id))


@bp.route("/enrolments/<int:enrolment_id>/start", methods=["POST"])
@roles_required(Role.COORDINATOR)
def start(enrolment_id: int) -> Any:
    """Consent and start date: the timeline is laid out."""
    form = StartForm()
    if not form.validate():
        return _detail(enrolment_id, 422, start=form)
    try:
        pipeline.start(current_user(), enrolment_id, form.start_date.data, form.consent.data,
                       form.intervention_weeks.data)
    except ServiceError as exc:
        return _refused(enrolment_id, "start", form, exc)
    flash(_("Programme started: the timeline is laid out."), "ok")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id))


@bp.route("/enrolments/<int:enrolment_id>/equipment", methods=["POST"])
@roles_required(Role.COORDINATOR)
def equipment(enrolment_id: int) -> Any:
    """Record the ergocycle delivery."""
    form = EquipmentForm()
    if not form.validate():
        return _detail(enrolment_id, 422, equipment=form)
    try:
        pipeline.record_equipment(current_user(), enrolment_id, form.delivered_on.data)
    except ServiceError as exc:
        return _refused(enrolment_id, "equipment", form, exc)
    flash(_("Equipment delivery recorded."), "ok")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id))


@bp.route("/enrolments/<int:enrolment_id>/assign", methods=["POST"])
@roles_required(Role.COORDINATOR)
def assign(enrolment_id: int) -> Any:
    """Assign the referent and the physician."""
    form = AssignForm()
    _staff_choices(form)
    if not form.validate():
        return _detail(enrolment_id, 422, assign=form)
    try:
        pipeline.assign(current_user(), enrolment_id, form.referent_id.data or None,
                        form.physician_id.data or None)
    except ServiceError as exc:
        return _refused(enrolment_id, "assign", form, exc)
    flash(_("Assignment saved."), "ok")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id))


@bp.route("/enrolments/<int:enrolment_id>/decline", methods=["POST"])
@roles_required(Role.COORDINATOR)
def decline(enrolment_id: int) -> Any:
    """Decline a request that will not start, with its reason."""
    form = ReasonForm()
    if not form.validate():
        return _detail(enrolment_id, 422, reason=form)
    try:
        pipeline.transition(current_user(), enrolment_id, Action.DECLINE,
                            {"reason": form.reason.data})
    except ServiceError as exc:
        return _refused(enrolment_id, "reason", form, exc)
    flash(_("Request declined."), "ok")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id))


@bp.route("/enrolments/<int:enrolment_id>/pairing-code", methods=["POST"])
@roles_required(Role.COORDINATOR)
def pairing_code(enrolment_id: int) -> Any:
    """A one-time code to read to the patient for their tablet (shown once)."""
    try:
        code, _enrolment, record = pipeline.pairing_code(current_user(), enrolment_id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".enrolment", enrolment_id=enrolment_id))
    return _detail(enrolment_id, pairing_code={
        "code": code, "expires_at": record.expires_at,
        "qr_svg": pairing_qr_svg(code, request.url_root)})
