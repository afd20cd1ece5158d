"""Documents of a patient's file: referral form, test results, consent, syntheses, letters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from server.extensions import db
from server.models.types import StrEnumType, UTCDateTime


class DocumentKind(StrEnum):
    """What a document is, as the coordination team files it."""

    REFERRAL = "referral"  # the fiche navette
    SPIROMETRY = "spirometry"
    BLOOD_GAS = "blood_gas"
    EXERCISE_TEST = "exercise_test"
    CONSENT = "consent"
    SYNTHESIS = "synthesis"
    LETTER = "letter"
    OTHER = "other"


class Document(db.Model):
    """One file attached to a patient's record, stored in the database with its digest."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_patient_uploaded", "patient_id", "uploaded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[DocumentKind] = mapped_column(StrEnumType(DocumentKind))
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: listing a file's documents never loads their bytes.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
