"""Passwords, bearer tokens, staff log-in with lock-out, and tablet pairing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from server.clock import utcnow
from server.extensions import db
from server.models import ApiToken, Enrolment, PairingCode, User
from server.services.errors import Invalid, NotFound, Unauthorized
from shared.enrolment import TERMINAL_STATES
from shared.enums import Role

_hasher = PasswordHasher()  # argon2id with the library's current parameters
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
# No 0/O or 1/I/L: the code is read aloud over the phone.
PAIRING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PAIRING_CODE_LENGTH = 8


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``; refuses passwords too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(_("Password too short."), errors={
            "password": [_("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]})
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Whether ``password`` matches; rehashes when argon2 parameters changed."""
    if not user.password_hash:
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (tokens): fast lookup, nothing to reverse."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _code_digest(code: str) -> str:
    # Pairing codes are short: keyed with SECRET_KEY so a stolen table cannot be brute-forced.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def normalise_code(code: str) -> str:
    """Pairing code as typed by a person: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True)
class IssuedToken:
    """A token as handed to its owner once; only its digest is stored."""

    raw: str
    record: ApiToken


def issue_token(*, user: User | None = None, patient_id: int | None = None,
                ttl: timedelta | None = None, label: str = "") -> IssuedToken:
    """Create a bearer token for a staff user or a patient's device (not committed)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    record = ApiToken(
        token_hash=digest(raw), user=user, patient_id=patient_id, label=label,
        created_at=now, expires_at=now + ttl if ttl else None,
    )
    db.session.add(record)
    return IssuedToken(raw, record)


def resolve_token(raw: str) -> ApiToken | None:
    """The live token for ``raw``, or None if unknown, expired or revoked."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.user is not None and not token.user.active:
        return None
    token.last_used_at = now
    return token


def use_token(raw: str) -> ApiToken | None:
    """:func:`resolve_token` for one API request: its last use is committed at once,
    whatever the handler does next."""
    token = resolve_token(raw)
    if token is not None:
        db.session.commit()
    return token


def login(email: str, password: str) -> IssuedToken:
    """A staff session token; repeated failures lock the account for a while."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    now = utcnow()
    refused = Unauthorized(_("Wrong e-mail or password."), "invalid_credentials")
    if user is None or user.role == Role.PATIENT or not user.active:
        raise refused
    if user.locked_until is not None and user.locked_until > now:
        raise Unauthorized(_("Account locked after repeated failures; try again later."),
                           "account_locked")
    if not verify_password(user, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        db.session.commit()
        raise refused
    user.failed_logins, user.locked_until = 0, None
    ttl = timedelta(hours=current_app.config["STAFF_TOKEN_TTL_HOURS"])
    issued = issue_token(user=user, ttl=ttl, label="api")
    db.session.commit()
    return issued


def revoke(token: ApiToken) -> None:
    """Revoke a token at once (log-out, lost tablet)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.commit()


def create_pairing_code(enrolment: Enrolment, actor: User) -> tuple[str, PairingCode]:
    """A fresh one-time code for the enrolment's tablet; earlier unused codes stop working."""
    if enrolment.state in TERMINAL_STATES:
        raise Invalid(_("This enrolment has ended; no tablet can be paired."), "enrolment_ended")
    now = utcnow()
    db.session.execute(
        update(PairingCode)
        .where(PairingCode.enrolment_id == enrolment.id, PairingCode.used_at.is_(None),
               PairingCode.expires_at > now)
        .values(expires_at=now)
    )
    code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
    record = PairingCode(
        code_hash=_code_digest(code), enrolment_id=enrolment.id, created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(minutes=current_app.config["PAIRING_CODE_TTL_MINUTES"]),
    )
    db.session.add(record)
    db.session.commit()
    return code, record


def pair_device(code: str, label: str) -> tuple[IssuedToken, Enrolment]:
    """Exchange a one-time pairing code for a device token (single use)."""
    now = utcnow()
    # The conditional UPDATE claims the code: of two tablets racing, one wins.
    claimed = db.session.execute(
        update(PairingCode)
        .where(PairingCode.code_hash == _code_digest(code), PairingCode.used_at.is_(None),
               PairingCode.expires_at > now)
        .values(used_at=now)
        .returning(PairingCode.id, PairingCode.enrolment_id)
    ).first()
    if claimed is None:
        db.session.rollback()
        raise NotFound(_("Unknown, expired or already used pairing code."), "invalid_code")
    enrolment = db.session.get(Enrolment, claimed.enrolment_id)
    issued = issue_token(patient_id=enrolment.patient_id, label=label or "tablet")
    db.session.flush()
    db.session.get(PairingCode, claimed.id).token_id = issued.record.id
    db.session.commit()
    return issued, enrolment
