"""Administration: staff accounts and roles (no patient data)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from wtforms.fields.choices import SelectChoice

from server.clock import utcnow
from server.i18n import gettext as _
from server.services import staff_admin
from server.services.errors import ServiceError
from server.web.forms import (
    ActionForm,
    StaffCreateForm,
    StaffUpdateForm,
    apply_service_errors,
    choices,
)
from server.web.labels import label
from server.web.session import current_user, roles_required
from shared.enums import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _role_choices() -> list[SelectChoice]:
    return choices((r.value, label(r, "role")) for r in staff_admin.STAFF_ROLES)


def _page(create: StaffCreateForm | None = None, status: int = 200,
          failed: tuple[int, StaffUpdateForm] | None = None) -> tuple[str, int]:
    users = staff_admin.staff_accounts(current_user())
    if create is None:
        create = StaffCreateForm(formdata=None)
    create.role.choices = _role_choices()
    updates = {}
    for user in users:
        form = (failed[1] if failed and failed[0] == user.id else
                StaffUpdateForm(formdata=None, role=user.role.value, active=user.active,
                                prefix=f"u{user.id}"))
        form.role.choices = _role_choices()
        updates[user.id] = form
    return render_template("web/admin/index.html", users=users, create=create,
                           updates=updates, action=ActionForm(formdata=None),
                           now=utcnow()), status


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> Any:
    """Every staff account with its role, state and lock-out."""
    return _page()


@bp.route("/users", methods=["POST"])
@roles_required(Role.ADMIN)
def create() -> Any:
    """Create a staff account."""
    form = StaffCreateForm()
    form.role.choices = _role_choices()
    if not form.validate():
        return _page(form, 422)
    try:
        user = staff_admin.create_staff(
            current_user(), email=form.email.data, full_name=form.full_name.data.strip(),
            role=Role(form.role.data), password=form.password.data, locale=form.locale.data)
    except ServiceError as exc:
        if not apply_service_errors(form, exc):
            form.email.errors = [*form.email.errors, exc.message]
        return _page(form, exc.status)
    flash(_("Account created for %(name)s.", name=user.full_name), "ok")
    return redirect(url_for(".index"))


@bp.route("/users/<int:user_id>", methods=["POST"])
@roles_required(Role.ADMIN)
def update(user_id: int) -> Any:
    """Change an account's role or activation."""
    form = StaffUpdateForm(prefix=f"u{user_id}")
    form.role.choices = _role_choices()
    if not form.validate():
        return _page(status=422, failed=(user_id, form))
    try:
        staff_admin.update_staff(current_user(), user_id, role=Role(form.role.data),
                                 active=form.active.data)
    except ServiceError as exc:
        apply_service_errors(form, exc)
        return _page(status=exc.status, failed=(user_id, form))
    flash(_("Account updated."), "ok")
    return redirect(url_for(".index"))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles_required(Role.ADMIN)
def unlock(user_id: int) -> Any:
    """Lift a lock-out."""
    staff_admin.unlock(current_user(), user_id)
    flash(_("Account unlocked."), "ok")
    return redirect(url_for(".index"))


@bp.route("/users/<int:user_id>/reset-second-factor", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_second_factor(user_id: int) -> Any:
    """Remove a lost second factor."""
    staff_admin.reset_second_factor(current_user(), user_id)
    flash(_("Second factor removed; the person can enrol a new one."), "ok")
    return redirect(url_for(".index"))
