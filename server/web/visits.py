"""The W0, W6 and W12 visits: a structured form each, and the outcomes panel.

Visits open from the queue like calls (the call page sends visits here). The
outcomes panel's words (verdicts, the endurance MCID's source) are offered to every
page's template; the outcomes themselves come with the patient file.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from marshmallow import ValidationError

from server.clock import get_clock
from server.i18n import gettext as _
from server.i18n import lazy_gettext
from server.models import Enrolment
from server.services import measures, visits
from server.services.errors import ServiceError
from server.services.visit_report import VisitReportIn
from server.web.session import current_user, roles_required
from server.web.visit_forms import VisitForm, place_errors, visit_form
from shared.endurance import MCID_SOURCE
from shared.enums import Role

bp = Blueprint("visits", __name__, url_prefix="/visits")

@bp.app_context_processor
def _outcomes_helpers() -> dict[str, Any]:
    return {"verdict_label": verdict_label,
            "endurance_mcid_source": MCID_SOURCE}


# Translated when shown: the panel shows a few verdicts, not all five each time.
VERDICT_LABELS = {
    "improved": lazy_gettext("Improved"), "unchanged": lazy_gettext("Unchanged"),
    "worse": lazy_gettext("Worse"), "no_threshold": lazy_gettext("No published threshold"),
    "not_measured": lazy_gettext("Not measured"),
}


def verdict_label(verdict: str) -> str:
    """A verdict in plain words, translated."""
    return str(VERDICT_LABELS[verdict])


def _form(enrolment: Enrolment, timepoint: str, **kwargs: Any) -> VisitForm:
    endurance = visits.with_endurance(enrolment.template, timepoint)
    return visit_form(enrolment.programme_code, timepoint, measures.wording(),
                      str(get_locale() or "fr"), endurance, **kwargs)


def _page(page: visits.VisitPage, form: VisitForm, status: int = 200) -> tuple[str, int]:
    return render_template("web/visits/record.html", contact=page.contact, form=form,
                           patient=page.patient, enrolment=page.enrolment,
                           report=page.report), status


@bp.route("/<int:contact_id>", methods=["GET", "POST"])
@roles_required(Role.REFERENT, Role.COORDINATOR)
def record(contact_id: int) -> Any:
    """The visit's form; saving stores contents, questionnaires and test in one go."""
    user = current_user()
    page = visits.visit_page(user, contact_id)
    if page.timepoint is None:
        return redirect(url_for("web.calls.record", contact_id=contact_id))
    form = _form(page.enrolment, page.timepoint, performed_on=get_clock().today())
    if not form.validate_on_submit():
        return _page(page, form, 422 if form.errors else 200)
    try:
        data = VisitReportIn().load(form.payload())
    except ValidationError as exc:
        place_errors(form, exc.messages)
        return _page(page, form, 422)
    try:
        visits.record_visit(user, contact_id, data)
    except ServiceError as exc:
        place_errors(form, exc.errors or {})
        if not exc.errors:
            form.form_errors.append(exc.message)
        return _page(visits.visit_page(user, contact_id), form, exc.status)
    flash(_("Visit recorded."), "ok")
    return redirect(url_for("web.patients.file", patient_id=page.patient.id) + "#outcomes-h")
