"""Batch uploads from the tablet: idempotent by UUID, all-or-nothing, every bad field named."""

import itertools
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import BookletEntry, ErgoSession, HealthEvent, SessionSeries
from server.services import samples as samples_store
from shared.enums import Role
from shared.samples import PackedSeries


@pytest.fixture
def patient(factories):
    return factories.active_patient(factories.user(Role.REFERENT))


@pytest.fixture
def device(auth, patient):
    return auth.device(patient)


_STAGGER = itertools.count()


def session_item(clock, **overrides):
    # Each new session 40 minutes after the previous one: one patient's sessions never overlap.
    started = clock.now() - timedelta(days=1) + timedelta(minutes=40 * (next(_STAGGER) % 12))
    item = {
        "id": str(uuid.uuid4()), "started_at": started.isoformat(), "duration_s": 1800,
        "watts": 40, "distance_km": 9.5, "hr_rest": 72, "hr_mean": 104, "hr_max": 121,
        "dyspnoea": 4, "effort": 5, "source": "guided",
        "hr_samples": [[t, 90 + (t // 60)] for t in range(0, 1800, 2)],
    }
    item.update(overrides)
    return item


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_session_with_samples_is_stored_once_even_when_sent_twice(client, device, clock):
    item = session_item(clock)
    first = client.post("/api/v1/me/sessions", json={"items": [item]}, headers=device)
    assert first.status_code == 200
    again = client.post("/api/v1/me/sessions", json={"items": [item]}, headers=device)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert first.get_json()["items"][0]["id"] == item["id"]
    assert _count(ErgoSession) == 1
    assert _count(SessionSeries) == 1
    stored = db.session.scalar(select(ErgoSession))
    assert stored.hr_sample_count == 900 and stored.source == "guided"
    assert samples_store.read_series([stored.id], samples_store.HEART_RATE)[stored.id] == [
        tuple(p) for p in item["hr_samples"]]
    assert stored.started_at == datetime.fromisoformat(item["started_at"])


def test_batch_mixing_new_and_already_sent_items_stores_only_the_new(client, device, clock):
    old, new = session_item(clock), session_item(clock, hr_samples=[])
    client.post("/api/v1/me/sessions", json={"items": [old]}, headers=device)
    response = client.post("/api/v1/me/sessions", json={"items": [old, new]}, headers=device)
    assert response.status_code == 200
    assert [i["id"] for i in response.get_json()["items"]] == [old["id"], new["id"]]
    assert _count(ErgoSession) == 2


def test_same_uuid_with_other_content_is_a_conflict(client, device, clock):
    item = session_item(clock)
    client.post("/api/v1/me/sessions", json={"items": [item]}, headers=device)
    changed = {**item, "watts": 60}
    response = client.post("/api/v1/me/sessions", json={"items": [changed]}, headers=device)
    assert response.status_code == 409
    assert response.get_json()["errors"]["items"]["0"]["id"]
    assert db.session.scalar(select(ErgoSession.watts)) == 40


@pytest.mark.parametrize(("field", "value"), [
    ("hr_max", 251), ("hr_max", 24), ("hr_rest", 0), ("duration_s", -5),
    ("duration_s", 6 * 3600 + 1), ("duration_s", "1800"), ("watts", True), ("dyspnoea", 11),
    ("source", "telepathy"), ("started_at", "2026-02-30T10:00:00+01:00"),
    ("started_at", "2026-02-27T10:00:00"), ("colour", "blue"), ("notes", "x" * 2001),
])
def test_bad_value_is_422_naming_item_and_field_and_nothing_is_stored(client, device, clock,
                                                                      field, value):
    good, bad = session_item(clock), session_item(clock, **{field: value})
    response = client.post("/api/v1/me/sessions", json={"items": [good, bad]}, headers=device)
    assert response.status_code == 422
    body = response.get_json()
    assert field in body["errors"]["json"]["items"]["1"]
    assert f"items.1.{field}" in body["message"]
    assert _count(ErgoSession) == 0 and _count(SessionSeries) == 0


def test_heart_rate_at_the_limits_is_accepted(client, device, clock):
    item = session_item(clock, hr_rest=25, hr_mean=100, hr_max=250,
                        hr_samples=[[0, 25], [1, 250]], duration_s=6 * 3600)
    assert client.post("/api/v1/me/sessions", json={"items": [item]},
                       headers=device).status_code == 200


@pytest.mark.parametrize(("samples", "needle"), [
    ([[0, 90], [0, 91]], "Mesure 1 : le décalage de 0 s doit croître"),
    ([[0, 90], [2, 400]], "Mesure 1 : 400 bpm est hors de 25-250 bpm"),
    ([[0, 90], [2]], "Mesure 1 : doit être [décalage_s, bpm]"),
    ([[0, "90"]], "Mesure 0 : doit être [décalage_s, bpm]"),
    ("90,91", "Doit être une liste"),
])
def test_malformed_heart_rate_samples_are_refused(client, device, clock, samples, needle):
    response = client.post("/api/v1/me/sessions",
                           json={"items": [session_item(clock, hr_samples=samples)]},
                           headers=device)
    assert response.status_code == 422
    assert needle in response.get_json()["message"]
    assert _count(ErgoSession) == 0


def test_mean_above_max_and_samples_past_the_end_are_refused(client, device, clock):
    bad = [session_item(clock, hr_mean=150, hr_max=120),
           session_item(clock, duration_s=60, hr_samples=[[0, 90], [120, 95]])]
    response = client.post("/api/v1/me/sessions", json={"items": bad}, headers=device)
    errors = response.get_json()["errors"]["json"]["items"]
    assert response.status_code == 422
    assert "hr_mean" in errors["0"] and "hr_samples" in errors["1"]


def test_dates_before_the_programme_or_in_the_future_are_refused(client, device, clock, patient):
    start = patient.enrolments[-1].start_date
    early = session_item(clock, started_at=f"{start - timedelta(days=1)}T10:00:00+01:00")
    late = session_item(clock, started_at=(clock.now() + timedelta(days=3)).isoformat())
    response = client.post("/api/v1/me/sessions", json={"items": [early, late]}, headers=device)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["items"]
    assert errors["0"]["started_at"] == [
        f"La date {start - timedelta(days=1)} précède le début du programme ({start})."]
    assert "est dans le futur" in errors["1"]["started_at"][0]
    assert _count(ErgoSession) == 0


def test_empty_oversized_and_non_json_batches_are_refused(client, device, clock, app):
    assert client.post("/api/v1/me/sessions", json={"items": []},
                       headers=device).status_code == 422
    too_many = {"items": [session_item(clock, hr_samples=[]) for _ in range(101)]}
    assert client.post("/api/v1/me/sessions", json=too_many, headers=device).status_code == 422
    app.config["MAX_CONTENT_LENGTH"] = 1000
    huge = client.post("/api/v1/me/sessions", json={"items": [session_item(clock)]},
                       headers=device)
    assert huge.status_code == 413 and huge.get_json()["message"]
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    garbage = client.post("/api/v1/me/sessions", data="{not json",
                          headers={**device, "Content-Type": "application/json"})
    assert garbage.status_code in (400, 422)
    assert _count(ErgoSession) == 0


def test_booklet_entry_only_for_an_exercise_of_the_patients_booklet(client, device, clock,
                                                                    factories, plan_of):
    item_id = plan_of(device)["booklet"][0]["id"]
    other = factories.active_patient(factories.user(Role.REFERENT))
    other_item = plan_of(factories.device_headers(other))["booklet"][0]["id"]
    day = (clock.today() - timedelta(days=1)).isoformat()
    good = {"id": str(uuid.uuid4()), "item_id": item_id, "day": day, "status": "partial",
            "pain_eva": 3}
    foreign = {**good, "id": str(uuid.uuid4()), "item_id": other_item}
    refused = client.post("/api/v1/me/booklet-entries", json={"items": [good, foreign]},
                          headers=device)
    assert refused.status_code == 422 and "item_id" in refused.get_json()["errors"]["items"]["1"]
    assert _count(BookletEntry) == 0
    assert client.post("/api/v1/me/booklet-entries", json={"items": [good]},
                       headers=device).status_code == 200
    assert _count(BookletEntry) == 1


def test_health_event_and_questionnaire_are_stored_idempotently(client, device, clock):
    event = {"id": str(uuid.uuid4()), "kind": "exacerbation",
             "occurred_on": clock.today().isoformat(), "description": "Essoufflement",
             "warning_signs": ["fever"]}
    for _ in range(2):
        assert client.post("/api/v1/me/health-events", json={"items": [event]},
                           headers=device).status_code == 200
    assert _count(HealthEvent) == 1
    bad_sign = {**event, "id": str(uuid.uuid4()), "warning_signs": ["itchy"]}
    assert client.post("/api/v1/me/health-events", json={"items": [bad_sign]},
                       headers=device).status_code == 422
    answers = {"id": str(uuid.uuid4()), "instrument": "weekly_symptoms",
               "answered_at": clock.now().isoformat(),
               "answers": {"dyspnoea": 4, "fatigue": 6, "pain": 2}}
    first = client.post("/api/v1/me/questionnaires", json={"items": [answers]}, headers=device)
    second = client.post("/api/v1/me/questionnaires", json={"items": [answers]}, headers=device)
    assert first.status_code == 200 and first.get_json() == second.get_json()
    out_of_scale = {**answers, "id": str(uuid.uuid4()), "answers": {"dyspnoea": 14}}
    assert client.post("/api/v1/me/questionnaires", json={"items": [out_of_scale]},
                       headers=device).status_code == 422


def test_patient_without_a_running_programme_cannot_upload(client, factories, auth, clock):
    patient = factories.patient(factories.user(Role.REFERENT))
    response = client.post("/api/v1/me/sessions", json={"items": [session_item(clock)]},
                           headers=auth.device(patient))
    assert response.status_code == 409 and response.get_json()["code"] == "no_running_enrolment"


def test_power_samples_are_stored_with_heart_rate_and_the_zone_is_measured(client, device,
                                                                           clock):
    # Ceiling 130 (the patient's, laid out in the week's prescription): 90 s above it.
    hr = [[t, 120 if t < 600 else 140] for t in range(0, 690)]
    power = [[t, 35] for t in range(0, 690)]
    item = session_item(clock, hr_samples=hr, power_samples=power, hr_mean=None, hr_max=None,
                        duration_s=690)
    response = client.post("/api/v1/me/sessions", json={"items": [item]}, headers=device)
    assert response.status_code == 200
    stored = db.session.scalar(select(ErgoSession))
    assert (stored.hr_in_zone_s, stored.hr_above_ceiling_s) == (600, 90)
    assert (stored.hr_mean, stored.hr_max) == (round((600 * 120 + 90 * 140) / 690), 140)
    power_series = samples_store.read_series([stored.id], samples_store.POWER)
    assert power_series[stored.id] == [tuple(p) for p in power]
    assert _count(SessionSeries) == 2


def test_malformed_power_samples_are_refused(client, device, clock):
    response = client.post("/api/v1/me/sessions", json={"items": [
        session_item(clock, power_samples=[[0, 40], [1, 5000]])]}, headers=device)
    assert response.status_code == 422
    assert "items.0.power_samples" in response.get_json()["message"]
    assert "5000 W" in response.get_json()["message"]
    assert _count(ErgoSession) == 0


def _packed(pairs):
    return PackedSeries.from_pairs(pairs).wire()


def test_packed_samples_are_stored_and_measured_like_pairs(client, device, clock):
    hr = [[t, 120 if t < 600 else 140] for t in range(0, 690)]
    power = [[t, 35] for t in range(0, 690)]
    as_pairs = session_item(clock, hr_samples=hr, power_samples=power, hr_mean=None,
                            hr_max=None, duration_s=690)
    as_packed = session_item(clock, hr_samples=_packed(hr), power_samples=_packed(power),
                             hr_mean=None, hr_max=None, duration_s=690)
    response = client.post("/api/v1/me/sessions", json={"items": [as_pairs, as_packed]},
                           headers=device)
    assert response.status_code == 200
    ids = [item["server_id"] for item in response.get_json()["items"]]
    stored = [db.session.get(ErgoSession, i) for i in ids]
    assert [(s.hr_in_zone_s, s.hr_above_ceiling_s, s.hr_mean, s.hr_max, s.hr_sample_count)
            for s in stored] == [(600, 90, 123, 140, 690)] * 2
    for signal, pairs in ((samples_store.HEART_RATE, hr), (samples_store.POWER, power)):
        series = samples_store.read_series(ids, signal)
        assert series[ids[0]] == series[ids[1]] == [tuple(p) for p in pairs]


def test_a_packed_session_re_sent_gets_its_receipt_and_changed_samples_conflict(
        client, device, clock):
    item = session_item(clock, hr_samples=_packed([[0, 90], [1, 95]]))
    first = client.post("/api/v1/me/sessions", json={"items": [item]}, headers=device)
    again = client.post("/api/v1/me/sessions", json={"items": [item]}, headers=device)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    changed = {**item, "hr_samples": _packed([[0, 90], [1, 96]])}
    response = client.post("/api/v1/me/sessions", json={"items": [changed]}, headers=device)
    assert response.status_code == 409
    assert _count(ErgoSession) == 1


@pytest.mark.parametrize(("samples", "needle"), [
    ({"offsets": "not base64!", "values": ""}, "base64 de tableaux"),
    ({"offsets": "AAEC", "values": "AAEC"}, "base64 de tableaux"),  # 3 bytes: no whole value
    ({"offsets": _packed([[0, 1], [1, 1]])["offsets"], "values": _packed([[0, 90]])["values"]},
     "autant de mesures"),
    ({"offsets": "", "values": "", "extra": ""}, "et rien d'autre"),
    ({"offsets": 5, "values": ""}, "et rien d'autre"),
    (_packed([[0, 90], [0, 91]]), "Mesure 1 : le décalage de 0 s doit croître"),
    # As many samples as seconds spanned, yet out of order: not a gap-free series.
    (_packed([[0, 90], [2, 91], [1, 92], [3, 93]]),
     "Mesure 2 : le décalage de 1 s doit croître"),
    ([[0, 90], [2, 91], [1, 92], [3, 93]], "Mesure 2 : le décalage de 1 s doit croître"),
    (_packed([[0, 90], [2, 400]]), "Mesure 1 : 400 bpm est hors de 25-250 bpm"),
    (_packed([[0, 90], [7200, 95]]), "des mesures dépassent la fin de la séance"),
])
def test_malformed_packed_samples_are_422_naming_the_field(client, device, clock, samples,
                                                          needle):
    response = client.post("/api/v1/me/sessions",
                           json={"items": [session_item(clock, hr_samples=samples)]},
                           headers=device)
    assert response.status_code == 422
    body = response.get_json()
    assert "hr_samples" in body["errors"]["json"]["items"]["0"]
    assert needle in body["message"].lower() or needle in body["message"]
    assert _count(ErgoSession) == 0
