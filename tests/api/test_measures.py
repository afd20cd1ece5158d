"""Clinical measures through the API: the server scores, validates each item, shows outcomes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import EnduranceTest, QuestionnaireResponse, ScheduledContact, VisitReport
from server.services.visits import VISIT_FIELDS
from shared.enums import ContactKind, Role
from tests.shared.test_instruments import CRQ_W0

# The closing visit's answers: dyspnoea 5.0 (+1.0), fatigue 3.75 (+0.25),
# emotional function 5.0 (0), mastery 4.0 (-0.5), overall (25+15+35+16)/20 = 4.55.
CRQ_W12 = {**CRQ_W0, "DY1": 5, "DY2": 5, "DY3": 5, "DY4": 6, "DY5": 4, "FA1": 4,
           "MA2": 4, "MA4": 4}


@pytest.fixture
def patient(factories, referent, clock):
    # Started 12 weeks ago minus 3 days: today is in week 12, the closing visit's week.
    return factories.active_patient(referent, start=clock.today() - timedelta(days=7 * 11 + 3))


@pytest.fixture
def enrolment(factories, patient):
    return factories.enrolment(patient)


def crq_item(clock, answers, **extra):
    return {"id": str(uuid.uuid4()), "instrument": "crq",
            "answered_at": clock.now().isoformat(), "answers": answers, **extra}


def test_tablet_crq_is_scored_by_the_server_and_a_client_score_is_refused(
        client, auth, patient, clock):
    device = auth.device(patient)
    response = client.post("/api/v1/me/questionnaires",
                           json={"items": [crq_item(clock, CRQ_W12)]}, headers=device)
    assert response.status_code == 200, response.get_json()
    stored = db.session.scalar(select(QuestionnaireResponse))
    assert stored.domain_scores == {"dyspnoea": 5.0, "fatigue": 3.75,
                                    "emotional_function": 5.0, "mastery": 4.0}
    assert stored.score == pytest.approx(4.55) and stored.timepoint == "W12"
    cheat = client.post("/api/v1/me/questionnaires",
                        json={"items": [crq_item(clock, CRQ_W12, score=7)]}, headers=device)
    assert cheat.status_code == 422
    assert "score" in cheat.get_json()["errors"]["json"]["items"]["0"]


def test_each_bad_item_is_named_and_nothing_of_the_batch_is_stored(client, auth, patient, clock):
    answers = {k: v for k, v in CRQ_W0.items() if k not in ("DY1", "DY2")}
    answers.update({"FA1": 9, "ZZ": 3})
    batch = {"items": [crq_item(clock, CRQ_W0), crq_item(clock, answers)]}
    response = client.post("/api/v1/me/questionnaires", json=batch,
                           headers=auth.device(patient))
    assert response.status_code == 422
    errors = response.get_json()["errors"]["items"]["1"]["answers"]
    assert set(errors) == {"DY1", "DY2", "FA1", "ZZ"}
    assert "1" in errors["FA1"][0] and "7" in errors["FA1"][0]
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireResponse)) == 0


def test_english_messages_name_the_problem(client, auth, patient, clock):
    response = client.post("/api/v1/me/questionnaires",
                           json={"items": [crq_item(clock, {**CRQ_W0, "DY1": 0})]},
                           headers={**auth.device(patient), "Accept-Language": "en"})
    assert response.get_json()["errors"]["items"]["0"]["answers"]["DY1"] == [
        "Must be a whole number from 1 to 7."]


def test_plan_lists_what_is_due_until_it_is_answered(client, auth, patient, clock, plan_of):
    device = auth.device(patient)
    due = {(q["code"], q["timepoint"]) for q in plan_of(device)["questionnaires_due"]}
    assert due == {("crq", "W12"), ("satisfaction", "W12"), ("weekly_symptoms", "week:12")}
    crq = next(q for q in plan_of(device)["questionnaires_due"] if q["code"] == "crq")
    assert len(crq["items"]) == 20 and crq["items"][0]["text_fr"] is None
    assert crq["items"][0]["domain_fr"] == "Dyspnée"
    client.post("/api/v1/me/questionnaires", json={"items": [crq_item(clock, CRQ_W12)]},
                headers=device)
    due = {(q["code"], q["timepoint"]) for q in plan_of(device)["questionnaires_due"]}
    assert ("crq", "W12") not in due


def test_installed_wording_is_shown(app, client, auth, patient, tmp_path, plan_of):
    wording = tmp_path / "wording.json"
    wording.write_text('{"crq": {"DY1": {"fr": "Texte sous licence"}}}', encoding="utf-8")
    app.config["INSTRUMENT_WORDING_PATH"] = str(wording)
    crq = next(q for q in plan_of(auth.device(patient))["questionnaires_due"]
               if q["code"] == "crq")
    assert crq["items"][0]["text_fr"] == "Texte sous licence"


def _closing_visit(enrolment):
    return db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id,
        ScheduledContact.kind == ContactKind.CLOSING_VISIT))


def _inclusion_visit(enrolment):
    return db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id,
        ScheduledContact.kind == ContactKind.INCLUSION_VISIT))


ENDURANCE_W0 = {"performed_on": None, "peak_watts": 60, "load_percent": 80, "duration_s": 300,
                "hr_start": 80, "hr_end": 120, "borg_start": 1, "borg_end": 7,
                "stop_reason": "dyspnoea"}


def test_w12_visit_with_crq_and_endurance_gives_outcomes_with_verdicts(
        client, auth, referent, enrolment, clock):
    headers = auth.staff(referent)
    inclusion = _inclusion_visit(enrolment)
    response = client.post(f"/api/v1/contacts/{inclusion.id}/visit", headers=headers, json={
        "objectives": "Marcher jusqu'au marché",
        "questionnaires": [{"instrument": "crq", "answers": CRQ_W0}],
        "endurance_test": {**ENDURANCE_W0, "performed_on": enrolment.start_date.isoformat()}})
    assert response.status_code == 201, response.get_json()
    closing = _closing_visit(enrolment)
    response = client.post(f"/api/v1/contacts/{closing.id}/visit", headers=headers, json={
        "activity_project_sessions": 3, "certificate_given": True, "ergocycle_collected": True,
        "questionnaires": [{"instrument": "crq", "answers": CRQ_W12},
                           {"instrument": "satisfaction", "answers": {"satisfaction": 9}}],
        "endurance_test": {**ENDURANCE_W0, "performed_on": clock.today().isoformat(),
                           "duration_s": 420, "stop_reason": "leg_fatigue"}})
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    assert db.session.get(ScheduledContact, closing.id).status == "done"
    assert db.session.scalar(select(EnduranceTest.load_watts)) == 48
    out = client.get(f"/api/v1/enrolments/{enrolment.id}/outcomes", headers=headers).get_json()
    crq = {d["code"]: d["at_w12"] for d in out["instruments"][0]["domains"]}
    assert (crq["dyspnoea"]["change"], crq["dyspnoea"]["verdict"]) == (1.0, "improved")
    assert crq["fatigue"]["verdict"] == "unchanged"
    assert crq["mastery"]["verdict"] == "worse"
    assert out["endurance_w12"]["change"] == 120 and out["endurance_w12"]["verdict"] == "improved"
    assert "Laviolette" in out["endurance_mcid_source"]
    assert db.session.get(type(enrolment), enrolment.id).activity_project_sessions == 3


def test_the_w0_and_w12_visits_record_hospital_days_for_the_indicator(
        client, auth, referent, enrolment):
    headers = auth.staff(referent)
    inclusion, closing = _inclusion_visit(enrolment), _closing_visit(enrolment)
    # The 12 months before inclusion at W0, the days since inclusion at W12.
    assert client.post(f"/api/v1/contacts/{inclusion.id}/visit", headers=headers,
                       json={"hospital_days": 12}).status_code == 201
    refused = client.post(f"/api/v1/contacts/{closing.id}/visit", headers=headers,
                          json={"activity_project_sessions": 3, "hospital_days": 400})
    assert refused.status_code == 422 and "hospital_days" in refused.get_json()["errors"]["json"]
    assert client.post(f"/api/v1/contacts/{closing.id}/visit", headers=headers, json={
        "activity_project_sessions": 3, "hospital_days": 0}).status_code == 201
    db.session.expire_all()
    assert (db.session.get(ScheduledContact, inclusion.id).hospital_days,
            db.session.get(ScheduledContact, closing.id).hospital_days) == (12, 0)
    # W6 records none.
    assert "hospital_days" in VISIT_FIELDS["W0"] and "hospital_days" not in VISIT_FIELDS["W6"]


def test_a_bad_answer_at_a_visit_stores_nothing(client, auth, referent, enrolment):
    closing = _closing_visit(enrolment)
    response = client.post(f"/api/v1/contacts/{closing.id}/visit", headers=auth.staff(referent),
                           json={"activity_project_sessions": 3, "questionnaires": [
                               {"instrument": "crq", "answers": {**CRQ_W12, "EF3": 8}}]})
    assert response.status_code == 422
    assert "EF3" in response.get_json()["errors"]["questionnaires"]["0"]["answers"]
    db.session.expire_all()
    assert db.session.get(ScheduledContact, closing.id).status == "planned"
    assert db.session.scalar(select(func.count()).select_from(VisitReport)) == 0
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireResponse)) == 0


def test_visit_fields_belong_to_their_visit(client, auth, referent, enrolment):
    closing = _closing_visit(enrolment)
    response = client.post(f"/api/v1/contacts/{closing.id}/visit", headers=auth.staff(referent),
                           json={"compliance": "full"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"compliance", "activity_project_sessions"}


def test_another_referents_patient_is_out_of_reach(client, auth, factories, enrolment):
    stranger = auth.staff(factories.user(Role.REFERENT))
    for method, path in (("get", f"/api/v1/enrolments/{enrolment.id}/outcomes"),
                         ("get", f"/api/v1/enrolments/{enrolment.id}/questionnaires"),
                         ("get", f"/api/v1/enrolments/{enrolment.id}/endurance-tests"),
                         ("post", f"/api/v1/contacts/{_closing_visit(enrolment).id}/visit")):
        body = {"activity_project_sessions": 3} if method == "post" else None
        response = getattr(client, method)(path, headers=stranger, json=body)
        assert response.status_code == 404, path


def test_staff_entry_and_endurance_validation(client, auth, referent, enrolment, clock):
    headers = auth.staff(referent)
    response = client.post(f"/api/v1/enrolments/{enrolment.id}/questionnaires", headers=headers,
                           json={"instrument": "oswestry", "answers": {"walking": 2}})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "instrument": ["Ce questionnaire n'est pas utilisé dans ce programme."]}
    response = client.post(f"/api/v1/enrolments/{enrolment.id}/endurance-tests", headers=headers,
                           json={**ENDURANCE_W0, "performed_on": clock.today().isoformat(),
                                 "peak_watts": 0, "borg_end": 11, "stop_reason": "bored"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == {"peak_watts", "borg_end",
                                                          "stop_reason"}


def test_follow_up_plan_targets_the_activity_project(client, auth, factories, referent, clock,
                                                     plan_of):
    patient = factories.active_patient(referent, start=clock.today() - timedelta(days=7 * 14))
    enrolment = factories.enrolment(patient)
    enrolment.activity_project_sessions = 3
    db.session.commit()
    targets = plan_of(auth.device(patient))["targets"]
    assert (targets["sessions_min"], targets["sessions_max"]) == (3, 3)
