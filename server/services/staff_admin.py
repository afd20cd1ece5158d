"""Administration of staff accounts: roles, activation, lock-out and second factor.

Only administrators manage accounts; they see no patient data
(``services.access``). Deactivating an account revokes its live tokens at
once, so an open session ends on its next request.

An administrator could still give themself patient access by creating (or
promoting) an account. Every grant of a role that sees patients is therefore
audited and e-mailed at once to all coordinators, who know their team: no
second approval, which would hold up a referent's first day for the sake of a
rare abuse, but nobody gains access to patients without the clinical side
being told who, which role and by whom.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select, update

from server.clock import utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import ApiToken, User
from server.models.notifications import NotificationChannel
from server.services.audit import record_access
from server.services.errors import Forbidden, Invalid, NotFound
from server.services.notifications import NewMessage, enqueue_many
from server.services.transactions import use_case
from server.services.users import ROLE_LABELS, create_user
from shared.enums import Role

STAFF_ROLES = (Role.REFERENT, Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN)
# Roles that see patients' records (services.access); admins see none.
PATIENT_ROLES = frozenset({Role.REFERENT, Role.COORDINATOR, Role.PHYSICIAN})


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden(_("Only administrators manage staff accounts."), "forbidden")


def staff_accounts(actor: User) -> list[User]:
    """Every staff account, by role then name."""
    _require_admin(actor)
    return list(db.session.scalars(
        select(User).where(User.role != Role.PATIENT).order_by(User.role, User.full_name)))


def _account(actor: User, user_id: int) -> User:
    _require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None or user.role == Role.PATIENT:
        raise NotFound(_("No such account."), "user_not_found")
    return user


@use_case
def create_staff(actor: User, *, email: str, full_name: str, role: Role, password: str,
                 locale: str = "fr") -> User:
    """A new staff account."""
    _require_admin(actor)
    if role not in STAFF_ROLES:
        raise Invalid(_("Invalid request:"), "invalid_role", {"role": [_("Not a staff role.")]})
    user = create_user(email=email, full_name=full_name, role=role, password=password,
                       locale=locale)
    if role in PATIENT_ROLES:
        _report_grant(actor, user)
        db.session.commit()
    return user


@use_case
def update_staff(actor: User, user_id: int, *, role: Role, active: bool) -> User:
    """Change an account's role or activation; an administrator cannot lock themself out."""
    user = _account(actor, user_id)
    if user.id == actor.id and (role != Role.ADMIN or not active):
        raise Invalid(_("Invalid request:"), "self_demotion", {
            "role": [_("You cannot remove your own administrator access.")]})
    if role not in STAFF_ROLES:
        raise Invalid(_("Invalid request:"), "invalid_role", {"role": [_("Not a staff role.")]})
    granted = role in PATIENT_ROLES and active and (role != user.role or not user.active)
    user.role, user.active = role, active
    if not active:
        _revoke_tokens(user)
    if granted:
        _report_grant(actor, user)
    db.session.commit()
    return user


def _report_grant(actor: User, user: User) -> None:
    """Audit a grant of patient access and tell every coordinator (in the caller's commit)."""
    db.session.flush()
    record_access(actor, "grant", "user", [None], object_id=user.id)
    now = utcnow()
    coordinators = db.session.scalars(select(User).where(
        User.role == Role.COORDINATOR, User.active.is_(True), User.id != user.id))
    messages = []
    for coordinator in coordinators:
        with force_locale(coordinator.locale):
            subject = _("Reprise: new access to patients")
            body = _("%(admin)s gave the role %(role)s, which sees patients' records, to "
                     "%(name)s (%(email)s). If you did not expect it, tell your security "
                     "officer.", admin=actor.full_name, role=str(ROLE_LABELS[user.role.value]),
                     name=user.full_name, email=user.email)
        messages.append(NewMessage(
            channel=NotificationChannel.EMAIL, kind="access_grant", subject=subject, body=body,
            user_id=coordinator.id,
            dedupe_key=f"grant:{user.id}:{user.role.value}:{coordinator.id}:{now:%Y%m%d%H%M%S}"))
    enqueue_many(messages)


@use_case
def unlock(actor: User, user_id: int) -> User:
    """Lift a lock-out after repeated failures."""
    user = _account(actor, user_id)
    user.failed_logins, user.locked_until = 0, None
    db.session.commit()
    return user


@use_case
def reset_second_factor(actor: User, user_id: int) -> User:
    """Remove a lost second factor; the person enrols a new one at next log-in."""
    user = _account(actor, user_id)
    user.totp_secret = None
    _revoke_tokens(user)
    db.session.commit()
    return user


def _revoke_tokens(user: User) -> None:
    db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()))
