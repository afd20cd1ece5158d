"""The physician's screen: escalated flags and committee items to decide, dossiers to validate.

Each item fits on one screen (seed 001: a physician's screen asks for a
decision, not paperwork): the evidence in one line, the chart that shows it,
the history, and the decision with a note.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from server.i18n import gettext as _
from server.services import flags, pipeline
from server.services.errors import ServiceError
from server.services.patient_file import flag_with_file
from server.services.queue import physician_desk
from server.web.flags import flag_context
from server.web.forms import ActionForm, DecisionForm, apply_service_errors, choices
from server.web.labels import label
from server.web.patients import charts
from server.web.session import current_user, roles_required
from shared.enrolment import Action
from shared.enums import FlagDecision, Role
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
    desk = physician_desk(current_user())
    return render_template("web/physician/index.html", items=desk.items, dossiers=desk.dossiers,
                           suspended=desk.suspended, syntheses=desk.syntheses,
                           action=ActionForm(formdata=None))


def _item_page(flag_id: int, form: DecisionForm | None = None, status: int = 200) -> Any:
    detail, data = flag_with_file(current_user(), flag_id)
    all_charts = charts(data)
    keys = ("sessions", CHART_FOR_KIND.get(detail.flag.kind, "duration"))
    if detail.flag.kind == FlagKind.HEART_RATE:
        keys += ("session", "zone")  # the measured curve, when the strap recorded one
    shown = [all_charts[k] for k in keys if k in all_charts]
    return render_template("web/physician/item.html", form=form or _decision_form(None),
                           charts=shown, file=data, **flag_context(detail)), status


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
        flash(exc.message, "error")
    else:
        flash(_("Enrolment validated."), "ok")
    return redirect(url_for(".index"))
