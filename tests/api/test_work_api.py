"""The referent's queue, flag actions and call recording over the API, with access rules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEntry, HealthEvent, Prescription, ScheduledContact
from server.models.flags import Flag
from server.services.sweep import sweep
from shared.enums import ContactKind, ContactStatus, EnrolmentState, FlagStatus, Role
from shared.rules import FlagKind
from tests.conftest import TODAY


@pytest.fixture
def team(factories):
    """Two referents, a physician, and a patient of the first referent with open flags."""
    referent = factories.user(Role.REFERENT)
    other = factories.user(Role.REFERENT)
    physician = factories.user(Role.PHYSICIAN)
    patient = factories.active_patient(referent, physician=physician)
    start = TODAY - timedelta(days=14)
    factories.sessions(patient, [start + timedelta(days=i) for i in (0, 1, 2, 3, 4, 7)])
    sweep(TODAY)
    return referent, other, physician, patient


def flag_id(patient, kind: FlagKind) -> int:
    return db.session.scalar(select(Flag.id).where(Flag.patient_id == patient.id,
                                                   Flag.kind == kind))


def test_queue_lists_due_contacts_then_flags_by_severity_then_age(client, auth, team, clock):
    referent, _other, _physician, patient = team
    body = client.get("/api/v1/queue", headers=auth.staff(referent)).get_json()
    severities = [f["severity"] for f in body["flags"]]
    assert severities == sorted(severities, reverse=True) and severities
    adherence = next(f for f in body["flags"] if f["kind"] == "adherence")
    assert adherence["summary"] == "Semaine 2 : 1 séance(s), minimum 4."
    assert adherence["patient_name"] == "MARTIN Jeanne"
    # The sweep marked the past calls missed; the initial synthesis is still in its window.
    assert [c["kind"] for c in body["contacts"]] == ["synthesis"]
    call = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.kind == ContactKind.WEEKLY_CALL, ScheduledContact.week == 3)).one()
    clock.set(call.due_at + timedelta(hours=2))
    due = client.get("/api/v1/queue", headers=auth.staff(referent)).get_json()["contacts"]
    assert [(c["id"], c["patient_id"], c["overdue"]) for c in due if c["kind"] != "synthesis"
            ] == [(call.id, patient.id, True)]
    # The initial synthesis, due a week after the start and not sent, waits in the queue too.
    assert [(c["kind"], c["overdue"]) for c in due][0] == ("synthesis", True)


def test_queue_filters_by_phase(client, auth, team):
    referent = team[0]
    follow_up = client.get("/api/v1/queue?phase=follow_up", headers=auth.staff(referent))
    assert follow_up.get_json()["flags"] == [] and follow_up.get_json()["contacts"] == []
    limited = client.get("/api/v1/queue?limit=1", headers=auth.staff(referent))
    assert limited.status_code == 200 and len(limited.get_json()["flags"]) <= 1
    bad = client.get("/api/v1/queue?phase=later", headers=auth.staff(referent))
    assert bad.status_code == 422 and "phase" in bad.get_json()["errors"]["query"]


def test_a_referent_sees_and_acts_only_on_their_patients(client, auth, team):
    _referent, other, _physician, patient = team
    assert client.get("/api/v1/queue", headers=auth.staff(other)).get_json()["flags"] == []
    fid = flag_id(patient, FlagKind.ADHERENCE)
    for path in ("acknowledge", "resolve", "escalate", "committee"):
        response = client.post(f"/api/v1/flags/{fid}/{path}", json={"note": "x"},
                               headers=auth.staff(other))
        assert response.status_code == 404, path
    assert client.get(f"/api/v1/patients/{patient.id}/flags",
                      headers=auth.staff(other)).status_code == 404
    contact = db.session.scalars(select(ScheduledContact)).first()
    assert client.post(f"/api/v1/contacts/{contact.id}/record", json={"reached": False},
                       headers=auth.staff(other)).status_code == 404
    db.session.refresh(db.session.get(Flag, fid))
    assert db.session.get(Flag, fid).status == FlagStatus.OPEN


def test_acknowledge_then_resolve_with_a_note_records_who_and_why(client, auth, team):
    referent, _other, _physician, patient = team
    fid = flag_id(patient, FlagKind.ADHERENCE)
    headers = auth.staff(referent)
    assert client.post(f"/api/v1/flags/{fid}/acknowledge", json={},
                       headers=headers).get_json()["status"] == "acknowledged"
    again = client.post(f"/api/v1/flags/{fid}/acknowledge", json={}, headers=headers)
    assert again.status_code == 409
    no_note = client.post(f"/api/v1/flags/{fid}/resolve", json={"note": " "}, headers=headers)
    assert no_note.status_code == 422 and "note" in no_note.get_json()["errors"]
    done = client.post(f"/api/v1/flags/{fid}/resolve",
                       json={"note": "Grippe, reprise la semaine prochaine."}, headers=headers)
    body = done.get_json()
    assert body["status"] == "resolved" and body["close_reason"].startswith("Grippe")
    assert [(e["action"], e["actor_id"]) for e in body["events"]] == [
        ("opened", None), ("acknowledge", referent.id), ("resolve", referent.id)]
    audited = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "flag", AuditEntry.actor_id == referent.id))
    assert audited >= 2


def test_escalation_reaches_the_physician_who_decides(client, auth, team):
    referent, _other, physician, patient = team
    fid = flag_id(patient, FlagKind.ADHERENCE)
    escalated = client.post(f"/api/v1/flags/{fid}/escalate", json={"note": "Essoufflement"},
                            headers=auth.staff(referent)).get_json()
    assert escalated["status"] == "escalated" and escalated["escalated_to_id"] == physician.id
    queue = client.get("/api/v1/queue", headers=auth.staff(physician)).get_json()
    assert [f["id"] for f in queue["flags"]] == [fid] and queue["contacts"] == []
    refused = client.post(f"/api/v1/flags/{fid}/decide", json={"decision": "continue"},
                          headers=auth.staff(referent))
    assert refused.status_code == 403
    decided = client.post(f"/api/v1/flags/{fid}/decide",
                          json={"decision": "continue", "note": "Poursuivre, même charge."},
                          headers=auth.staff(physician)).get_json()
    assert decided["status"] == "resolved" and decided["decision"] == "continue"


def test_interrupt_decision_ends_the_enrolment(client, auth, team):
    referent, _other, physician, patient = team
    fid = flag_id(patient, FlagKind.ADHERENCE)
    client.post(f"/api/v1/flags/{fid}/escalate", json={}, headers=auth.staff(referent))
    response = client.post(f"/api/v1/flags/{fid}/decide", json={
        "decision": "interrupt", "note": "Hospitalisation prolongée."},
        headers=auth.staff(physician))
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert patient.enrolments[-1].state == EnrolmentState.INTERRUPTED


def follow_up_patient(factories, referent, physician, clock):
    """A respiratory patient at the +3 month follow-up call."""
    return factories.follow_up_call(referent, physician, month=3)


def test_follow_up_call_below_the_project_opens_the_committee_and_a_visit_is_planned(
        client, auth, factories, clock):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    patient, call = follow_up_patient(factories, referent, physician, clock)
    response = client.post(f"/api/v1/contacts/{call.id}/record", headers=auth.staff(referent),
                           json={"reached": True, "sessions_per_week": 1,
                                 "project_sessions_per_week": 3, "medication_adherence": "good",
                                 "difficulties": "Genou douloureux", "encouragement": "Oui"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "done"
    rupture = db.session.scalars(select(Flag).where(
        Flag.kind == FlagKind.FOLLOW_UP_RUPTURE)).one()
    assert rupture.status == FlagStatus.COMMITTEE
    assert rupture.evidence["proposal"] == "reinforcement_visit"
    visit_day = date.fromisoformat(rupture.evidence["visit_day"])
    decided = client.post(f"/api/v1/flags/{rupture.id}/decide", headers=auth.staff(physician),
                          json={"decision": "reinforcement_visit", "note": "Visite M4."})
    assert decided.status_code == 200, decided.get_json()
    added = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.kind.in_([ContactKind.REINFORCEMENT_VISIT,
                                   ContactKind.MICRO_PROJECT_CALL]))
        .order_by(ScheduledContact.due_at)).all()
    assert [c.kind for c in added] == [ContactKind.REINFORCEMENT_VISIT] + [
        ContactKind.MICRO_PROJECT_CALL] * 4
    assert added[0].due_at.astimezone(clock.tz).date() == visit_day


def rupture_from_a_call(client, auth, factories, clock):
    """The +3 month call records activity under the project: a rupture goes to committee."""
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    _patient, call = follow_up_patient(factories, referent, physician, clock)
    client.post(f"/api/v1/contacts/{call.id}/record", headers=auth.staff(referent),
                json={"reached": True, "sessions_per_week": 1, "project_sessions_per_week": 3,
                      "medication_adherence": "good"})
    rupture = db.session.scalars(select(Flag).where(
        Flag.kind == FlagKind.FOLLOW_UP_RUPTURE)).one()
    return physician, call, rupture


def test_a_rupture_under_committee_review_keeps_its_proposal_while_days_pass(
        client, auth, factories, clock):
    _physician, call, rupture = rupture_from_a_call(client, auth, factories, clock)
    sent = dict(rupture.evidence)
    for days in (1, 8, 15):  # no session logged: the sweep sees the rupture too, daily
        clock.set(call.due_at + timedelta(days=days))
        sweep(clock.today())
    db.session.expire_all()
    assert (rupture.status, rupture.evidence) == (FlagStatus.COMMITTEE, sent)
    assert [e.action for e in rupture.events] == ["opened", "committee"]


def test_a_committee_meeting_after_the_proposed_day_plans_the_visit_on_a_new_proposal(
        client, auth, factories, clock):
    physician, _call, rupture = rupture_from_a_call(client, auth, factories, clock)
    proposed = date.fromisoformat(rupture.evidence["visit_day"])
    clock.set(datetime.combine(proposed + timedelta(days=2), time(9), clock.tz))
    decided = client.post(f"/api/v1/flags/{rupture.id}/decide", headers=auth.staff(physician),
                          json={"decision": "reinforcement_visit", "note": "Comité tardif."})
    assert decided.status_code == 200, decided.get_json()
    visit = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.kind == ContactKind.REINFORCEMENT_VISIT)).one()
    assert visit.due_at.astimezone(clock.tz).date() == clock.today() + timedelta(days=7)


def test_a_follow_up_call_on_target_opens_nothing(client, auth, factories, clock):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    _patient, call = follow_up_patient(factories, referent, physician, clock)
    response = client.post(f"/api/v1/contacts/{call.id}/record", headers=auth.staff(referent),
                           json={"reached": True, "sessions_per_week": 3,
                                 "project_sessions_per_week": 3})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Flag).where(
        Flag.kind == FlagKind.FOLLOW_UP_RUPTURE)) == 0


def test_a_follow_up_call_records_the_days_in_hospital_since_the_last_one(
        client, auth, factories, clock):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    _patient, call = follow_up_patient(factories, referent, physician, clock)
    refused = client.post(f"/api/v1/contacts/{call.id}/record", headers=auth.staff(referent),
                          json={"reached": True, "hospital_days": -1})
    assert refused.status_code == 422 and "hospital_days" in refused.get_json()["errors"]["json"]
    response = client.post(f"/api/v1/contacts/{call.id}/record", headers=auth.staff(referent),
                           json={"reached": True, "sessions_per_week": 3,
                                 "project_sessions_per_week": 3, "hospital_days": 5,
                                 "channel": "video"})
    assert response.status_code == 200
    db.session.expire_all()
    stored = db.session.get(ScheduledContact, call.id)
    assert (stored.hospital_days, stored.channel) == (5, "video")


def test_three_unreached_attempts_mark_the_call_missed_and_raise_a_flag(
        client, auth, factories, clock):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    _patient, call = follow_up_patient(factories, referent, physician, clock)
    for attempt in (1, 2):
        body = client.post(f"/api/v1/contacts/{call.id}/record", headers=auth.staff(referent),
                           json={"reached": False}).get_json()
        assert (body["attempts"], body["status"]) == (attempt, "planned")
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0
    body = client.post(f"/api/v1/contacts/{call.id}/record", headers=auth.staff(referent),
                       json={"reached": False, "notes": "Messagerie"}).get_json()
    assert (body["attempts"], body["status"]) == (3, "missed")
    flag = db.session.scalars(select(Flag)).one()
    assert flag.kind == FlagKind.MISSED_CONTACT and flag.severity == 3
    assert flag.evidence["contacts"][0]["reason"] == "unreachable"


def test_weekly_call_sets_next_weeks_prescription(client, auth, factories):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    call = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.kind == ContactKind.WEEKLY_CALL, ScheduledContact.week == 2)).one()
    response = client.post(f"/api/v1/contacts/{call.id}/record", headers=auth.staff(referent),
                           json={"reached": True, "sessions_done": 4, "benefits": "Moins essoufflé",
                                 "next_prescription": {"session_minutes": 35, "watts": 45,
                                                       "modality": "interval", "work_s": 60,
                                                       "rest_s": 60}})
    assert response.status_code == 200, response.get_json()
    prescription = db.session.scalars(select(Prescription).where(
        Prescription.from_week == 3)).one()
    assert (prescription.session_minutes, prescription.modality.value) == (35, "interval")
    assert prescription.enrolment_id == patient.enrolments[-1].id


def test_bad_call_records_name_each_field_and_store_nothing(client, auth, factories):
    referent = factories.user(Role.REFERENT)
    factories.active_patient(referent)
    call = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.kind == ContactKind.WEEKLY_CALL, ScheduledContact.week == 2)).one()
    response = client.post(f"/api/v1/contacts/{call.id}/record", headers=auth.staff(referent),
                           json={"reached": "yes", "sessions_done": 40, "colour": "blue",
                                 "next_prescription": {"session_minutes": 300,
                                                       "modality": "interval"},
                                 "health_events": [{"kind": "flu", "occurred_on": "x"}]})
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert {"reached", "sessions_done", "colour", "next_prescription",
            "health_events"} <= set(errors)
    db.session.refresh(call)
    assert call.status == ContactStatus.PLANNED and call.outcome is None
    assert db.session.scalar(select(func.count()).select_from(HealthEvent)) == 0


def test_a_contact_not_yet_due_or_already_done_is_refused(client, auth, factories):
    referent = factories.user(Role.REFERENT)
    factories.active_patient(referent)
    later = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.kind == ContactKind.WEEKLY_CALL, ScheduledContact.week == 8)).one()
    early = client.post(f"/api/v1/contacts/{later.id}/record", headers=auth.staff(referent),
                        json={"reached": True})
    assert early.status_code == 409
    now = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.kind == ContactKind.WEEKLY_CALL, ScheduledContact.week == 2)).one()
    assert client.post(f"/api/v1/contacts/{now.id}/record", headers=auth.staff(referent),
                       json={"reached": True}).status_code == 200
    twice = client.post(f"/api/v1/contacts/{now.id}/record", headers=auth.staff(referent),
                        json={"reached": True})
    assert twice.status_code == 409


def test_patients_flags_list_open_first_with_history(client, auth, team):
    referent, _other, _physician, patient = team
    body = client.get(f"/api/v1/patients/{patient.id}/flags",
                      headers=auth.staff(referent)).get_json()
    assert body and all(f["patient_id"] == patient.id for f in body)
    assert all(f["events"][0]["action"] == "opened" for f in body)
    assert all(f["summary"] for f in body)
