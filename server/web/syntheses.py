"""The care team and the synthesis documents: a page per patient, a page per version."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, flash, redirect, render_template, send_file, url_for

from server.i18n import gettext as _
from server.services import care_team, syntheses
from server.services.errors import ServiceError
from server.web.forms import (
    CareTeamForm,
    SynthesisDraftForm,
    SynthesisSectionsForm,
    SynthesisStepForm,
    apply_service_errors,
    choices,
    load_members,
)
from server.web.labels import label
from server.web.session import current_user, roles_required
from shared.enums import Role

bp = Blueprint("syntheses", __name__)
READERS = (Role.REFERENT, Role.PHYSICIAN, Role.COORDINATOR)
WRITERS = (Role.REFERENT, Role.COORDINATOR)


def _patient_page(patient_id: int, form: CareTeamForm | None = None,
                  status: int = 200) -> tuple[str, int]:
    data = syntheses.patient_syntheses(current_user(), patient_id)
    draft = SynthesisDraftForm()
    draft.kind.choices = choices((k.value, label(k.value, "synthesis_kind"))
                                 for k in data.startable)
    return render_template("web/syntheses/patient.html", d=data, form=form or CareTeamForm(),
                           draft=draft), status


@bp.route("/syntheses/")
@roles_required(Role.COORDINATOR)
def desk() -> str:
    """The coordinator's syntheses to validate and to send."""
    return render_template("web/syntheses/desk.html",
                           awaiting=syntheses.coordinator_desk(current_user()))


@bp.route("/patients/<int:patient_id>/syntheses")
@roles_required(*READERS)
def index(patient_id: int) -> Any:
    """The patient's care team and syntheses."""
    return _patient_page(patient_id)


@bp.route("/patients/<int:patient_id>/care-team", methods=["POST"])
@roles_required(*WRITERS)
def add_member(patient_id: int) -> Any:
    """Add a professional to the care team."""
    form = CareTeamForm()
    members = load_members(form.member) if form.validate_on_submit() else None
    if not members:
        if members == []:  # the form was valid but named nobody
            form.member.form.name.errors = [_("Give the professional's name.")]
        return _patient_page(patient_id, form, 422)
    try:
        care_team.add_member(current_user(), patient_id, members[0])
    except ServiceError as exc:
        if exc.status == 404:
            raise
        if not apply_service_errors(form.member.form, exc):
            form.member.form.name.errors = [exc.message]
        return _patient_page(patient_id, form, exc.status)
    flash(_("Professional added to the care team."), "ok")
    return redirect(url_for(".index", patient_id=patient_id, _anchor="care-team-h"))


@bp.route("/patients/<int:patient_id>/care-team/<int:member_id>", methods=["GET", "POST"])
@roles_required(*WRITERS)
def edit_member(patient_id: int, member_id: int) -> Any:
    """Change a professional's details."""
    form = CareTeamForm()
    if form.is_submitted():
        members = load_members(form.member) if form.validate() else None
        if members == []:
            form.member.form.name.errors = [_("Give the professional's name.")]
        elif members:
            try:
                care_team.update_member(current_user(), patient_id, member_id, members[0])
            except ServiceError as exc:
                if exc.status == 404:
                    raise
                form.member.form.name.errors = [exc.message]
            else:
                flash(_("Care team updated."), "ok")
                return redirect(url_for(".index", patient_id=patient_id,
                                        _anchor="care-team-h"))
        status = 422
    else:
        member = care_team.get_member(current_user(), patient_id, member_id)
        form = CareTeamForm(data={"member": {
            "role": member.role.value, "name": member.name, "email": member.email,
            "secure_messaging": member.secure_messaging, "phone": member.phone,
            "postal_address": member.postal_address,
            "receives_syntheses": member.receives_syntheses}})
        status = 200
    return render_template("web/syntheses/member.html", form=form, patient_id=patient_id,
                           member_id=member_id), status


