"""Writing the audit trail of staff access to patient records."""

from __future__ import annotations

from collections.abc import Iterable

from flask import has_request_context, request
from sqlalchemy import Integer, String, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from server.clock import utcnow
from server.extensions import db
from server.models import AuditEntry, User
from server.models.types import UTCDateTime

_TABLE = AuditEntry.__table__
_COLUMNS = ("at", "actor_id", "action", "patient_id", "object_type", "object_id", "endpoint",
            "ip")
# The rows of one access differ only by patient: on PostgreSQL one INSERT ... SELECT over
# the array of their ids, rather than one statement per row (a queue page writes a row
# per patient it shows).
_PER_PATIENT = insert(_TABLE).from_select(_COLUMNS, select(
    bindparam("at", type_=UTCDateTime()), bindparam("actor_id", type_=Integer()),
    bindparam("action", type_=String()),
    func.unnest(bindparam("patient_ids", type_=ARRAY(Integer()))),
    bindparam("object_type", type_=String()), bindparam("object_id", type_=String()),
    bindparam("endpoint", type_=String()), bindparam("ip", type_=String())))


def record_access(actor: User, action: str, object_type: str,
                  patient_ids: Iterable[int | None], object_id: object = None) -> None:
    """Add one audit row per patient touched; committed with the caller's transaction."""
    endpoint, ip = "cli", None
    if has_request_context():
        endpoint, ip = f"{request.method} {request.path}"[:120], request.remote_addr
    row = {"at": utcnow(), "actor_id": actor.id, "action": action, "object_type": object_type,
           "object_id": None if object_id is None else str(object_id), "endpoint": endpoint,
           "ip": ip}
    ids = list(patient_ids)
    if len(ids) > 1 and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_PER_PATIENT, {**row, "patient_ids": ids})
    elif ids:
        # Into the table rather than through the ORM's bulk insert: the same statement,
        # without its per-row bookkeeping.
        db.session.execute(insert(_TABLE), [{**row, "patient_id": pid} for pid in ids])
