"""Recording a call: one form per kind of contact, validated by the service's outcome schema."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from marshmallow import ValidationError

from server.i18n import gettext as _
from server.services import calls
from server.services.call_outcome import ContactRecordIn
from server.services.errors import ServiceError
from server.services.messages import translate_message
from server.services.visits import visit_timepoint
from server.web.forms import ContactForm, FollowUpCallForm, WeeklyCallForm, apply_service_errors
from server.web.session import current_user, roles_required
from shared.enums import ContactKind, Role

bp = Blueprint("calls", __name__, url_prefix="/contacts")

FORMS: dict[ContactKind, type[ContactForm]] = {
    ContactKind.WEEKLY_CALL: WeeklyCallForm,
    ContactKind.FOLLOW_UP_CALL: FollowUpCallForm,
    ContactKind.MICRO_PROJECT_CALL: FollowUpCallForm,
}
# Where a field of the outcome schema shows its error on the form.
NESTED_FIELDS = {"health_events": {"kind": "event_kind", "occurred_on": "event_on",
                                   "description": "event_description"}}


def schema_errors(form: ContactForm, errors: dict[str, Any]) -> None:
    """Marshmallow's errors, translated, next to the form's fields (else at the top)."""
    for key, value in errors.items():
        if key == "next_prescription" and isinstance(value, dict):
            schema_errors(form, value)
            continue
        if key in NESTED_FIELDS and isinstance(value, dict):
            for item in value.values():
                schema_errors(form, {NESTED_FIELDS[key].get(k, k): v for k, v in item.items()})
            continue
        messages = [translate_message(m) for m in (value if isinstance(value, list) else [value])
                    if isinstance(m, str)]
        field = getattr(form, key, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), *messages]
        else:
            form.form_errors.extend(messages)


def _page(page: calls.ContactPage, form: ContactForm, status: int = 200) -> tuple[str, int]:
    return render_template("web/calls/record.html", contact=page.contact, form=form,
                           patient=page.patient, attempts_limit=page.attempts_limit,
                           in_force=page.in_force, programme=page.programme,
                           committee=page.committee, weekly=isinstance(form, WeeklyCallForm),
                           follow_up=isinstance(form, FollowUpCallForm)), status


@bp.route("/<int:contact_id>/record", methods=["GET", "POST"])
@roles_required(Role.REFERENT, Role.COORDINATOR)
def record(contact_id: int) -> Any:
    """The form for this contact's kind; saving applies the outcome through the service."""
    user = current_user()
    page = calls.contact_page(user, contact_id)
    if visit_timepoint(page.contact) is not None:
        return redirect(url_for("web.visits.record", contact_id=contact_id))
    # The W12 activity project stands as the follow-up target: the call starts from it.
    form = FORMS.get(page.contact.kind, ContactForm)(
        project_sessions_per_week=page.activity_project)
    if not form.validate_on_submit():
        return _page(page, form, 422 if form.errors else 200)
    try:
        outcome = ContactRecordIn().load(form.outcome())
    except ValidationError as exc:
        schema_errors(form, exc.messages)
        return _page(page, form, 422)
    try:
        saved = calls.record_contact(user, contact_id, outcome)
    except ServiceError as exc:
        # The service stored nothing of the refused outcome.
        if not apply_service_errors(form, exc):
            form.form_errors.append(exc.message)
        return _page(calls.contact_page(user, contact_id), form, exc.status)
    if saved.status.value == "done":
        flash(_("Call recorded."), "ok")
    elif saved.status.value == "missed":
        flash(_("Not reached after %(n)d attempts: the contact is marked missed and flagged.",
                n=saved.attempts), "error")
    else:
        flash(_("Attempt %(n)d recorded: the call stays in the queue.", n=saved.attempts), "ok")
    return redirect(url_for("web.queue.index"))
