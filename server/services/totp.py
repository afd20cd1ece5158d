"""Staff log-in for the web pages: password (with lock-out) then, when enrolled, TOTP.

The password step is ``services.auth.authenticate`` itself, so the lock-out
rules live in one place. A user with a TOTP secret gets no session from the
password alone: the session is issued only once the code from the
authenticator app checks out. Wrong codes count towards the same lock-out as
wrong passwords, and the right password does not reset that count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pyotp
from flask import current_app

from server.clock import utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import User
from server.services import auth
from server.services.errors import Invalid, Unauthorized
from server.services.transactions import use_case

ISSUER = "Reprise"
# One step either side: a phone clock a little off must not lock a person out.
VALID_WINDOW = 1
WEB_LABEL = auth.WEB_SESSION_LABEL


@dataclass(frozen=True)
class PasswordStep:
    """Outcome of the password step: a session token, or a second factor to ask for."""

    user_id: int
    token: auth.IssuedToken | None

    @property
    def needs_totp(self) -> bool:
        """Whether the session waits for a TOTP code."""
        return self.token is None


def password_step(email: str, password: str, address: str | None = None,
                  label: str = WEB_LABEL) -> PasswordStep:
    """Check the password (lock-out included); a token unless a second factor is due.

    With a second factor the attempt stays counted: a right password does not
    forgive the wrong codes before it, so codes cannot be guessed without limit.
    """
    user = auth.authenticate(email, password, address)
    if user.totp_secret:
        return PasswordStep(user.id, None)
    auth.settle_attempts(user)
    return PasswordStep(user.id, _session_token(user, label))


def totp_step(user_id: int, code: str, address: str | None = None,
              label: str = WEB_LABEL) -> auth.IssuedToken:
    """A session token once the TOTP code checks out; failures count towards lock-out."""
    auth.throttle(address)
    user = db.session.get(User, user_id)
    refused = Unauthorized(_("Wrong e-mail or password, or account locked for a while after "
                             "repeated failures."), "invalid_credentials")
    if user is None or not user.active or not user.totp_secret:
        raise refused
    if not auth.count_attempt(user.id):
        raise refused
    db.session.refresh(user)
    step = _code_step(user.totp_secret, code)
    # A code already used (seen by someone over the shoulder, or replayed) is refused.
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        raise Invalid(_("Wrong code."), "invalid_totp", {"code": [_("Wrong code.")]})
    auth.release_throttle(address)
    auth.settle_attempts(user)
    user.totp_last_step = step
    return _session_token(user, label)


def _session_token(user: User, label: str) -> auth.IssuedToken:
    ttl = timedelta(hours=current_app.config["STAFF_TOKEN_TTL_HOURS"])
    issued = auth.issue_token(user=user, ttl=ttl, label=label)
    db.session.commit()
    return issued


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


def pending_secret(user: User) -> str:
    """The secret offered to ``user`` for enrolment, drawn once and kept on the server."""
    if not user.totp_pending_secret:
        user.totp_pending_secret = pyotp.random_base32()
        db.session.commit()
    return user.totp_pending_secret


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


@use_case
def enable(user: User, password: str, code: str) -> None:
    """Turn the second factor on: the password again, then a code from the secret we drew."""
    if not auth.verify_password(user, password):
        raise Invalid(_("Wrong password."), "invalid_password",
                      {"password": [_("Wrong password.")]})
    secret = user.totp_pending_secret
    if not secret or not _code_ok(secret, code):
        raise Invalid(_("Wrong code."), "invalid_totp", {"code": [_("Wrong code.")]})
    user.totp_secret, user.totp_pending_secret = secret, None
    db.session.commit()


@use_case
def disable(user: User, code: str) -> None:
    """Turn the second factor off; a current code is required."""
    if not user.totp_secret or not _code_ok(user.totp_secret, code):
        raise Invalid(_("Wrong code."), "invalid_totp", {"code": [_("Wrong code.")]})
    user.totp_secret = None
    db.session.commit()
