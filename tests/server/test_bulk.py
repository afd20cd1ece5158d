"""Bulk writes and streamed reads: the same rows and values as the ORM's, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import String, literal, select
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.models import Notification
from server.models.flags import Flag, open_key
from server.models.notifications import NotificationChannel, NotificationStatus
from server.services.bulk import insert_skipping, update_rows
from server.services.row_stream import stream_rows
from shared.enums import FlagStatus, Role
from shared.rules import FlagKind

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _flag(patient, kind: FlagKind, severity: int = 2) -> Flag:
    flag = Flag(patient_id=patient.id, enrolment_id=patient.enrolments[0].id, kind=kind,
                severity=severity, status=FlagStatus.OPEN, open_key=open_key(patient.id, kind),
                evidence={"week": 1}, opened_at=NOW, updated_at=NOW)
    db.session.add(flag)
    db.session.flush()
    return flag


@pytest.fixture
def patient(factories):
    return factories.active_patient(factories.user(Role.REFERENT))


def _message(patient, key: str, body: str = "Pensez à votre séance") -> dict:
    return {"channel": NotificationChannel.IN_APP, "patient_id": patient.id, "kind": "flag",
            "dedupe_key": key, "body": body, "created_at": NOW,
            "status": NotificationStatus.SENT, "attempts": 0}


def test_update_rows_sets_each_rows_own_columns_and_leaves_the_others(patient):
    adherence, silence = _flag(patient, FlagKind.ADHERENCE), _flag(patient, FlagKind.SILENCE)
    later = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    update_rows(db.session, Flag.__table__, [
        {"id": adherence.id, "evidence": {"week": 2, "sessions": [1, 0]}, "severity": 3},
        {"id": silence.id, "status": FlagStatus.CLEARED, "open_key": None, "closed_at": later,
         "close_reason": "condition_cleared"},
    ])
    db.session.expire_all()
    adherence, silence = db.session.get(Flag, adherence.id), db.session.get(Flag, silence.id)
    assert (adherence.evidence, adherence.severity) == ({"week": 2, "sessions": [1, 0]}, 3)
    assert (adherence.status, adherence.open_key) == (
        FlagStatus.OPEN, open_key(patient.id, FlagKind.ADHERENCE))
    assert (silence.status, silence.open_key, silence.closed_at, silence.severity) == (
        FlagStatus.CLEARED, None, later, 2)
    assert silence.evidence == {"week": 1}


def test_update_rows_that_break_a_constraint_raise_integrity_error(patient):
    flag = _flag(patient, FlagKind.ADHERENCE)
    db.session.commit()
    with pytest.raises(IntegrityError):
        update_rows(db.session, Flag.__table__, [{"id": flag.id, "severity": None}])
    db.session.rollback()
    assert db.session.get(Flag, flag.id).severity == 2


def test_insert_skipping_stores_only_keys_not_stored_nor_repeated_and_counts_them(patient):
    assert insert_skipping(db.session, Notification.__table__, [_message(patient, "a")],
                           unique="dedupe_key") == 1
    rows = [_message(patient, "a", "déjà là"), _message(patient, "b"),
            _message(patient, "c", "premier"), _message(patient, "c", "doublon")]
    assert insert_skipping(db.session, Notification.__table__, rows, unique="dedupe_key") == 2
    stored = {n.dedupe_key: n for n in db.session.scalars(select(Notification))}
    assert sorted(stored) == ["a", "b", "c"]
    assert (stored["a"].body, stored["c"].body) == ("Pensez à votre séance", "premier")
    assert stored["b"].channel == NotificationChannel.IN_APP
    assert stored["b"].created_at == NOW


def test_streamed_rows_are_the_rows_and_values_an_execute_gives(patient):
    for kind in (FlagKind.ADHERENCE, FlagKind.SILENCE, FlagKind.BOOKLET):
        _flag(patient, kind)
    # A "%" in a value written into the statement is sent as one "%", not escaped twice.
    query = (select(Flag.id, Flag.kind, Flag.status, Flag.opened_at, Flag.closed_at,
                    Flag.evidence, Flag.open_key, literal("50 %", String).label("ratio"))
             .where(Flag.patient_id == patient.id, Flag.open_key.like("%:%"),
                    literal("a%b", String) == "a%b")
             .order_by(Flag.id))
    executed = [tuple(row) for row in db.session.execute(query)]
    streamed = list(stream_rows(db.session, query))
    assert len(streamed) == 3
    assert streamed == executed
    assert streamed[0][1] is FlagKind.ADHERENCE
    assert streamed[0][3].tzinfo is not None
    assert streamed[0][7] == "50 %"
