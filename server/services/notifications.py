"""The notification outbox: enqueue each message once, deliver it at most once, list in-app ones.

Jobs write messages with :func:`enqueue` or :func:`enqueue_many` in their own
transaction; a message is named by its ``dedupe_key`` and the same key is
never stored twice, so a job that runs again enqueues nothing new.

:func:`deliver_pending` sends what is due. It claims messages (pending ->
sending) in one committed statement before sending any, so two workers never
claim the same message; each message is sent in its own try: a failure is
retried later with exponential back-off and jitter, and after
``MAX_ATTEMPTS`` tries the message is left failed. Delivery is at most once:
a message found still "sending" after its lease (its worker died mid-send) is
marked failed rather than sent again, because the provider may already have
it.

In-app messages are not sent anywhere: they are readable by the tablet as
soon as they are stored (status sent) and become read when the patient
opens them.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from server.clock import utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import Document, Notification, Patient, User
from server.models.notifications import NotificationChannel, NotificationStatus
from server.services.bulk import insert_skipping
from server.services.channels import Attachment, Channel, Outgoing, configured_channels
from server.services.errors import Invalid, NotFound

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
JITTER = 0.2  # up to +20 %: workers retrying after one outage do not all come back at once
# How long a claimed message belongs to its worker; renewed before each send,
# so it only has to outlast one send (SMTP and webhook timeouts are seconds).
SENDING_LEASE = timedelta(minutes=15)
DEFAULT_BATCH = 100
MAX_PAGE = 100
_LOOKUP_CHUNK = 5000  # ids per IN (...) list: far below PostgreSQL's 65,535 parameters

_table = Notification.__table__
_rng = random.Random()


@dataclass(frozen=True)
class NewMessage:
    """A message to enqueue, to exactly one recipient: a staff user or a patient.

    ``address`` may be left out for e-mail, SMS and voice: it is then taken
    from the recipient (the user's or patient's e-mail, the patient's phone).
    """

    channel: NotificationChannel
    kind: str
    body: str
    dedupe_key: str
    user_id: int | None = None
    patient_id: int | None = None
    subject: str = ""
    address: str | None = None
    # A document of the patient file to attach (e-mail only).
    document_id: int | None = None

    def __post_init__(self) -> None:
        # Programming errors of the calling job, not input from a person: plain ValueError.
        object.__setattr__(self, "channel", NotificationChannel(self.channel))
        if (self.user_id is None) == (self.patient_id is None):
            raise ValueError("a message goes to exactly one of user_id or patient_id")
        if not 0 < len(self.dedupe_key) <= 200:
            raise ValueError("dedupe_key must have 1 to 200 characters")
        if not 0 < len(self.kind) <= 40:
            raise ValueError("kind must have 1 to 40 characters")
        if len(self.subject) > 200:
            raise ValueError("subject must have at most 200 characters")
        if self.document_id is not None and self.channel != NotificationChannel.EMAIL:
            raise ValueError("only an e-mail carries a document")


def enqueue(*, channel: NotificationChannel | str, kind: str, body: str, dedupe_key: str,
            user_id: int | None = None, patient_id: int | None = None, subject: str = "",
            address: str | None = None, document_id: int | None = None) -> Notification:
    """Store one message unless its ``dedupe_key`` is already stored; return the stored row.

    On a duplicate key the existing message is returned unchanged. Runs in the
    caller's transaction: nothing is committed here.
    """
    message = NewMessage(channel=NotificationChannel(channel), kind=kind, body=body,
                         dedupe_key=dedupe_key, user_id=user_id, patient_id=patient_id,
                         subject=subject, address=address, document_id=document_id)
    enqueue_many([message])
    return db.session.scalars(
        select(Notification).where(Notification.dedupe_key == dedupe_key)).one()


def enqueue_many(messages: Iterable[NewMessage | Mapping[str, Any]]) -> int:
    """Store many messages in one INSERT, skipping keys already stored; return how many are new.

    For jobs over the whole active file. ``messages`` are :class:`NewMessage`
    or mappings of its fields. Runs in the caller's transaction (not committed).
    Raises :class:`Invalid` if a message that must be sent has no address.
    """
    unique: dict[str, NewMessage] = {}
    for item in messages:
        message = item if isinstance(item, NewMessage) else NewMessage(**item)
        # The first of two messages with one key wins, as if enqueued one after the other.
        unique.setdefault(message.dedupe_key, message)
    if not unique:
        return 0
    batch = _with_addresses(list(unique.values()))
    now = utcnow()
    return insert_skipping(db.session, _table, [_row(message, now) for message in batch],
                           unique="dedupe_key")


def _row(message: NewMessage, now: datetime) -> dict[str, Any]:
    in_app = message.channel == NotificationChannel.IN_APP
    return {
        "channel": message.channel,
        "user_id": message.user_id,
        "patient_id": message.patient_id,
        "address": message.address,
        "subject": message.subject,
        "body": message.body,
        "kind": message.kind,
        "dedupe_key": message.dedupe_key,
        "created_at": now,
        # In-app messages are delivered by being stored: the tablet reads them from here.
        "status": NotificationStatus.SENT if in_app else NotificationStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": None if in_app else now,
        "sent_at": now if in_app else None,
        "read_at": None,
        "last_error": None,
        "document_id": message.document_id,
    }


def _with_addresses(messages: list[NewMessage]) -> list[NewMessage]:
    """Fill in missing addresses from the recipients, in two queries for the whole batch."""
    missing = [m for m in messages
               if m.address is None and m.channel != NotificationChannel.IN_APP]
    if not missing:
        return messages
    users = dict(_lookup(select(User.id, User.email), User.id,
                         {m.user_id for m in missing if m.user_id is not None}))
    patients = {row.id: row for row in _lookup(
        select(Patient.id, Patient.email, Patient.phone), Patient.id,
        {m.patient_id for m in missing if m.patient_id is not None})}
    filled: list[NewMessage] = []
    errors: dict[str, Any] = {}
    for message in messages:
        address = message.address
        if address is None and message.channel != NotificationChannel.IN_APP:
            address = _recipient_address(message, users, patients)
            if not address:
                errors[message.dedupe_key] = {"address": [_(
                    "The recipient has no address for this channel.")]}
        filled.append(replace(message, address=address))
    if errors:
        raise Invalid(_("Some messages cannot be sent:"), "no_address", {"messages": errors})
    return filled


def _recipient_address(message: NewMessage, users: Mapping[int, str],
                       patients: Mapping[int, Any]) -> str | None:
    if message.user_id is not None:
        # Staff accounts carry no phone number: they are reached by e-mail only.
        return users.get(message.user_id) if message.channel == NotificationChannel.EMAIL else None
    patient = patients.get(message.patient_id)
    if patient is None:
        return None
    return patient.email if message.channel == NotificationChannel.EMAIL else patient.phone


def _lookup(query: Any, key: Any, ids: set[int]) -> list[Any]:
    ordered = sorted(ids)
    rows: list[Any] = []
    for start in range(0, len(ordered), _LOOKUP_CHUNK):
        rows.extend(db.session.execute(
            query.where(key.in_(ordered[start:start + _LOOKUP_CHUNK]))).all())
    return rows


@dataclass
class DeliveryReport:
    """What one :func:`deliver_pending` run did, by notification id."""

    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        """Counts, for logs and CLI summaries."""
        return {"sent": len(self.sent), "retried": len(self.retried),
                "failed": len(self.failed), "abandoned": len(self.abandoned)}


def backoff_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Wait after the ``attempts``-th failed try: 1 min, 2, 4... capped at 1 h, plus jitter."""
    base = min(MAX_DELAY, BASE_DELAY * 2 ** max(attempts - 1, 0))
    return base * (1 + (rng or _rng).uniform(0, JITTER))


def deliver_pending(limit: int = DEFAULT_BATCH, *,
                    channels: Mapping[NotificationChannel, Channel] | None = None,
                    rng: random.Random | None = None,
                    max_attempts: int = MAX_ATTEMPTS) -> DeliveryReport:
    """Send up to ``limit`` due messages through ``channels`` (default: the configured ones).

    Commits its own transactions: the claim first, then each message's
    outcome, so that a crash loses at most the outcome of the message being
    sent (which is then never resent). Messages of channels missing from
    ``channels`` are left pending. Safe to run in several processes at once.
    Messages are sent one after the other: a provider that does not answer
    delays the rest of the run by its timeout (seconds), no more.
    """
    if channels is None:
        channels = configured_channels(current_app.config)
    rng = rng or _rng
    report = DeliveryReport(abandoned=_fail_abandoned())
    for message in _claim(limit, set(channels)):
        if not _renew_lease(message.id):
            continue
        try:
            channels[message.channel].send(message)
        # Any error of one message (refused, timeout, bad address, a bug in a
        # channel) is that message's: record it and go on with the others.
        except Exception as exc:
            logger.warning("notification %s (%s) failed on try %s: %s", message.id,
                           message.channel, message.attempts + 1, exc)
            if _record_failure(message, exc, rng, max_attempts):
                report.failed.append(message.id)
            else:
                report.retried.append(message.id)
        else:
            _record_success(message)
            report.sent.append(message.id)
    return report


def _claim(limit: int, channels: set[NotificationChannel]) -> list[Outgoing]:
    """Mark up to ``limit`` due messages as sending, for this worker only, and commit."""
    channels.discard(NotificationChannel.IN_APP)
    if not channels or limit < 1:
        return []
    now = utcnow()
    t = _table.c
    due = (
        select(t.id)
        .where(t.status == NotificationStatus.PENDING, t.next_attempt_at <= now,
               t.channel.in_(sorted(channels)))
        .order_by(t.next_attempt_at, t.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Lock the due rows, skipping those another worker is claiming, then update
        # them. Not as a subquery of the UPDATE: PostgreSQL may re-run such a
        # subquery per row, and with SKIP LOCKED each run finds new rows, so more
        # than ``limit`` would be claimed.
        chosen: Any = db.session.scalars(due.with_for_update(skip_locked=True)).all()
    else:
        # SQLite serialises writers: one UPDATE over the due rows is atomic on its own.
        chosen = due
    rows = db.session.execute(
        update(_table)
        # status is checked again: a row claimed meanwhile is not claimed twice.
        .where(t.id.in_(chosen), t.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.SENDING, next_attempt_at=now + SENDING_LEASE)
        .returning(t.id, t.channel, t.address, t.subject, t.body, t.kind, t.dedupe_key,
                   t.attempts, t.document_id)
    ).all()
    attachments = _attachments({row.document_id for row in rows if row.document_id})
    db.session.commit()
    return sorted((Outgoing(**{k: v for k, v in row._asdict().items() if k != "document_id"},
                            attachment=attachments.get(row.document_id))
                   for row in rows), key=lambda m: m.id)


def _attachments(document_ids: set[int]) -> dict[int, Attachment]:
    """The claimed messages' documents, read once before sending: channels never touch the
    database."""
    if not document_ids:
        return {}
    return {row.id: Attachment(row.filename, row.content_type, row.content)
            for row in db.session.execute(
                select(Document.id, Document.filename, Document.content_type, Document.content)
                .where(Document.id.in_(sorted(document_ids))))}


def _renew_lease(message_id: int) -> bool:
    # Whether the message is still ours: a worker slowed down past its lease
    # may have had it declared abandoned; then it must not be sent.
    renewed = db.session.execute(
        update(_table)
        .where(_table.c.id == message_id, _table.c.status == NotificationStatus.SENDING)
        .values(next_attempt_at=utcnow() + SENDING_LEASE)
        .returning(_table.c.id)
    ).first()
    db.session.commit()
    return renewed is not None


def _fail_abandoned() -> list[int]:
    ids = db.session.scalars(
        update(_table)
        .where(_table.c.status == NotificationStatus.SENDING,
               _table.c.next_attempt_at <= utcnow())
        .values(status=NotificationStatus.FAILED, next_attempt_at=None,
                last_error="interrupted while sending: not retried, the recipient may "
                           "already have it")
        .returning(_table.c.id)
    ).all()
    db.session.commit()
    if ids:
        logger.error("notifications %s were abandoned while sending; marked failed", ids)
    return list(ids)


def _record_success(message: Outgoing) -> None:
    _finish(message, status=NotificationStatus.SENT, attempts=message.attempts + 1,
            sent_at=utcnow(), next_attempt_at=None, last_error=None)


def _record_failure(message: Outgoing, exc: Exception, rng: random.Random,
                    max_attempts: int) -> bool:
    """Put the message back with a later try, or fail it; whether it failed for good."""
    attempts = message.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if attempts >= max_attempts:
        _finish(message, status=NotificationStatus.FAILED, attempts=attempts,
                next_attempt_at=None, last_error=error)
        return True
    _finish(message, status=NotificationStatus.PENDING, attempts=attempts,
            next_attempt_at=utcnow() + backoff_delay(attempts, rng), last_error=error)
    return False


def _finish(message: Outgoing, **values: Any) -> None:
    db.session.execute(
        update(_table)
        .where(_table.c.id == message.id, _table.c.status == NotificationStatus.SENDING)
        .values(**values)
    )
    db.session.commit()


def _in_app_of(patient_id: int) -> Any:
    return and_(Notification.patient_id == patient_id,
                Notification.channel == NotificationChannel.IN_APP)


def list_in_app(patient_id: int, *, since: datetime | None = None,
                before_id: int | None = None, limit: int = 50) -> dict[str, Any]:
    """The patient's in-app messages, newest first: ``{"items", "has_more", "unread"}``.

    ``since`` keeps the messages created after that instant (the tablet's
    poll); ``before_id`` continues a listing after its last item (older
    pages). ``unread`` counts all unread messages, whatever the page.
    """
    query = select(Notification).where(_in_app_of(patient_id))
    if since is not None:
        query = query.where(Notification.created_at > since)
    if before_id is not None:
        cursor = db.session.scalar(
            select(Notification.created_at).where(_in_app_of(patient_id),
                                                  Notification.id == before_id))
        if cursor is None:
            raise Invalid(_("Invalid request:"), "unknown_cursor",
                          {"before_id": [_("No such notification.")]})
        query = query.where(or_(
            Notification.created_at < cursor,
            and_(Notification.created_at == cursor, Notification.id < before_id)))
    rows: Sequence[Notification] = db.session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit + 1)).all()
    unread = db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(_in_app_of(patient_id), Notification.read_at.is_(None)))
    return {"items": rows[:limit], "has_more": len(rows) > limit, "unread": unread}


def mark_read(patient_id: int, notification_id: int) -> Notification:
    """Mark one of the patient's in-app messages read (again: no change) and commit.

    Another patient's message, or one that is not in-app, is not found.
    """
    notification = db.session.scalar(
        select(Notification).where(_in_app_of(patient_id), Notification.id == notification_id))
    if notification is None:
        raise NotFound(_("No such notification."), "notification_not_found")
    if notification.read_at is None:
        notification.read_at = utcnow()
        notification.status = NotificationStatus.READ
    db.session.commit()
    return notification
