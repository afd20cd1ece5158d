"""The notification outbox: one row per message to send (e-mail, SMS, voice) or to show (in-app)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import StrEnumType, UTCDateTime


class NotificationChannel(StrEnum):
    """How a message reaches its recipient."""

    IN_APP = "in_app"  # pulled by the tablet, never sent anywhere
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"  # an automated phone call reading the body aloud


class NotificationStatus(StrEnum):
    """Where a message stands in the outbox.

    pending -> sending -> sent; a failed try goes back to pending (with a later
    ``next_attempt_at``) until the last one, which leaves it failed. In-app
    messages are sent (readable) as soon as they are stored, and read once the
    patient opens them.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    READ = "read"


class Notification(db.Model):
    """One message of the outbox, to a member of staff or to a patient."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (patient_id IS NULL)", name="one_recipient"),
        # Only in-app messages may go without an address: the others need somewhere to go.
        CheckConstraint("channel = 'in_app' OR address IS NOT NULL", name="address_to_send"),
        # The delivery worker's claim: due pending messages, oldest first.
        Index("ix_notifications_status_next_attempt", "status", "next_attempt_at"),
        # The tablet's listing: one patient's messages, newest first.
        Index("ix_notifications_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[NotificationChannel] = mapped_column(StrEnumType(NotificationChannel))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    # E-mail address or phone number, copied at enqueue time: the message goes
    # where the recipient could be reached when it was written.
    address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    # Names the message, e.g. "digest:<user id>:<date>": the same key is never stored twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[NotificationStatus] = mapped_column(
        StrEnumType(NotificationStatus), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # When pending: not before this instant. When sending: the claim's lease expiry.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # A document of the patient file sent as an attachment (syntheses to a secure health
    # messaging address); the message then concerns ``patient_id``'s record and goes to a
    # professional of their care team at ``address``.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