@bp.route("/patients/<int:patient_id>/care-team/<int:member_id>/remove", methods=["POST"])
@roles_required(*WRITERS)
def remove_member(patient_id: int, member_id: int) -> Any:
    """Take a professional off the care team."""
    care_team.remove_member(current_user(), patient_id, member_id)
    flash(_("Professional removed from the care team."), "ok")
    return redirect(url_for(".index", patient_id=patient_id, _anchor="care-team-h"))


@bp.route("/patients/<int:patient_id>/syntheses", methods=["POST"])
@roles_required(*WRITERS)
def start(patient_id: int) -> Any:
    """Start the first draft of a synthesis."""
    form = SynthesisDraftForm()
    try:
        synthesis = syntheses.start_draft(current_user(), patient_id, form.kind.data or "")
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(url_for(".index", patient_id=patient_id))
    return redirect(url_for(".show", synthesis_id=synthesis.id))


def _show(synthesis_id: int, sections: SynthesisSectionsForm | None = None,
          step: SynthesisStepForm | None = None, status: int = 200) -> tuple[str, int]:
    page = syntheses.synthesis_page(current_user(), synthesis_id)
    if sections is None:
        sections = SynthesisSectionsForm(data=page.synthesis.sections)
    return render_template("web/syntheses/show.html", page=page, s=page.synthesis,
                           sections=sections, step=step or SynthesisStepForm()), status


@bp.route("/syntheses/<int:synthesis_id>")
@roles_required(*READERS)
def show(synthesis_id: int) -> Any:
    """One version: its figures, its text, its workflow."""
    return _show(synthesis_id)


@bp.route("/syntheses/<int:synthesis_id>/sections", methods=["POST"])
@roles_required(*WRITERS)
def save_sections(synthesis_id: int) -> Any:
    """Save a draft's free-text sections."""
    form = SynthesisSectionsForm()
    if not form.validate_on_submit():
        return _show(synthesis_id, sections=form, status=422)
    try:
        syntheses.edit_sections(current_user(), synthesis_id, {
            key: getattr(form, key).data or "" for key in syntheses.SECTIONS})
    except ServiceError as exc:
        if exc.status == 404:
            raise
        form.form_errors.append(exc.message)
        return _show(synthesis_id, sections=form, status=exc.status)
    flash(_("Draft saved."), "ok")
    return redirect(url_for(".show", synthesis_id=synthesis_id))


@bp.route("/syntheses/<int:synthesis_id>/steps", methods=["POST"])
@roles_required(*READERS)
def step(synthesis_id: int) -> Any:
    """Submit, return, validate, co-sign, send or revise."""
    form = SynthesisStepForm()
    if not form.validate_on_submit():
        return _show(synthesis_id, step=form, status=422)
    try:
        moved = syntheses.step(current_user(), synthesis_id, form.action.data,
                               form.reason.data or None)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        form.reason.errors = [exc.message]
        return _show(synthesis_id, step=form, status=exc.status)
    flash(_("New state: %(state)s.", state=label(moved.state.value, "synthesis_state")), "ok")
    return redirect(url_for(".show", synthesis_id=moved.id))


@bp.route("/syntheses/<int:synthesis_id>/pdf")
@roles_required(*READERS)
def pdf(synthesis_id: int) -> Any:
    """The version as PDF (a draft's preview says so on its first line)."""
    filename, content = syntheses.synthesis_pdf(current_user(), synthesis_id)
    return send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True,
                     download_name=filename)


@bp.route("/syntheses/<int:synthesis_id>/letters")
@roles_required(Role.COORDINATOR)
def letters(synthesis_id: int) -> Any:
    """A cover letter and a copy for each professional the synthesis goes to by post."""
    filename, content = syntheses.synthesis_pdf(current_user(), synthesis_id, letters=True)
    return send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True,
                     download_name=filename)


@bp.route("/syntheses/<int:synthesis_id>/recipients/<int:recipient_id>/posted",
          methods=["POST"])
@roles_required(Role.COORDINATOR)
def posted(synthesis_id: int, recipient_id: int) -> Any:
    """The letter to this professional was posted."""
    syntheses.mark_posted(current_user(), synthesis_id, recipient_id)
    flash(_("Letter marked as posted."), "ok")
    return redirect(url_for(".show", synthesis_id=synthesis_id, _anchor="recipients-h"))

