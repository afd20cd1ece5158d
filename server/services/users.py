"""Staff accounts."""

from __future__ import annotations

from sqlalchemy import select

from server.clock import utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.i18n import lazy_gettext
from server.models import User
from server.services.auth import hash_password
from server.services.errors import Conflict
from server.services.transactions import use_case
from shared.enums import Role

# Roles in the reader's words: the pages and the e-mails about accounts.
ROLE_LABELS = {
    "referent": lazy_gettext("Referent"), "coordinator": lazy_gettext("Coordinator"),
    "physician": lazy_gettext("Physician"), "admin": lazy_gettext("Administrator"),
    "patient": lazy_gettext("Patient"),
}


def create_user(*, email: str, full_name: str, role: Role, password: str | None,
                locale: str = "fr") -> User:
    """A new account; staff need a password, hashed with argon2id."""
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_("An account with this e-mail already exists."), "email_taken")
    user = User(
        email=email, full_name=full_name, role=role, locale=locale, created_at=utcnow(),
        password_hash=hash_password(password) if password is not None else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


@use_case
def set_locale(user: User, locale: str) -> None:
    """Keep the language a person chose for their pages and messages."""
    user.locale = locale
