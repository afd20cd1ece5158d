"""Each programme's own rules, as the seeds put them: committee calls, reinforcement windows,
suspension, the prescribing consultation, and the low back pain programme's booklet."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import ActivityWeek, Enrolment, ScheduledContact
from server.models.flags import Flag
from server.services.enrolments import apply_transition
from server.services.sweep import sweep
from shared.enrolment import Action
from shared.enums import ContactKind, ContactStatus, EnrolmentState, FlagStatus, Role
from shared.rules import FlagKind

LBP = "low_back_pain_home"


def _ruptures() -> list[Flag]:
    return list(db.session.scalars(select(Flag).where(Flag.kind == FlagKind.FOLLOW_UP_RUPTURE)))


def _record(client, auth, user, contact, **outcome):
    response = client.post(f"/api/v1/contacts/{contact.id}/record", headers=auth.staff(user),
                           json={"reached": True, **outcome})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_prescribing_consultation_is_done_before_the_start_seed_003_l4552(factories):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    enrolment = factories.enrolment(patient)
    first = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id,
        ScheduledContact.key == "specialist:w0")).one()
    assert first.status == ContactStatus.DONE
    assert first.window_closes.date() <= enrolment.start_date
    assert first.due_at.date() < enrolment.start_date


def test_a_rupture_at_the_one_month_call_is_the_referents_flag_seed_003_l4188(
        client, auth, factories):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    _patient, call = factories.follow_up_call(referent, physician, month=1)
    _record(client, auth, referent, call, sessions_per_week=1, project_sessions_per_week=3)
    (rupture,) = _ruptures()
    assert rupture.status == FlagStatus.OPEN and rupture.owner_id == referent.id
    assert rupture.evidence["proposal"] == "encourage_and_revisit_project"
    assert rupture.evidence["call_month"] == 1


def test_a_rupture_heard_again_at_the_three_month_call_goes_to_the_committee(
        client, auth, factories, clock):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    patient, first = factories.follow_up_call(referent, physician, month=2)
    _record(client, auth, referent, first, sessions_per_week=1, project_sessions_per_week=3)
    third = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == first.enrolment_id,
        ScheduledContact.month == 3, ScheduledContact.kind == ContactKind.FOLLOW_UP_CALL)).one()
    clock.set(third.due_at)
    _record(client, auth, referent, third, sessions_per_week=1, project_sessions_per_week=3)
    (rupture,) = _ruptures()
    db.session.refresh(rupture)
    assert rupture.status == FlagStatus.COMMITTEE
    assert rupture.evidence["proposal"] == "reinforcement_visit"
    assert [e.action for e in rupture.events] == ["opened", "committee"]


def test_a_reinforcement_visit_outside_months_four_and_seven_is_refused_with_the_windows(
        client, auth, factories):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    _patient, call = factories.follow_up_call(referent, physician, month=3)
    _record(client, auth, referent, call, sessions_per_week=1, project_sessions_per_week=3)
    (rupture,) = _ruptures()
    # Follow-up starts 2025-11-24: month 4 runs 2026-02-24 to 2026-03-23.
    refused = client.post(f"/api/v1/flags/{rupture.id}/decide",
                          headers=auth.staff(physician),
                          json={"decision": "reinforcement_visit", "note": "Visite",
                                "visit_day": "2026-04-10"})
    assert refused.status_code == 422
    message = refused.get_json()["errors"]["visit_day"][0]
    assert "mois 4, du 2026-02-24 au 2026-03-23" in message and "mois 7" in message
    assert db.session.scalar(select(ScheduledContact.id).where(
        ScheduledContact.kind == ContactKind.REINFORCEMENT_VISIT)) is None


def _statuses(enrolment) -> dict[str, ContactStatus]:
    return dict(db.session.execute(select(ScheduledContact.key, ScheduledContact.status)
                                   .where(ScheduledContact.enrolment_id == enrolment.id)).all())


def _suspend(client, auth, physician, enrolment, review_on):
    return client.post(f"/api/v1/enrolments/{enrolment.id}/transitions",
                       headers=auth.staff(physician),
                       json={"action": "suspend", "reason": "Hospitalisation pour exacerbation",
                             "review_on": review_on.isoformat()})


def test_suspension_pauses_calls_and_adherence_but_not_health_events(
        client, auth, factories, clock, plan_of):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    patient = factories.active_patient(referent, physician=physician)
    enrolment = factories.enrolment(patient)
    review = clock.today() + timedelta(days=14)
    refused = client.post(f"/api/v1/enrolments/{enrolment.id}/transitions",
                          headers=auth.staff(referent),
                          json={"action": "suspend", "reason": "x",
                                "review_on": review.isoformat()})
    assert refused.status_code == 403
    missing = client.post(f"/api/v1/enrolments/{enrolment.id}/transitions",
                          headers=auth.staff(physician),
                          json={"action": "suspend", "reason": "Hospitalisation"})
    assert missing.status_code == 422 and "review_on" in missing.get_json()["errors"]
    response = _suspend(client, auth, physician, enrolment, review)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["state"] == "suspended" and body["suspension_review_on"] == review.isoformat()
    statuses = _statuses(enrolment)
    assert statuses["call:w3"] == statuses["call:w4"] == ContactStatus.SUSPENDED
    assert statuses["call:w6"] == ContactStatus.PLANNED
    # The tablet says so, and still takes a health event, which still reaches the physician.
    device = auth.device(patient)
    assert plan_of(device)["suspension"] == {"since": clock.today().isoformat(),
                                            "review_on": review.isoformat()}
    event = {"id": str(uuid.uuid4()), "kind": "fall", "occurred_on": clock.today().isoformat()}
    assert client.post("/api/v1/me/health-events", json={"items": [event]},
                       headers=device).status_code == 200
    clock.set(clock.now() + timedelta(days=10))
    sweep(clock.today())
    kinds = set(db.session.scalars(select(Flag.kind)))
    assert kinds == {FlagKind.HEALTH_EVENT}  # no silence, adherence or booklet flag


def test_resuming_returns_to_the_calendars_phase_and_shifts_nothing(
        client, auth, factories, clock):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    patient = factories.active_patient(referent, physician=physician)
    enrolment = factories.enrolment(patient)
    before = dict(db.session.execute(select(ScheduledContact.key, ScheduledContact.due_at)
                                     .where(ScheduledContact.enrolment_id == enrolment.id)).all())
    assert _suspend(client, auth, physician, enrolment,
                    clock.today() + timedelta(days=20)).status_code == 200
    clock.set(clock.now() + timedelta(days=9))
    resumed = client.post(f"/api/v1/enrolments/{enrolment.id}/transitions",
                          headers=auth.staff(physician), json={"action": "resume"})
    assert resumed.status_code == 200, resumed.get_json()
    assert resumed.get_json()["state"] == EnrolmentState.ACTIVE.value
    contacts = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id)).all()
    assert {c.key: c.due_at for c in contacts} == before
    by_key = {c.key: c.status for c in contacts}
    # The week-3 call's window closed during the pause; the week-4 one is due again.
    assert by_key["call:w3"] == ContactStatus.SUSPENDED
    assert by_key["call:w4"] == ContactStatus.PLANNED
    page = client.get(f"/api/v1/enrolments/{enrolment.id}", headers=auth.staff(referent))
    assert page.get_json()["suspended_on"] is None


def test_low_back_pain_booklet_days_count_and_its_pain_reaches_the_rule_seed_000(
        client, auth, factories, clock, plan_of):
    referent = factories.user(Role.REFERENT)
    start = clock.today() - timedelta(days=14)
    patient = factories.active_patient(referent, start=start, programme=LBP)
    device = auth.device(patient)
    items = plan_of(device)["booklet"]
    week_two = [start + timedelta(days=7), start + timedelta(days=9)]
    entries = [{"id": str(uuid.uuid4()), "item_id": item["id"], "day": day.isoformat(),
                "status": "done", "pain_eva": 6}
               for day in week_two for item in items[:2]]
    assert client.post("/api/v1/me/booklet-entries", json={"items": entries},
                       headers=device).status_code == 200
    week = db.session.scalars(select(ActivityWeek).where(ActivityWeek.week == 2)).one()
    assert (week.sessions, week.active_days, week.pain_count, week.pain_sum) == (0, 2, 4, 24)
    sweep(clock.today())
    kinds = set(db.session.scalars(select(Flag.kind)))
    # Two booklet days keep the low back pain prescription (2 a week): no adherence flag.
    assert FlagKind.ADHERENCE not in kinds


def test_a_low_back_pain_referral_has_its_own_dossier_and_work_status(client, auth, factories):
    coordinator = factories.user(Role.COORDINATOR)
    body = {"first_name": "Luc", "last_name": "Moreau", "birth_date": "1970-04-02",
            "sex": "M", "phone": "06 11 22 33 44",
            "enrolment": {"programme_code": LBP, "referral_source": "rheumatologist",
                          "work_status": "sick_leave",
                          "dossier": {"prescription": True, "spirometry": True}}}
    refused = client.post("/api/v1/patients", json=body, headers=auth.staff(coordinator))
    assert refused.status_code == 422
    assert "spirometry" in str(refused.get_json()["errors"])
    body["enrolment"]["dossier"] = {"prescription": True, "orientation_scales": True}
    created = client.post("/api/v1/patients", json=body, headers=auth.staff(coordinator))
    assert created.status_code == 201, created.get_json()
    enrolment = created.get_json()["enrolments"][0]
    assert enrolment["work_status"] == "sick_leave"
    incomplete = client.post(f"/api/v1/enrolments/{enrolment['id']}/transitions",
                             headers=auth.staff(coordinator),
                             json={"action": "complete_dossier"})
    assert incomplete.status_code == 409
    assert "stay_report" in incomplete.get_json()["message"]
    assert "spirometry" not in incomplete.get_json()["message"]
    complete = client.post(f"/api/v1/enrolments/{enrolment['id']}/transitions",
                           headers=auth.staff(coordinator),
                           json={"action": "complete_dossier", "dossier": {
                               "stay_report": True, "warning_signs_screening": True}})
    assert complete.status_code == 200, complete.get_json()


def test_a_follow_up_call_records_return_to_work(client, auth, factories):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    _patient, call = factories.follow_up_call(referent, physician, month=1, programme=LBP)
    recorded = _record(client, auth, referent, call, sessions_per_week=2,
                       project_sessions_per_week=2, work_status="therapeutic_part_time")
    assert recorded["outcome"]["work_status"] == "therapeutic_part_time"
    # Two a week is the low back pain project kept: no rupture.
    assert _ruptures() == []


def test_a_suspension_covers_the_calls_due_later_on_its_first_day(factories, clock):
    physician = factories.user(Role.PHYSICIAN)
    patient = factories.active_patient(factories.user(Role.REFERENT), physician=physician)
    enrolment = factories.enrolment(patient)
    clock.set(datetime.combine(date(2026, 3, 6), time(8), clock.tz))  # call:w3 due at 10:00
    apply_transition(enrolment, physician, Action.SUSPEND,
                     {"reason": "Chute", "review_on": clock.today() + timedelta(days=1)})
    statuses = _statuses(enrolment)
    assert statuses["call:w3"] == ContactStatus.SUSPENDED
    assert statuses["call:w4"] == ContactStatus.PLANNED


def test_a_low_back_pain_journey_meets_no_respiratory_field_or_flag(
        client, auth, factories, clock, plan_of):
    """Referral, booklet weeks, follow-up calls and the 3-month consultation, through the API."""
    coordinator, referent = factories.user(Role.COORDINATOR), factories.user(Role.REFERENT)
    physician = factories.user(Role.PHYSICIAN)
    body = {"first_name": "Nadia", "last_name": "Roux", "birth_date": "1978-06-12", "sex": "F",
            "phone": "06 55 44 33 22", "referent_id": referent.id, "physician_id": physician.id,
            "enrolment": {"programme_code": LBP, "referral_source": "rheumatologist",
                          "work_status": "sick_leave"}}
    created = client.post("/api/v1/patients", json=body, headers=auth.staff(coordinator))
    assert created.status_code == 201, created.get_json()
    enrolment_id = created.get_json()["enrolments"][0]["id"]
    path = f"/api/v1/enrolments/{enrolment_id}/transitions"
    pieces = dict.fromkeys(("prescription", "orientation_scales", "stay_report",
                            "warning_signs_screening"), True)
    for user, move in ((coordinator, {"action": "complete_dossier", "dossier": pieces}),
                       (physician, {"action": "validate"}),
                       (coordinator, {"action": "start", "start_date": clock.today().isoformat()})):
        response = client.post(path, json=move, headers=auth.staff(user))
        assert response.status_code == 200, response.get_json()
    patient = db.session.get(Enrolment, enrolment_id).patient
    kinds = set(db.session.scalars(select(ScheduledContact.kind).where(
        ScheduledContact.enrolment_id == enrolment_id)))
    assert ContactKind.SPECIALIST_CONSULTATION not in kinds  # no pneumologist
    assert ContactKind.FOLLOW_UP_CONSULTATION in kinds  # the 3 and 6 month consultations
    device = auth.device(patient)
    plan = plan_of(device)
    assert plan["programme"]["symptom_score"] == "pain"
    # Twelve weeks of booklet work, two or three days a week, no ergocycle, pain steady.
    start = clock.today()
    items = [item["id"] for item in plan["booklet"]]
    for week in range(12):
        days = [start + timedelta(days=7 * week + d) for d in (0, 3, 5)[: 2 + week % 2]]
        clock.set(datetime.combine(days[-1], time(19), clock.tz))
        entries = [{"id": str(uuid.uuid4()), "item_id": item, "day": day.isoformat(),
                    "status": "done", "pain_eva": 4} for day in days for item in items]
        sent = client.post("/api/v1/me/booklet-entries", json={"items": entries}, headers=device)
        assert sent.status_code == 200, sent.get_json()
        sweep(clock.today())
    enrolment = db.session.get(Enrolment, enrolment_id)
    enrolment.state = EnrolmentState.FOLLOW_UP
    db.session.commit()
    for key in ("call:m1", "call:m2", "call:m3", "consultation:m3"):
        contact = db.session.scalars(select(ScheduledContact).where(
            ScheduledContact.enrolment_id == enrolment_id, ScheduledContact.key == key)).one()
        clock.set(contact.due_at)
        outcome = ({"sessions_per_week": 2, "project_sessions_per_week": 2,
                    "work_status": "therapeutic_part_time"} if key.startswith("call") else {})
        _record(client, auth, referent, contact, **outcome)
    flags = set(db.session.scalars(select(Flag.kind).where(Flag.patient_id == patient.id)))
    assert not flags & {FlagKind.DYSPNOEA, FlagKind.ADHERENCE, FlagKind.FOLLOW_UP_RUPTURE,
                        FlagKind.HEART_RATE}, flags
    file = client.get(f"/api/v1/enrolments/{enrolment_id}", headers=auth.staff(referent))
    assert file.get_json()["work_status"] == "sick_leave"
