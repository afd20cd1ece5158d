"""No IDOR: every endpoint refuses another patient's ids, and every staff access is audited."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import ApiToken, AuditEntry, ErgoSession
from shared.enums import Role

STAFF_PATHS = [
    ("GET", "/api/v1/patients/{patient}"),
    ("GET", "/api/v1/patients/{patient}/devices"),
    ("GET", "/api/v1/patients/{patient}/fhir"),
    ("POST", "/api/v1/patients/{patient}/devices/{device}/revoke"),
    ("GET", "/api/v1/enrolments/{enrolment}"),
    ("POST", "/api/v1/enrolments/{enrolment}/transitions"),
    ("POST", "/api/v1/enrolments/{enrolment}/pairing-code"),
]


@pytest.fixture
def two_referents(factories, auth):
    mine, theirs = factories.user(Role.REFERENT), factories.user(Role.REFERENT)
    other = factories.active_patient(theirs)
    auth.device(other)
    device_id = db.session.scalar(select(ApiToken.id).where(ApiToken.patient_id == other.id))
    ids = {"patient": other.id, "enrolment": other.enrolments[-1].id, "device": device_id}
    return mine, theirs, ids


@pytest.mark.parametrize(("method", "path"), STAFF_PATHS)
def test_referent_cannot_reach_another_referents_patient(client, auth, two_referents, method,
                                                         path):
    mine, _theirs, ids = two_referents
    response = client.open(path.format(**ids), method=method, headers=auth.staff(mine),
                           json={"action": "interrupt", "reason": "x"} if method == "POST"
                           else None)
    assert response.status_code == 404
    assert str(ids["patient"]) not in response.get_data(as_text=True).replace(
        path.format(**ids), "")


@pytest.mark.parametrize(("method", "path"), STAFF_PATHS)
def test_admin_sees_no_patient_data(client, factories, auth, two_referents, method, path):
    _mine, _theirs, ids = two_referents
    response = client.open(path.format(**ids), method=method,
                           headers=auth.staff(factories.user(Role.ADMIN)),
                           json={"action": "interrupt", "reason": "x"} if method == "POST"
                           else None)
    assert response.status_code == 404


def test_referent_lists_only_their_patients_and_coordinator_all(client, factories, auth,
                                                                two_referents):
    mine, theirs, ids = two_referents
    own = factories.active_patient(mine)
    listed = [p["id"] for p in client.get("/api/v1/patients", headers=auth.staff(mine)).json]
    assert listed == [own.id]
    everyone = client.get("/api/v1/patients",
                          headers=auth.staff(factories.user(Role.COORDINATOR))).json
    assert {p["id"] for p in everyone} == {own.id, ids["patient"]}


def test_physician_reads_their_patients_but_cannot_change_records(client, factories, auth):
    physician = factories.user(Role.PHYSICIAN)
    patient = factories.active_patient(factories.user(Role.REFERENT), physician=physician)
    headers = auth.staff(physician)
    assert client.get(f"/api/v1/patients/{patient.id}", headers=headers).status_code == 200
    response = client.post(f"/api/v1/enrolments/{patient.enrolments[-1].id}/pairing-code",
                           headers=headers)
    assert response.status_code == 403


def test_device_token_only_reaches_its_own_patients_data(client, factories, auth, clock):
    referent = factories.user(Role.REFERENT)
    alice, bob = factories.active_patient(referent), factories.active_patient(referent)
    session = {"id": str(uuid.uuid4()), "duration_s": 600,
               "started_at": (clock.now() - timedelta(hours=2)).isoformat()}
    client.post("/api/v1/me/sessions", json={"items": [session]}, headers=auth.device(alice))
    # Bob's tablet replaying Alice's UUID neither reads nor overwrites her session.
    replay = client.post("/api/v1/me/sessions", json={"items": [session]},
                         headers=auth.device(bob))
    assert replay.status_code == 409
    assert db.session.scalar(select(ErgoSession.patient_id)) == alice.id
    progress = client.get("/api/v1/me/progress", headers=auth.device(bob)).json
    assert progress["total_sessions"] == 0


def test_every_staff_read_and_write_of_a_patient_is_audited(client, factories, auth):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    headers = auth.staff(referent)
    client.get("/api/v1/patients", headers=headers)
    client.get(f"/api/v1/patients/{patient.id}", headers=headers)
    client.post(f"/api/v1/enrolments/{patient.enrolments[-1].id}/pairing-code", headers=headers)
    client.post(f"/api/v1/enrolments/{patient.enrolments[-1].id}/transitions", headers=headers,
                json={"action": "complete"})  # refused by the state machine, still audited
    rows = db.session.execute(select(AuditEntry.action, AuditEntry.object_type,
                                     AuditEntry.endpoint, AuditEntry.actor_id)
                              .where(AuditEntry.patient_id == patient.id)
                              .order_by(AuditEntry.id)).all()
    assert [(r.action, r.object_type) for r in rows] == [
        ("read", "patient_list"), ("read", "patient"), ("write", "enrolment"),
        ("transition", "enrolment")]
    assert all(r.actor_id == referent.id for r in rows)
    assert rows[1].endpoint == f"GET /api/v1/patients/{patient.id}"


def test_a_list_audits_one_full_row_per_patient_it_shows(client, factories, auth):
    # One statement for all of them on PostgreSQL, one row each on SQLite: the same rows.
    referent = factories.user(Role.REFERENT)
    patients = [factories.patient(referent, first_name=name) for name in ("Ana", "Ben", "Cy")]
    client.get("/api/v1/patients", headers=auth.staff(referent))
    rows = db.session.execute(select(AuditEntry).where(
        AuditEntry.object_type == "patient_list")).scalars().all()
    assert sorted(r.patient_id for r in rows) == sorted(p.id for p in patients)
    assert {(r.actor_id, r.action, r.object_id, r.endpoint, r.at) for r in rows} == {
        (referent.id, "read", None, "GET /api/v1/patients", rows[0].at)}
    assert rows[0].at is not None and rows[0].at.tzinfo is not None


def test_refused_access_leaves_no_audit_row_for_the_patient(client, factories, auth):
    other = factories.active_patient(factories.user(Role.REFERENT))
    client.get(f"/api/v1/patients/{other.id}", headers=auth.staff(factories.user(Role.REFERENT)))
    assert db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.patient_id == other.id)) is None
