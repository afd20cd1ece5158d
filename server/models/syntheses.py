"""The patient's care team and the synthesis documents sent to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import StrEnumType, UTCDateTime
from shared.enums import CareTeamRole, SynthesisKind, SynthesisState


class CareTeamMember(db.Model):
    """A professional around the patient (GP, specialist, physio...): not a user of Reprise."""

    __tablename__ = "care_team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    role: Mapped[CareTeamRole] = mapped_column(StrEnumType(CareTeamRole))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # Declared a secure health messaging address (MSSanté) at entry, on a known domain.
    secure_messaging: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(30))
    postal_address: Mapped[str | None] = mapped_column(Text)
    receives_syntheses: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Removed members are kept (a sent synthesis names them), only hidden.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Synthesis(db.Model):
    """One version of a synthesis document of an enrolment (``shared.synthesis``).

    The text sections are editable while the version is a draft; at validation
    the figures gathered from the record are frozen in ``snapshot`` with the
    text, so the document is the same whenever it is printed. A later change
    makes a new version.
    """

    __tablename__ = "syntheses"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "kind", "version", name="uq_syntheses_version"),
        Index("ix_syntheses_patient_state", "patient_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    kind: Mapped[SynthesisKind] = mapped_column(StrEnumType(SynthesisKind))
    version: Mapped[int]
    state: Mapped[SynthesisState] = mapped_column(StrEnumType(SynthesisState))
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Why this version was started after a validated one, or why it was returned to draft.
    reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cosigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cosigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The PDF as sent, filed in the patient's documents.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))


class SynthesisRecipient(db.Model):
    """Where a sent synthesis went: a secure e-mail in the outbox, or a letter to post."""

    __tablename__ = "synthesis_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    synthesis_id: Mapped[int] = mapped_column(ForeignKey("syntheses.id"), index=True)
    care_team_member_id: Mapped[int] = mapped_column(ForeignKey("care_team_members.id"))
    # "secure_email" or "post"; name and address copied when sent.
    channel: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[CareTeamRole] = mapped_column(StrEnumType(CareTeamRole))
    address: Mapped[str | None] = mapped_column(Text)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
