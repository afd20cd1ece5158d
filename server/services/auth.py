"""Passwords, bearer tokens, staff log-in with lock-out, and tablet pairing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, timedelta
from math import ceil

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import bindparam, case, exists, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from server.clock import utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import ApiToken, Enrolment, LoginThrottle, PairingCode, User
from server.services.errors import Invalid, NotFound, TooManyAttempts, Unauthorized
from shared.enrolment import TERMINAL_STATES
from shared.enums import Role

_hasher = PasswordHasher()  # argon2id with the library's current parameters
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
# Failed log-ins (passwords, TOTP codes, pairing codes) one client address may make in a
# window: enough for a clinic's staff behind one router, too few to lock every account.
THROTTLE_ATTEMPTS = 10
THROTTLE_WINDOW = timedelta(minutes=15)
# last_used_at tells people when a token last served, to the minute: writing it on every
# request would make each page view and each tablet batch a write of the token row.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 12
# No 0/O or 1/I/L: the code is read aloud over the phone.
PAIRING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PAIRING_CODE_LENGTH = 8
# Label of the tokens behind staff web sessions (looked up by row id, never by value).
WEB_SESSION_LABEL = "web"


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
    return _live(token)


# Every page reads its session's token with the token's user: one statement, built once
# (building and keying a new one costs about as much as running it).
_SESSION_TOKEN = (select(ApiToken).options(joinedload(ApiToken.user))
                  .where(ApiToken.id == bindparam("token_id")))


def resolve_session(token_id: int) -> ApiToken | None:
    """The live web session token of that row id (from the signed session cookie)."""
    token = (db.session.scalar(_SESSION_TOKEN, {"token_id": token_id})
             if 0 < token_id < 2**31 else None)
    if token is not None and token.label != WEB_SESSION_LABEL:
        return None
    return _live(token)


def _live(token: ApiToken | None) -> ApiToken | None:
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.user is not None and not token.user.active:
        return None
    if token.patient_id is not None and not _enrolment_not_ended(token.patient_id):
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_EVERY:
        if token.patient_id is not None:
            # A device token lives DEVICE_TOKEN_TTL_DAYS after its last use: a tablet in
            # daily use never re-pairs, a lost one in a drawer stops working on its own.
            token.expires_at = now + device_token_ttl()
        token.last_used_at = now
    return token


def use_token(raw: str) -> ApiToken | None:
    """:func:`resolve_token` for one API request: its last use, when noted, is committed
    at once, whatever the handler does next."""
    token = resolve_token(raw)
    # Only when touched: a commit would also expire the token, read again at its next use.
    if token is not None and token in db.session.dirty:
        db.session.commit()
    return token


def device_token_ttl() -> timedelta:
    """How long a device token lives without being used."""
    return timedelta(days=current_app.config["DEVICE_TOKEN_TTL_DAYS"])


def _enrolment_not_ended(patient_id: int) -> bool:
    return bool(db.session.scalar(select(
        exists().where(Enrolment.patient_id == patient_id,
                       Enrolment.state.not_in(TERMINAL_STATES)))))


def _refused() -> Unauthorized:
    # One answer for an unknown e-mail, a wrong password and a locked account: an attacker
    # can read nothing from it (and the locked case costs the same argon2 check).
    return Unauthorized(_("Wrong e-mail or password, or account locked for a while after "
                          "repeated failures."), "invalid_credentials")


def _dummy_verify(password: str) -> None:
    """Spend what a real check costs, so that no path is faster than another."""
    global _dummy_hash
    if _dummy_hash is None or _hasher.check_needs_rehash(_dummy_hash):
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    with suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash, password)


_dummy_hash: str | None = None


def count_attempt(user_id: int) -> bool:
    """Count one attempt at ``user_id``'s credentials before checking them; False if locked.

    One conditional UPDATE, committed before the (slow) check: of attempts made
    in parallel, exactly MAX_FAILED_LOGINS get through before the lock, whatever
    the number of workers. A successful log-in gives the attempt back
    (:func:`settle_attempts`); a lock that has expired starts a fresh count.
    """
    now = utcnow()
    expired = User.locked_until.is_not(None)
    fresh_count = case((expired, 1), else_=User.failed_logins + 1)
    counted = db.session.execute(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=fresh_count,
                locked_until=case((fresh_count >= MAX_FAILED_LOGINS, now + LOCKOUT),
                                  else_=null()))
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    return counted is not None


def settle_attempts(user: User) -> None:
    """A log-in completed: the attempts counted so far are forgiven (not committed)."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(failed_logins=0, locked_until=null())
                       .execution_options(synchronize_session=False))
    db.session.refresh(user)


