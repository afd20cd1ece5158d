"""The physician's screen: escalated flags and committee items to decide, dossiers to validate.

Each item fits on one screen (seed 001: a physician's screen asks for a
decision, not paperwork): the evidence in one line, the chart that shows it,
the history, and the decision with a note.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from server.extensions import db
from server.models import Enrolment, Patient
from server.services import access, flags, pipeline
from server.services.audit import record_access
from server.services.errors import ServiceError
from server.services.patient_file import load_patient_file
from server.services.queue import work_queue
from server.web.flags import flag_context
from server.web.forms import ActionForm, DecisionForm, apply_service_errors, choices
from server.web.labels import label
from server.web.patients import charts
from server.web.session import current_user, roles_required
from shared.enrolment import Action
from shared.enums import EnrolmentState, FlagDecision, Role
from shared.rules import FlagKind

bp = Blueprint("physician", __name__, url_prefix="/physician")

# The chart that shows the evidence of each kind of flag.
CHART_FOR_KIND = {
    FlagKind.HEART_RATE: "heart_rate", FlagKind.PAIN_RISE: "symptom",
    FlagKind.DYSPNOEA: "symptom", FlagKind.BOOKLET: "booklet",
}


def _decision_form(formdata: Any = None) -> DecisionForm:
    form = DecisionForm() if formdata is None else DecisionForm(formdata=formdata)
    form.decision.choices = choices((d.value, label(d, "decision")) for d in FlagDecision)
    return form


@bp.route("/")
@roles_required(Role.PHYSICIAN)
def index() -> str:
    """Items awaiting the physician's decision, then dossiers awaiting validation."""
    user = current_user()
    queue = work_queue(user)
    patients = access.visible_patients(user).with_only_columns(Patient.id)
    dossiers = db.session.execute(
        select(Enrolment, Patient).join(Patient, Patient.id == Enrolment.patient_id)
        .where(Enrolment.state == EnrolmentState.DOSSIER_COMPLETE, Patient.id.in_(patients))
        .order_by(Enrolment.dossier_completed_at)).all()
    record_access(user, access.READ, "validation_list", [p.id for _e, p in dossiers])
    suspended = pipeline.suspended_enrolments(user)
    db.session.commit()
    return render_template("web/physician/index.html", items=queue.flags, dossiers=dossiers,
                           suspended=suspended, action=ActionForm(formdata=None))


def _item_page(flag_id: int, form: DecisionForm | None = None, status: int = 200) -> Any:
    user = current_user()
    flag = flags.get_flag(user, flag_id)
    data = load_patient_file(user, flag.patient_id)
    all_charts = charts(data)
    shown = [all_charts[k] for k in ("sessions", CHART_FOR_KIND.get(flag.kind, "duration"))
             if k in all_charts]
    page = render_template("web/physician/item.html", form=form or _decision_form(None),
                           charts=shown, file=data, **flag_context(flag))
    db.session.commit()
    return page, status


@bp.route("/flags/<int:flag_id>", methods=["GET"])
@roles_required(Role.PHYSICIAN)
def item(flag_id: int) -> Any:
    """One item on one screen: evidence, chart, history, decision."""
    return _item_page(flag_id)


@bp.route("/flags/<int:flag_id>", methods=["POST"])
@roles_required(Role.PHYSICIAN)
def decide(flag_id: int) -> Any:
    """Apply the decision: the timeline follows and the item closes."""
    form = _decision_form()
    if not form.validate():
        return _item_page(flag_id, form, 422)
    try:
        flags.decide(current_user(), flag_id, form.decision.data, form.note.data,
                     form.visit_day.data, form.review_on.data)
    except ServiceError as exc:
        db.session.rollback()
        if not apply_service_errors(form, exc):
            form.form_errors.append(exc.message)
        return _item_page(flag_id, form, exc.status)
    flash(_("Decision recorded: %(d)s.", d=label(form.decision.data, "decision")), "ok")
    return redirect(url_for(".index"))


@bp.route("/enrolments/<int:enrolment_id>/resume", methods=["POST"])
@roles_required(Role.PHYSICIAN)
def resume(enrolment_id: int) -> Any:
    """End a suspension: the programme goes on where its calendar stands."""
    ActionForm().validate()
    try:
        pipeline.transition(current_user(), enrolment_id, Action.RESUME, {})
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Programme resumed."), "ok")
    return redirect(url_for(".index"))


@bp.route("/enrolments/<int:enrolment_id>/validate", methods=["POST"])
@roles_required(Role.PHYSICIAN)
def validate(enrolment_id: int) -> Any:
    """Validate a complete dossier: the coordinator can then start the programme."""
    ActionForm().validate()
    try:
        pipeline.transition(current_user(), enrolment_id, Action.VALIDATE, {})
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Enrolment validated."), "ok")
    return redirect(url_for(".index"))
