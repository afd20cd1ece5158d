"""Scheduled contacts of the timeline and the weekly training prescription."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import StrEnumType, UTCDateTime
from shared.enums import Channel, ContactKind, ContactStatus, Modality, Phase


class ScheduledContact(db.Model):
    """A call, visit, consultation or synthesis due within a window."""

    __tablename__ = "scheduled_contacts"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "key", name="uq_scheduled_contacts_enrolment_key"),
        Index("ix_scheduled_contacts_status_due", "status", "due_at"),
        # Contacts of a kind in a status (reinforcement visits, syntheses); planned contacts
        # whose window closed.
        Index("ix_scheduled_contacts_kind_status", "kind", "status"),
        Index("ix_scheduled_contacts_status_closes", "status", "window_closes"),
        # The sweep's reinforced enrolments, answered by the index alone (no heap pages).
        # (With the day it was recorded: the daily sweep judges again those recorded since.)
        Index("ix_scheduled_contacts_reinforced", "enrolment_id", "done_at",
              postgresql_where=text("kind = 'reinforcement_visit' AND status = 'done'"),
              sqlite_where=text("kind = 'reinforcement_visit' AND status = 'done'")),
        # The indicators read every recorded hospital stay of the file: a few contacts each.
        Index("ix_scheduled_contacts_hospital_days", "enrolment_id", "kind", "hospital_days",
              postgresql_where=text("hospital_days IS NOT NULL"),
              sqlite_where=text("hospital_days IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up through the (enrolment_id, key) unique index: a status change writes one
    # index entry fewer (the sweep marks thousands missed at once).
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"))
    key: Mapped[str] = mapped_column(String(60))
    kind: Mapped[ContactKind] = mapped_column(StrEnumType(ContactKind))
    phase: Mapped[Phase] = mapped_column(StrEnumType(Phase))
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel))
    week: Mapped[int | None]
    month: Mapped[int | None]
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_opens: Mapped[datetime] = mapped_column(UTCDateTime())
    window_closes: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ContactStatus] = mapped_column(
        StrEnumType(ContactStatus), default=ContactStatus.PLANNED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    # Days in hospital the contact reports (the indicator's "before" and "after"): at the
    # W0 visit those of the 12 months before inclusion, at the W12 visit those since
    # inclusion, at a follow-up call those since the contact before (seed 003 l.3576-3578).
    hospital_days: Mapped[int | None] = mapped_column(SmallInteger)


class Prescription(db.Model):
    """The ergocycle prescription in force from a programme week on."""

    __tablename__ = "prescriptions"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "from_week", name="uq_prescriptions_enrolment_week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    from_week: Mapped[int]
    session_minutes: Mapped[int]
    watts: Mapped[int | None]
    modality: Mapped[Modality] = mapped_column(StrEnumType(Modality))
    # Interval work: seconds of effort and of recovery per block.
    work_s: Mapped[int | None]
    rest_s: Mapped[int | None]
    sessions_min: Mapped[int]
    sessions_max: Mapped[int]
    hr_target_low: Mapped[int | None]
    hr_target_high: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