def authenticate(email: str, password: str, address: str | None) -> User:
    """The staff account whose password this is; the attempt stays counted (see login)."""
    throttle(address)
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.role == Role.PATIENT or not user.active:
        _dummy_verify(password)
        raise _refused()
    if not count_attempt(user.id):
        _dummy_verify(password)
        raise _refused()
    db.session.refresh(user)
    if not verify_password(user, password):
        raise _refused()
    release_throttle(address)
    return user


def login(email: str, password: str, address: str | None = None) -> IssuedToken:
    """A staff session token; repeated failures lock the account for a while."""
    user = authenticate(email, password, address)
    settle_attempts(user)
    ttl = timedelta(hours=current_app.config["STAFF_TOKEN_TTL_HOURS"])
    issued = issue_token(user=user, ttl=ttl, label="api")
    db.session.commit()
    return issued


def throttle(address: str | None) -> None:
    """Count one log-in attempt from ``address``; 429 once the window's allowance is spent.

    An atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) on both
    databases: every worker and every parallel request sees the same count.
    """
    if not address:
        return
    now = utcnow()
    table = LoginThrottle.__table__
    stale = table.c.window_start <= now - THROTTLE_WINDOW
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    statement = insert(table).values(address=address[:64], window_start=now, attempts=1)
    statement = statement.on_conflict_do_update(
        index_elements=["address"],
        set_={"attempts": case((stale, 1), else_=table.c.attempts + 1),
              "window_start": case((stale, statement.excluded.window_start),
                                   else_=table.c.window_start)},
    ).returning(table.c.attempts, table.c.window_start)
    attempts, window_start = db.session.execute(statement).one()
    db.session.commit()
    if attempts > THROTTLE_ATTEMPTS:
        if window_start.tzinfo is None:  # SQLite through RETURNING: stored as naive UTC
            window_start = window_start.replace(tzinfo=UTC)
        wait = window_start + THROTTLE_WINDOW - now
        raise TooManyAttempts(
            _("Too many attempts from your address; try again in %(minutes)d minutes.",
              minutes=max(1, ceil(wait.total_seconds() / 60))),
            retry_after=max(1, ceil(wait.total_seconds())))


def release_throttle(address: str | None) -> None:
    """A successful attempt is given back: only failures use up an address's allowance."""
    if not address:
        return
    db.session.execute(update(LoginThrottle)
                       .where(LoginThrottle.address == address[:64], LoginThrottle.attempts > 0)
                       .values(attempts=LoginThrottle.attempts - 1))
    db.session.commit()


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


def pair_device(code: str, label: str, address: str | None = None
                ) -> tuple[IssuedToken, Enrolment]:
    """Exchange a one-time pairing code for a device token (single use).

    Wrong codes use up the address's allowance of failed attempts, like passwords.
    """
    throttle(address)
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
    if enrolment.state in TERMINAL_STATES:
        db.session.rollback()
        raise Invalid(_("This enrolment has ended; no tablet can be paired."), "enrolment_ended")
    # One tablet per patient: pairing again (a new or reset tablet) ends the older tokens.
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.patient_id == enrolment.patient_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now))
    issued = issue_token(patient_id=enrolment.patient_id, label=label or "tablet",
                         ttl=device_token_ttl())
    db.session.flush()
    db.session.get(PairingCode, claimed.id).token_id = issued.record.id
    db.session.commit()
    release_throttle(address)
    return issued, enrolment
