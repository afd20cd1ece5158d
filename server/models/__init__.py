"""SQLAlchemy models, one module per area; importing this package registers them all."""

from server.models.activity import (
    BookletEntry,
    BookletItem,
    ErgoSession,
    HealthEvent,
    HeartRateSample,
    QuestionnaireResponse,
)
from server.models.audit import AuditEntry
from server.models.contacts import Prescription, ScheduledContact
from server.models.notifications import Notification
from server.models.patients import Enrolment, EnrolmentTransition, Patient
from server.models.users import ApiToken, PairingCode, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "BookletEntry",
    "BookletItem",
    "Enrolment",
    "EnrolmentTransition",
    "ErgoSession",
    "HealthEvent",
    "HeartRateSample",
    "Notification",
    "PairingCode",
    "Patient",
    "Prescription",
    "QuestionnaireResponse",
    "ScheduledContact",
    "User",
]
