"""What staff measure at visits: the endurance test and the visit's structured contents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import StrEnumType, UTCDateTime
from shared.endurance import StopReason


class EnduranceTest(db.Model):
    """A constant-load ergocycle endurance test (W0, W12, or 12 months)."""

    __tablename__ = "endurance_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("scheduled_contacts.id"))
    timepoint: Mapped[str | None] = mapped_column(String(20))
    performed_on: Mapped[date]
    peak_watts: Mapped[int] = mapped_column(SmallInteger)  # peak power of the incremental test
    load_percent: Mapped[int] = mapped_column(SmallInteger)
    load_watts: Mapped[int] = mapped_column(SmallInteger)
    duration_s: Mapped[int]  # time to exhaustion
    hr_start: Mapped[int | None] = mapped_column(SmallInteger)
    hr_end: Mapped[int | None] = mapped_column(SmallInteger)
    borg_start: Mapped[int | None] = mapped_column(SmallInteger)
    borg_end: Mapped[int | None] = mapped_column(SmallInteger)
    stop_reason: Mapped[StopReason] = mapped_column(StrEnumType(StopReason))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VisitReport(db.Model):
    """The structured contents of a W0, W6 or W12 visit (one per contact)."""

    __tablename__ = "visit_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("scheduled_contacts.id"), unique=True)
    timepoint: Mapped[str] = mapped_column(String(20))
    # Objectives (W0); compliance and adaptation (W6); activity project, certificate,
    # ergocycle collected (W12): see ``services.visits.VISIT_FIELDS``.
    contents: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
