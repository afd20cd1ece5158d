"""Staff log-in for the web pages: password (with lock-out) then, when enrolled, TOTP.

The password step is ``services.auth.login`` itself, so the lock-out rules
live in one place. A user with a TOTP secret gets no session from the
password alone: the token that step issued is revoked at once (its raw value
never leaves the server) and the session is issued only once the code from
the authenticator app checks out. Wrong codes count towards the same
lock-out as wrong passwords.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pyotp
from flask import current_app
from flask_babel import gettext as _

from server.clock import utcnow
from server.extensions import db
from server.models import User
from server.services import auth
from server.services.errors import Invalid, Unauthorized
from server.services.transactions import use_case

ISSUER = "Reprise"
# One step either side: a phone clock a little off must not lock a person out.
VALID_WINDOW = 1
WEB_LABEL = "web"


@dataclass(frozen=True)
class PasswordStep:
    """Outcome of the password step: a session token, or a second factor to ask for."""

    user_id: int
    token: str | None

    @property
    def needs_totp(self) -> bool:
        """Whether the session waits for a TOTP code."""
        return self.token is None


def password_step(email: str, password: str, label: str = WEB_LABEL) -> PasswordStep:
    """Check the password (lock-out included); a token unless a second factor is due."""
    issued = auth.login(email, password)
    user = issued.record.user
    if user.totp_secret:
        auth.revoke(issued.record)
        return PasswordStep(user.id, None)
    issued.record.label = label
    db.session.commit()
    return PasswordStep(user.id, issued.raw)


def totp_step(user_id: int, code: str, label: str = WEB_LABEL) -> str:
    """A session token once the TOTP code checks out; failures count towards lock-out."""
    user = db.session.get(User, user_id)
    now = utcnow()
    if user is None or not user.active or not user.totp_secret:
        raise Unauthorized(_("Wrong e-mail or password."), "invalid_credentials")
    if user.locked_until is not None and user.locked_until > now:
        raise Unauthorized(_("Account locked after repeated failures; try again later."),
                           "account_locked")
    step = _code_step(user.totp_secret, code)
    # A code already used (seen by someone over the shoulder, or replayed) is refused.
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        user.failed_logins += 1
        if user.failed_logins >= auth.MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + auth.LOCKOUT, 0
        db.session.commit()
        raise Invalid(_("Wrong code."), "invalid_totp", {"code": [_("Wrong code.")]})
    user.failed_logins, user.locked_until, user.totp_last_step = 0, None, step
    ttl = timedelta(hours=current_app.config["STAFF_TOKEN_TTL_HOURS"])
    issued = auth.issue_token(user=user, ttl=ttl, label=label)
    db.session.commit()
    return issued.raw


def _code_step(secret: str, code: str) -> int | None:
    """The time step whose code this is (one step of drift either side), or None."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    for drift in range(-VALID_WINDOW, VALID_WINDOW + 1):
        moment = now + timedelta(seconds=drift * totp.interval)
        if totp.verify(digits, for_time=moment):
            return totp.timecode(moment)
    return None


def _code_ok(secret: str, code: str) -> bool:
    return _code_step(secret, code) is not None


def new_secret() -> str:
    """A fresh base32 secret, shown once to the user while enrolling."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


@use_case
def enable(user: User, secret: str, code: str) -> None:
    """Turn the second factor on once the user proved their app produces the codes."""
    if not _code_ok(secret, code):
        raise Invalid(_("Wrong code."), "invalid_totp", {"code": [_("Wrong code.")]})
    user.totp_secret = secret
    db.session.commit()


@use_case
def disable(user: User, code: str) -> None:
    """Turn the second factor off; a current code is required."""
    if not user.totp_secret or not _code_ok(user.totp_secret, code):
        raise Invalid(_("Wrong code."), "invalid_totp", {"code": [_("Wrong code.")]})
    user.totp_secret = None
    db.session.commit()

