"""Patients, their enrolments in a programme, and the enrolments' history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.extensions import db
from server.models.types import StrEnumType, UTCDateTime
from server.models.users import User
from shared.enums import EnrolmentState, WorkStatus
from shared.programmes import ProgrammeTemplate, get_template


class Patient(db.Model):
    """Identity and clinical baseline of a patient."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    # Language of the messages the server sends the patient (reminders); the tablet has its own.
    locale: Mapped[str] = mapped_column(String(5), default="fr", server_default="fr")
    # Hospital identifier (IPP) when the patient has one.
    external_ref: Mapped[str | None] = mapped_column(String(50), unique=True)
    referent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Heart-rate safety: resting band from the GP's consultation, ceiling from the exercise test.
    hr_rest_min: Mapped[int | None]
    hr_rest_max: Mapped[int | None]
    hr_ceiling: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When a write last changed this row (heart-rate limits, referent): see the enrolment's.
    facts_changed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), onupdate=utcnow, index=True)

    referent: Mapped[User | None] = relationship(foreign_keys=[referent_id])
    physician: Mapped[User | None] = relationship(foreign_keys=[physician_id])
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="patient", order_by="Enrolment.id"
    )

    @property
    def display_name(self) -> str:
        """Name as staff read it in lists."""
        return display_name(self.first_name, self.last_name)


def display_name(first_name: str, last_name: str) -> str:
    """A patient's name as staff read it in lists (for queries that select the columns)."""
    return f"{last_name.upper()} {first_name}"


class Enrolment(db.Model):
    """One passage of a patient through a programme, from request to end."""

    __tablename__ = "enrolments"
    __table_args__ = (Index("ix_enrolments_state_patient", "state", "patient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    programme_code: Mapped[str] = mapped_column(String(40))
    state: Mapped[EnrolmentState] = mapped_column(StrEnumType(EnrolmentState))
    referral_source: Mapped[str] = mapped_column(String(40))
    # Shortened home part after an SSR stay; None means the template's length.
    intervention_weeks: Mapped[int | None]
    dossier: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dossier_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    start_date: Mapped[date | None]
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(Text)
    # Last time the tablet sent anything for this enrolment: the silence rule reads it.
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Mean pain EVA of week 1, kept with its activity week (the pain rule reads it).
    pain_baseline: Mapped[float | None]
    # Booklet exercises prescribed per week (its active items), set when the booklet is laid
    # out: the booklet rule reads it for the whole file every day.
    booklet_per_week: Mapped[int] = mapped_column(default=0, server_default="0")
    # Sessions a week the patient committed to at the W12 closing visit: the follow-up
    # target of the tablet and of the follow-up rupture rule (None: the rule's default).
    activity_project_sessions: Mapped[int | None]
    # When a write last changed this row (its state, what the tablet sent, a prescription):
    # the daily sweep judges again only what changed since its last run, and what the day
    # moved on (``server.services.sweep_scope``). Any UPDATE through SQLAlchemy sets it.
    facts_changed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), onupdate=utcnow, index=True)
    # The physician's suspension in force (state SUSPENDED): since when, why, and the day it
    # is to be reviewed. Past suspensions are in the transitions' history.
    suspended_on: Mapped[date | None]
    suspension_review_on: Mapped[date | None]
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    # Where the patient stands with work at inclusion (programmes that track return to work).
    work_status: Mapped[WorkStatus | None] = mapped_column(StrEnumType(WorkStatus))

    patient: Mapped[Patient] = relationship(back_populates="enrolments")

    @property
    def template(self) -> ProgrammeTemplate:
        """The programme template with this enrolment's intervention length."""
        return get_template(self.programme_code, self.intervention_weeks)


class EnrolmentTransition(db.Model):
    """Every change of state of an enrolment: who, when, why."""

    __tablename__ = "enrolment_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[EnrolmentState] = mapped_column(StrEnumType(EnrolmentState))
    to_state: Mapped[EnrolmentState] = mapped_column(StrEnumType(EnrolmentState))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
