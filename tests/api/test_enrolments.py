"""Registering patients and moving enrolments through the state machine over the API."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import BookletItem, EnrolmentTransition, Prescription, ScheduledContact
from shared.enums import Role

NEW_PATIENT = {
    "first_name": "Marcel", "last_name": "Durand", "birth_date": "1950-02-11", "sex": "M",
    "phone": "+33 6 11 22 33 44", "hr_ceiling": 128,
    "enrolment": {"programme_code": "respiratory_home", "referral_source": "pneumologist"},
}
FULL_DOSSIER = {"prescription": True, "spirometry": True, "blood_gas": True,
                "exercise_test": True}


def _transition(client, headers, enrolment_id, **body):
    return client.post(f"/api/v1/enrolments/{enrolment_id}/transitions", json=body,
                       headers=headers)


def test_referent_registers_a_patient_assigned_to_themselves(client, factories, auth):
    referent = factories.user(Role.REFERENT)
    response = client.post("/api/v1/patients", json=NEW_PATIENT, headers=auth.staff(referent))
    assert response.status_code == 201
    body = response.get_json()
    assert body["referent_id"] == referent.id
    assert body["enrolments"][0]["state"] == "requested"


def test_patient_registration_names_each_bad_field_and_stores_nothing(client, factories, auth):
    bad = {**NEW_PATIENT, "birth_date": "2015-01-01", "sex": "Q", "hr_ceiling": 400,
           "shoe_size": 42,
           "enrolment": {"programme_code": "yoga", "referral_source": "pneumologist"}}
    response = client.post("/api/v1/patients", json=bad,
                           headers=auth.staff(factories.user(Role.COORDINATOR)))
    assert response.status_code == 422
    body = response.get_json()
    errors = body["errors"]["json"]
    assert set(errors) == {"birth_date", "sex", "hr_ceiling", "shoe_size", "enrolment"}
    assert "programme_code" in errors["enrolment"]
    for field in ("birth_date", "sex", "hr_ceiling", "shoe_size", "enrolment.programme_code"):
        assert field in body["message"]
    assert client.get("/api/v1/patients", headers=auth.staff(
        factories.user(Role.COORDINATOR))).get_json() == []


def test_full_lifecycle_to_completion_records_every_step(client, factories, auth, clock):
    coordinator, physician = factories.user(Role.COORDINATOR), factories.user(Role.PHYSICIAN)
    referent = factories.user(Role.REFERENT)
    created = client.post("/api/v1/patients", headers=auth.staff(coordinator),
                          json={**NEW_PATIENT, "referent_id": referent.id,
                                "physician_id": physician.id}).get_json()
    enrolment_id = created["enrolments"][0]["id"]
    staff, doctor = auth.staff(coordinator), auth.staff(physician)

    incomplete = _transition(client, staff, enrolment_id, action="complete_dossier",
                             dossier={"prescription": True})
    assert incomplete.status_code == 409
    assert "spirometry" in incomplete.get_json()["message"]
    assert _transition(client, staff, enrolment_id, action="complete_dossier",
                       dossier=FULL_DOSSIER).status_code == 200
    assert _transition(client, staff, enrolment_id, action="validate").status_code == 403
    assert _transition(client, doctor, enrolment_id, action="validate").status_code == 200
    no_date = _transition(client, staff, enrolment_id, action="start")
    assert no_date.status_code == 422 and "start_date" in no_date.get_json()["errors"]
    started = _transition(client, staff, enrolment_id, action="start",
                          start_date=clock.today().isoformat())
    assert started.status_code == 200 and started.get_json()["state"] == "active"

    contacts = db.session.scalar(select(func.count()).select_from(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment_id))
    assert contacts == 27  # 12 calls, 3 visits, 3 pneumologist, 5 follow-up calls, 4 syntheses
    assert db.session.scalar(select(func.count()).select_from(BookletItem).where(
        BookletItem.enrolment_id == enrolment_id)) == 4
    prescription = db.session.scalar(select(Prescription).where(
        Prescription.enrolment_id == enrolment_id))
    assert (prescription.sessions_min, prescription.sessions_max) == (4, 6)
    assert prescription.hr_target_high == 128

    clock.set(clock.now() + timedelta(weeks=12))
    staff = auth.staff(coordinator)  # the first token expired meanwhile
    assert _transition(client, staff, enrolment_id, action="begin_follow_up").status_code == 200
    assert _transition(client, staff, enrolment_id, action="complete").get_json()["state"] == (
        "completed")
    history = db.session.scalars(select(EnrolmentTransition.to_state).where(
        EnrolmentTransition.enrolment_id == enrolment_id).order_by(EnrolmentTransition.id)).all()
    assert [s.value for s in history] == ["dossier_complete", "validated", "active",
                                          "follow_up", "completed"]


@pytest.mark.parametrize("action", ["validate", "start", "begin_follow_up", "complete"])
def test_impossible_transition_is_409_and_changes_nothing(client, factories, auth, action):
    physician = factories.user(Role.PHYSICIAN)
    patient = factories.patient(factories.user(Role.REFERENT), physician=physician)
    enrolment = patient.enrolments[-1]
    headers = auth.staff(physician if action == "validate" else factories.user(Role.COORDINATOR))
    response = _transition(client, headers, enrolment.id, action=action,
                           start_date="2026-03-02")
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "invalid_transition" and "requested" in body["message"]
    db.session.refresh(enrolment)
    assert enrolment.state == "requested"
    assert db.session.scalar(select(func.count()).select_from(EnrolmentTransition)) == 0


def test_interrupting_needs_a_reason_and_cancels_planned_contacts(client, factories, auth):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    enrolment_id = patient.enrolments[-1].id
    headers = auth.staff(referent)
    refused = _transition(client, headers, enrolment_id, action="interrupt", reason="  ")
    assert refused.status_code == 409 and refused.get_json()["code"] == "reason_required"
    done = _transition(client, headers, enrolment_id, action="interrupt",
                       reason="Hospitalisation prolongée")
    assert done.status_code == 200
    assert done.get_json()["end_reason"] == "Hospitalisation prolongée"
    planned = db.session.scalar(select(func.count()).select_from(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment_id, ScheduledContact.status == "planned"))
    assert planned == 0


def test_start_date_far_in_the_past_is_refused(client, factories, auth, clock):
    physician = factories.user(Role.PHYSICIAN)
    patient = factories.patient(factories.user(Role.REFERENT), physician=physician)
    enrolment_id = patient.enrolments[-1].id
    coordinator = auth.staff(factories.user(Role.COORDINATOR))
    _transition(client, coordinator, enrolment_id, action="complete_dossier",
                dossier=FULL_DOSSIER)
    _transition(client, auth.staff(physician), enrolment_id, action="validate")
    response = _transition(client, coordinator, enrolment_id, action="start",
                           start_date=(clock.today() - timedelta(days=60)).isoformat())
    assert response.status_code == 422
    assert "start_date" in response.get_json()["errors"]


def test_unknown_action_is_422_naming_the_field(client, factories, auth):
    patient = factories.patient(factories.user(Role.REFERENT))
    response = _transition(client, auth.staff(factories.user(Role.COORDINATOR)),
                           patient.enrolments[-1].id, action="teleport")
    assert response.status_code == 422 and "action" in response.get_json()["errors"]["json"]


def test_the_validating_physician_follows_a_patient_who_had_none(factories):
    from server.services.enrolments import apply_transition
    from shared.enrolment import Action

    referent = factories.user(Role.REFERENT)
    patient = factories.patient(referent)
    coordinator, physician = factories.staff(Role.COORDINATOR), factories.staff(Role.PHYSICIAN)
    enrolment = factories.enrolment(patient)
    apply_transition(enrolment, coordinator, Action.COMPLETE_DOSSIER, {"dossier": {
        "prescription": True, "spirometry": True, "blood_gas": True, "exercise_test": True}})
    apply_transition(enrolment, physician, Action.VALIDATE, {})
    assert patient.physician_id == physician.id
    other = factories.user(Role.PHYSICIAN)
    followed = factories.patient(referent, physician=other, first_name="Paul")
    second = factories.enrolment(followed)
    apply_transition(second, coordinator, Action.COMPLETE_DOSSIER, {"dossier": {
        "prescription": True, "spirometry": True, "blood_gas": True, "exercise_test": True}})
    apply_transition(second, physician, Action.VALIDATE, {})
    assert followed.physician_id == other.id
