"""Flags raised by the rupture and safety rules, and every change they went through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import StrEnumType, UTCDateTime
from shared.enums import FlagDecision, FlagStatus
from shared.rules import FlagKind

OPEN_STATUSES = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED, FlagStatus.ESCALATED,
                 FlagStatus.COMMITTEE)


def open_key(patient_id: int, kind: FlagKind | str) -> str:
    """The value that keeps one open flag per patient and kind (NULL once closed)."""
    return f"{patient_id}:{FlagKind(kind).value}"


class Flag(db.Model):
    """Something a person must look at, with the evidence that raised it and an owner."""

    __tablename__ = "flags"
    __table_args__ = (
        # The queue: open flags by severity then age.
        Index("ix_flags_status_severity", "status", "severity", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"))
    kind: Mapped[FlagKind] = mapped_column(StrEnumType(FlagKind))
    severity: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[FlagStatus] = mapped_column(StrEnumType(FlagStatus))
    # "<patient>:<kind>" while open, NULL once closed: the database keeps one open flag per pair.
    open_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    decision: Mapped[FlagDecision | None] = mapped_column(StrEnumType(FlagDecision))
    close_reason: Mapped[str | None] = mapped_column(Text)

    events: Mapped[list[FlagEvent]] = relationship(order_by="FlagEvent.id",
                                                   back_populates="flag")


class FlagEvent(db.Model):
    """One change of a flag: who (None for the sweep), when, what and why."""

    __tablename__ = "flag_events"
    # What people did to flags since the last sweep (the sweep judges those patients again);
    # the sweep's own rows, the many, stay out of it.
    __table_args__ = (
        Index("ix_flag_events_staff_at", "at", postgresql_where=text("actor_id IS NOT NULL"),
              sqlite_where=text("actor_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[FlagStatus | None] = mapped_column(StrEnumType(FlagStatus))
    to_status: Mapped[FlagStatus] = mapped_column(StrEnumType(FlagStatus))
    note: Mapped[str | None] = mapped_column(Text)

    flag: Mapped[Flag] = relationship(back_populates="events")
