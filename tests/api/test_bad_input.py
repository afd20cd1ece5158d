"""Any id, any text, any date, any nesting: a 4xx in the one error shape, nothing stored."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import ErgoSession, HealthEvent
from shared.enums import Role
from shared.ranges import MAX_BATCH_ITEMS

HUGE = 2**63
BEYOND_INTEGER = 2**31  # the tables' ids are 32-bit INTEGER columns


def _assert_error_shape(response, status):
    assert response.status_code == status, response.data[:300]
    body = response.get_json()
    assert body["status"] == status and body["code"] and body["message"]
    return body


@pytest.mark.parametrize("path", [
    f"/api/v1/patients/{HUGE}", f"/api/v1/patients/{HUGE}/devices",
    f"/api/v1/enrolments/{HUGE}", f"/api/v1/patients/{HUGE}/flags",
    f"/api/v1/patients/{2**64 + 5}", f"/api/v1/patients/{BEYOND_INTEGER}",
])
def test_ids_beyond_the_tables_are_404_on_the_api(client, factories, auth, path):
    headers = auth.staff(factories.user(Role.COORDINATOR))
    _assert_error_shape(client.get(path, headers=headers), 404)


@pytest.mark.parametrize("path", [
    f"/api/v1/flags/{HUGE}/acknowledge", f"/api/v1/contacts/{HUGE}/record",
    f"/api/v1/enrolments/{HUGE}/pairing-code",
    f"/api/v1/patients/{BEYOND_INTEGER}/devices/1/revoke",
])
def test_ids_beyond_the_tables_are_404_on_api_posts(client, factories, auth, path):
    headers = auth.staff(factories.user(Role.COORDINATOR))
    _assert_error_shape(client.post(path, json={}, headers=headers), 404)


def test_ids_beyond_the_tables_on_the_tablet_api(client, factories, auth):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    _assert_error_shape(client.post(f"/api/v1/me/notifications/{HUGE}/read",
                                    headers=auth.device(patient)), 404)


def _session(clock, **kw):
    return {"id": str(uuid.uuid4()), "started_at": clock.now().isoformat(),
            "duration_s": 1800, **kw}


@pytest.mark.parametrize("text", ["\ud800", "bad \udfff end", "nul \x00 byte", "bell \x07"])
def test_lone_surrogates_and_control_characters_are_422_naming_the_field(
        client, factories, auth, clock, text):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    body = json.dumps({"items": [_session(clock), _session(clock, notes=text)]})
    response = client.post("/api/v1/me/sessions", data=body, content_type="application/json",
                           headers=auth.device(patient))
    error = _assert_error_shape(response, 422)
    assert "items.1.notes" in error["message"]
    assert db.session.scalar(select(func.count()).select_from(ErgoSession)) == 0


def test_new_lines_and_tabs_stay_allowed(client, factories, auth, clock):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    response = client.post("/api/v1/me/sessions", json={"items": [
        _session(clock, notes="ligne 1\nligne 2\tfin")]}, headers=auth.device(patient))
    assert response.status_code in (200, 201), response.get_json()


def test_a_lone_surrogate_on_a_staff_endpoint_is_a_json_422(client, factories, auth):
    headers = auth.staff(factories.user(Role.COORDINATOR))
    response = client.post("/api/v1/patients", data='{"first_name": "\\ud800", "last_name": "X"}',
                           content_type="application/json", headers=headers)
    error = _assert_error_shape(response, 422)
    assert "first_name" in error["message"]


@pytest.mark.parametrize("depth", [40, 5000, 200_000])
def test_deeply_nested_json_is_refused(client, factories, auth, depth):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    body = '{"items": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/api/v1/me/sessions", data=body, content_type="application/json",
                           headers=auth.device(patient))
    assert response.status_code in (400, 422)
    _assert_error_shape(response, response.status_code)


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                     "0001-01-01T00:00:00Z"])
def test_instants_at_the_edges_of_the_calendar_are_422(client, factories, auth, clock, instant):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    response = client.post("/api/v1/me/sessions", json={"items": [
        _session(clock, started_at=instant)]}, headers=auth.device(patient))
    error = _assert_error_shape(response, 422)
    assert "items.0.started_at" in error["message"]


def test_a_batch_over_the_limit_is_refused_before_its_items_are_read(
        client, factories, auth, clock, monkeypatch):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    from server.api.schemas import tablet

    def never(*args, **kwargs):
        raise AssertionError("an item was validated")

    monkeypatch.setattr(tablet.SessionIn, "_coherent", never)
    items = [_session(clock) for _ in range(MAX_BATCH_ITEMS + 1)]
    response = client.post("/api/v1/me/sessions", json={"items": items},
                           headers=auth.device(patient))
    error = _assert_error_shape(response, 422)
    assert "items" in error["message"] and str(MAX_BATCH_ITEMS) in error["message"]


def test_query_and_form_text_is_checked_too(client, factories, auth):
    headers = auth.staff(factories.user(Role.COORDINATOR))
    response = client.get("/api/v1/patients?search=a%00b", headers=headers)
    error = _assert_error_shape(response, 422)
    assert "search" in error["message"]
    assert db.session.scalar(select(func.count()).select_from(HealthEvent)) == 0


def _questionnaire(clock, **kw):
    return {"id": str(uuid.uuid4()), "instrument": "satisfaction",
            "answered_at": clock.now().isoformat(), "answers": {"satisfaction": 8}, **kw}


@pytest.mark.parametrize("raw_score", ["1e308", "-5", "NaN", "Infinity", "1" + "0" * 400])
def test_a_questionnaire_score_sent_by_the_client_is_refused_whatever_its_value(
        client, factories, auth, clock, raw_score):
    # The server scores every answer: a score field is unknown, even a huge or non-finite one.
    patient = factories.active_patient(factories.user(Role.REFERENT))
    item = json.dumps({"items": [_questionnaire(clock, score=0)]}).replace(
        '"score": 0', f'"score": {raw_score}')
    response = client.post("/api/v1/me/questionnaires", data=item,
                           content_type="application/json", headers=auth.device(patient))
    error = _assert_error_shape(response, 422)
    assert "items.0.score" in error["message"]


def test_questionnaire_answers_are_checked_against_the_instrument(client, factories, auth,
                                                                  clock):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    response = client.post("/api/v1/me/questionnaires", json={"items": [
        _questionnaire(clock, answers={"satisfaction": 8, "favourite_colour": 3})]},
        headers=auth.device(patient))
    error = _assert_error_shape(response, 422)
    assert "items.0.answers.favourite_colour" in error["message"]
    good = client.post("/api/v1/me/questionnaires", json={"items": [_questionnaire(clock)]},
                       headers=auth.device(patient))
    assert good.status_code in (200, 201), good.get_json()


def test_overlapping_sessions_are_refused_naming_the_item(client, factories, auth, clock):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    headers = auth.device(patient)
    start = clock.now().replace(hour=8, minute=0, second=0, microsecond=0)
    # 100 six-hour sessions starting at the same instant: refused, nothing stored.
    pile = [_session(clock, started_at=start.isoformat(), duration_s=6 * 3600)
            for _ in range(100)]
    error = _assert_error_shape(client.post("/api/v1/me/sessions", json={"items": pile},
                                            headers=headers), 422)
    assert "items.1.started_at" in error["message"] and "items.0." not in error["message"]
    assert db.session.scalar(select(func.count()).select_from(ErgoSession)) == 0
    first = _session(clock, started_at=start.isoformat(), duration_s=3600)
    assert client.post("/api/v1/me/sessions", json={"items": [first]},
                       headers=headers).status_code in (200, 201)
    # Against what is stored: a session that ends inside the stored one is named too.
    earlier = (start - timedelta(minutes=30)).isoformat()
    error = _assert_error_shape(client.post("/api/v1/me/sessions", json={"items": [
        _session(clock, started_at=earlier, duration_s=3600)]}, headers=headers), 422)
    assert "items.0.started_at" in error["message"]
    after = (start + timedelta(hours=1)).isoformat()  # back to back is fine
    assert client.post("/api/v1/me/sessions", json={"items": [
        _session(clock, started_at=after, duration_s=1800)]}, headers=headers).status_code in (
            200, 201)
    # A re-send of the stored session is not an overlap with itself.
    again = client.post("/api/v1/me/sessions", json={"items": [first]}, headers=headers)
    assert again.status_code in (200, 201)


def test_a_session_re_sent_with_another_utc_offset_gets_its_receipt(client, factories, auth,
                                                                    clock):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    headers = auth.device(patient)
    local = clock.now().astimezone(clock.tz).replace(hour=10, minute=0, second=0,
                                                     microsecond=0)
    item = _session(clock, started_at=local.isoformat())
    assert item["started_at"].endswith("+01:00")
    first = client.post("/api/v1/me/sessions", json={"items": [item]}, headers=headers)
    in_utc = {**item, "started_at": local.astimezone(UTC).isoformat().replace("+00:00", "Z")}
    assert in_utc["started_at"] != item["started_at"]
    again = client.post("/api/v1/me/sessions", json={"items": [in_utc]}, headers=headers)
    assert again.status_code == first.status_code
    assert again.get_json() == first.get_json()
