"""Writing the audit trail of staff access to patient records."""

from __future__ import annotations

from collections.abc import Iterable

from flask import has_request_context, request

from server.clock import utcnow
from server.extensions import db
from server.models import AuditEntry, User
from server.services.bulk import insert_rows


def record_access(actor: User, action: str, object_type: str,
                  patient_ids: Iterable[int | None], object_id: object = None) -> None:
    """Add one audit row per patient touched; committed with the caller's transaction."""
    endpoint, ip = "cli", None
    if has_request_context():
        endpoint, ip = f"{request.method} {request.path}"[:120], request.remote_addr
    row = {"at": utcnow(), "actor_id": actor.id, "action": action, "object_type": object_type,
           "object_id": None if object_id is None else str(object_id), "endpoint": endpoint,
           "ip": ip}
    # The rows of one access differ only by patient: written in one go (COPY on
    # PostgreSQL), a queue page writing a row per patient it shows.
    insert_rows(db.session, AuditEntry.__table__,
                [{**row, "patient_id": patient_id} for patient_id in patient_ids])
