"""What the patient logs from the tablet: sessions, heart rate, booklet, events, questionnaires.

Every row sent by the tablet carries the client's UUID (``client_id``) and a
digest of its content: the same item sent twice is stored once, and the same
UUID with other content is a conflict.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, SmallInteger, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import StrEnumType, UTCDateTime
from shared.enums import BookletStatus, HealthEventKind, Questionnaire, SessionSource


class _FromTablet:
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    payload_digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ErgoSession(_FromTablet, db.Model):
    """One ergocycle session."""

    __tablename__ = "ergo_sessions"
    __table_args__ = (
        Index("ix_ergo_sessions_enrolment_day", "enrolment_id", "day"),
        # The daily sweep reads the last weeks of the whole active file by day; on
        # PostgreSQL the index carries what it counts, for an index-only scan.
        Index("ix_ergo_sessions_day", "day",
              postgresql_include=["enrolment_id", "dyspnoea", "pain_eva", "hr_rest", "hr_max",
                                  "safety_flag_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Local calendar day (programme time zone) of started_at: weekly counts group on it.
    day: Mapped[date]
    duration_s: Mapped[int]
    resistance: Mapped[int | None] = mapped_column(SmallInteger)
    watts: Mapped[int | None] = mapped_column(SmallInteger)
    distance_km: Mapped[float | None]
    hr_rest: Mapped[int | None] = mapped_column(SmallInteger)
    hr_mean: Mapped[int | None] = mapped_column(SmallInteger)
    hr_max: Mapped[int | None] = mapped_column(SmallInteger)
    dyspnoea: Mapped[int | None] = mapped_column(SmallInteger)
    effort: Mapped[int | None] = mapped_column(SmallInteger)
    pain_eva: Mapped[int | None] = mapped_column(SmallInteger)
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[SessionSource] = mapped_column(StrEnumType(SessionSource))
    hr_sample_count: Mapped[int] = mapped_column(default=0)
    # From the samples against the prescribed zone in force that week (None without both).
    hr_in_zone_s: Mapped[int | None]
    hr_above_ceiling_s: Mapped[int | None]
    # The heart-rate safety flag that reported this session, once one did.
    safety_flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id"))


class SessionSeries(db.Model):
    """One signal of a session (heart rate, power), all its samples in one row.

    ``offsets`` and ``values`` are packed little-endian 16-bit arrays
    (:mod:`server.services.samples`): a 30-minute session at 1 Hz is 7 kB in
    one row instead of 1,800 rows.
    """

    __tablename__ = "session_series"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("ergo_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    signal: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int]
    offsets: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)


class BookletItem(db.Model):
    """An exercise prescribed in a patient's booklet."""

    __tablename__ = "booklet_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    title_fr: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(120))
    description_fr: Mapped[str] = mapped_column(Text)
    repetitions: Mapped[int]
    sets: Mapped[int]
    per_week: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)


class BookletEntry(_FromTablet, db.Model):
    """The patient's report on one booklet exercise on one day."""

    __tablename__ = "booklet_entries"
    __table_args__ = (
        Index("ix_booklet_entries_enrolment_day", "enrolment_id", "day"),
        Index("ix_booklet_entries_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("booklet_items.id"))
    day: Mapped[date]
    status: Mapped[BookletStatus] = mapped_column(StrEnumType(BookletStatus))
    pain_eva: Mapped[int | None] = mapped_column(SmallInteger)
    notes: Mapped[str | None] = mapped_column(Text)


class HealthEvent(_FromTablet, db.Model):
    """A health event reported by the patient (or recorded by the referent)."""

    __tablename__ = "health_events"
    # The events no flag reported yet: the sweep reads them every day, and they are few.
    __table_args__ = (
        Index("ix_health_events_unreported", "enrolment_id",
              postgresql_where=text("flag_id IS NULL"), sqlite_where=text("flag_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    kind: Mapped[HealthEventKind] = mapped_column(StrEnumType(HealthEventKind))
    occurred_on: Mapped[date]
    description: Mapped[str | None] = mapped_column(Text)
    warning_signs: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The flag that reported this event, once one did.
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id"))


class QuestionnaireResponse(_FromTablet, db.Model):
    """Answers to a questionnaire, scored by the server (``shared.instruments``).

    Filled on the tablet, or entered by staff at a visit (``recorded_by_id``
    set, with the visit's contact); ``timepoint`` is the window it answers
    (W0, W6, W12, M12 or ``week:N``), None when answered outside any.
    """

    __tablename__ = "questionnaire_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    instrument: Mapped[Questionnaire] = mapped_column(StrEnumType(Questionnaire))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    score: Mapped[float | None]
    domain_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    category: Mapped[str | None] = mapped_column(String(20))
    timepoint: Mapped[str | None] = mapped_column(String(20))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("scheduled_contacts.id"))


class ActivityWeek(db.Model):
    """What one enrolment logged in one programme week, kept up to date at ingest.

    Derived from ``ergo_sessions`` and ``booklet_entries`` (recomputed, never
    incremented, by ``services.activity_weeks``), so that the daily sweep reads
    three rows per patient instead of re-counting four weeks of raw sessions.
    Measures, never judgements: the dyspnoea scores are kept as a histogram
    (sessions at each level of the 0-10 scale), and the rules' thresholds are
    applied when the weeks are read, so that changing one applies to past weeks.
    """

    __tablename__ = "activity_weeks"
    __table_args__ = (
        # The sweep reads the last weeks of the whole file by their start day.
        Index("ix_activity_weeks_week_start", "week_start",
              postgresql_include=["enrolment_id", "sessions", "pain_sum", "pain_count",
                                  "booklet_credit", "hr_max_peak", "hr_rest_low",
                                  "hr_rest_high", "active_days",
                                  *[f"dyspnoea_{n}" for n in range(11)]]),
    )

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), primary_key=True)
    week: Mapped[int] = mapped_column(primary_key=True)  # programme week, 1 on the start day
    week_start: Mapped[date]
    sessions: Mapped[int] = mapped_column(default=0)
    pain_sum: Mapped[int] = mapped_column(default=0)
    pain_count: Mapped[int] = mapped_column(default=0)
    booklet_credit: Mapped[float] = mapped_column(default=0.0)  # done 1, partly done 0.5
    hr_max_peak: Mapped[int | None] = mapped_column(SmallInteger)
    hr_rest_low: Mapped[int | None] = mapped_column(SmallInteger)
    hr_rest_high: Mapped[int | None] = mapped_column(SmallInteger)
    # Sessions scored n/10 of dyspnoea (the scale's 11 levels); unscored ones are not counted.
    dyspnoea_0: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_1: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_2: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_3: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_4: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_5: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_6: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_7: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_8: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_9: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    dyspnoea_10: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    # Days with a session or a booklet exercise done: booklet-centred programmes count these.
    active_days: Mapped[int] = mapped_column(default=0, server_default="0")
