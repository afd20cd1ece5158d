"""SQLAlchemy models, one module per area; importing this package registers them all."""

from server.models.activity import (
    ActivityWeek,
    BookletEntry,
    BookletItem,
    ErgoSession,
    HealthEvent,
    QuestionnaireResponse,
    SessionSeries,
)
from server.models.audit import AuditEntry
from server.models.contacts import Prescription, ScheduledContact
from server.models.documents import Document, DocumentKind
from server.models.flags import Flag, FlagEvent
from server.models.indicators import IndicatorSnapshot
from server.models.jobs import JobRun, SweepRun
from server.models.measures import EnduranceTest, VisitReport
from server.models.notifications import Notification
from server.models.patients import Enrolment, EnrolmentTransition, Patient
from server.models.syntheses import CareTeamMember, Synthesis, SynthesisRecipient
from server.models.users import ApiToken, LoginThrottle, PairingCode, User

__all__ = [
    "ActivityWeek",
    "ApiToken",
    "AuditEntry",
    "BookletEntry",
    "BookletItem",
    "CareTeamMember",
    "Document",
    "DocumentKind",
    "EnduranceTest",
    "Enrolment",
    "EnrolmentTransition",
    "ErgoSession",
    "Flag",
    "FlagEvent",
    "HealthEvent",
    "IndicatorSnapshot",
    "JobRun",
    "LoginThrottle",
    "Notification",
    "PairingCode",
    "Patient",
    "Prescription",
    "QuestionnaireResponse",
    "ScheduledContact",
    "SessionSeries",
    "SweepRun",
    "Synthesis",
    "SynthesisRecipient",
    "User",
    "VisitReport",
]
