"""Writing the audit trail of staff access to patient records."""

from __future__ import annotations

from collections.abc import Iterable

from flask import has_request_context, request
from sqlalchemy import insert

from server.clock import utcnow
from server.extensions import db
from server.models import AuditEntry, User


def record_access(actor: User, action: str, object_type: str,
                  patient_ids: Iterable[int | None], object_id: object = None) -> None:
    """Add one audit row per patient touched; committed with the caller's transaction."""
    endpoint, ip = "cli", None
    if has_request_context():
        endpoint, ip = f"{request.method} {request.path}"[:120], request.remote_addr
    now = utcnow()
    rows = [
        {"at": now, "actor_id": actor.id, "action": action, "patient_id": pid,
         "object_type": object_type, "object_id": None if object_id is None else str(object_id),
         "endpoint": endpoint, "ip": ip}
        for pid in patient_ids
    ]
    if rows:
        # Into the table rather than through the ORM's bulk insert: the same statement,
        # without its per-row bookkeeping (a queue page writes one row per patient shown).
        db.session.execute(insert(AuditEntry.__table__), rows)
