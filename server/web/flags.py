"""One flag: its evidence and history, and what the referent does with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

# Lazy, and named _ so that extraction with the default keywords finds the strings.
from server.i18n import lazy_gettext as _
from server.models.flags import Flag
from server.services import flags
from server.services.errors import ServiceError
from server.services.flag_text import describe, kind_label
from server.web.forms import NoteForm, apply_service_errors
from server.web.session import current_user, roles_required
from shared.enums import Role

bp = Blueprint("flags", __name__, url_prefix="/flags")

ACTIONS: dict[str, tuple[Callable[..., Flag], Any]] = {
    "acknowledge": (flags.acknowledge, _("Flag acknowledged.")),
    "resolve": (flags.resolve, _("Flag resolved.")),
    "escalate": (flags.escalate, _("Flag escalated to the physician.")),
    "committee": (flags.send_to_committee, _("Flag sent to the committee.")),
}


def flag_context(detail: flags.FlagDetail) -> dict[str, Any]:
    """What every flag page shows: label, evidence line, patient, people in the history."""
    flag = detail.flag
    return {"flag": flag, "flag_label": kind_label(flag.kind),
            "summary": describe(flag.kind, flag.evidence),
            "patient": detail.patient, "people": detail.people, "is_open": detail.is_open}


def _page(flag_id: int, status: int = 200, failed: tuple[str, NoteForm] | None = None) -> Any:
    detail = flags.flag_detail(current_user(), flag_id)
    forms = {name: NoteForm(formdata=None, prefix=name) for name in ACTIONS}
    if failed:
        forms[failed[0]] = failed[1]
    return render_template("web/flags/show.html", forms=forms, allowed=detail.actions,
                           **flag_context(detail)), status


@bp.route("/<int:flag_id>")
@roles_required(Role.REFERENT, Role.COORDINATOR)
def show(flag_id: int) -> Any:
    """The flag with its evidence, history and actions."""
    return _page(flag_id)


@bp.route("/<int:flag_id>/<action>", methods=["POST"])
@roles_required(Role.REFERENT, Role.COORDINATOR)
def act(flag_id: int, action: str) -> Any:
    """Acknowledge, resolve (note required), escalate or send to committee."""
    if action not in ACTIONS:
        abort(404)
    service, done = ACTIONS[action]
    form = NoteForm(prefix=action)
    if not form.validate():
        return _page(flag_id, 422, (action, form))
    try:
        service(current_user(), flag_id, form.note.data)
    except ServiceError as exc:
        # The flag service stored nothing of the refused change.
        if not apply_service_errors(form, exc):
            form.form_errors.append(exc.message)
        return _page(flag_id, exc.status, (action, form))
    flash(str(done), "ok")
    return redirect(url_for(".show", flag_id=flag_id))
