"""The tablet's in-app messages: listed newest first, marked read, and only the patient's own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.extensions import db
from server.models import Notification
from server.models.notifications import NotificationChannel, NotificationStatus
from server.services.notifications import enqueue

URL = "/api/v1/me/notifications"


@pytest.fixture
def patient(factories, referent):
    return factories.active_patient(referent)


@pytest.fixture
def device(auth, patient):
    return auth.device(patient)


def in_app(patient, key: str, body: str = "Pensez à votre séance du jour.") -> Notification:
    message = enqueue(channel=NotificationChannel.IN_APP, kind="reminder_no_session",
                      patient_id=patient.id, dedupe_key=key, subject="Rappel", body=body)
    db.session.commit()
    return message


def one_per_hour(patient, clock, count: int) -> list[Notification]:
    """``count`` messages an hour apart, oldest first; the clock ends on the newest."""
    messages = []
    for i in range(count):
        if i:
            clock.set(clock.now() + timedelta(hours=1))
        messages.append(in_app(patient, f"m-{i}", f"Message {i}"))
    return messages


def test_patient_lists_only_their_own_in_app_messages_newest_first(client, device, patient,
                                                                   factories, referent, clock):
    older, newer = one_per_hour(patient, clock, 2)
    # Not in the tablet's list: another patient's message, an SMS to this patient,
    # and a message to the referent.
    in_app(factories.active_patient(referent, first_name="Paul"), "other")
    enqueue(channel=NotificationChannel.SMS, kind="call_tomorrow", patient_id=patient.id,
            dedupe_key="sms", body="Appel demain")
    enqueue(channel=NotificationChannel.IN_APP, kind="digest", user_id=referent.id,
            dedupe_key="digest", body="Synthèse")
    db.session.commit()
    response = client.get(URL, headers=device)
    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [newer.id, older.id]
    assert body["items"][0] == {
        "id": newer.id, "kind": "reminder_no_session", "subject": "Rappel", "body": "Message 1",
        "created_at": clock.now().isoformat(), "read_at": None, "read": False}
    assert (body["unread"], body["has_more"]) == (2, False)


def test_since_returns_only_messages_created_after_it(client, device, patient, clock):
    first, second, third = one_per_hour(patient, clock, 3)
    response = client.get(URL, query_string={"since": first.created_at.isoformat()},
                          headers=device)
    assert [item["id"] for item in response.get_json()["items"]] == [third.id, second.id]


def test_before_id_pages_through_older_messages(client, device, patient, clock):
    messages = one_per_hour(patient, clock, 5)
    newest_first = [m.id for m in reversed(messages)]
    page = client.get(URL, query_string={"limit": 2}, headers=device).get_json()
    assert [i["id"] for i in page["items"]] == newest_first[:2] and page["has_more"]
    page = client.get(URL, query_string={"limit": 2, "before_id": page["items"][-1]["id"]},
                      headers=device).get_json()
    assert [i["id"] for i in page["items"]] == newest_first[2:4] and page["has_more"]
    page = client.get(URL, query_string={"limit": 2, "before_id": page["items"][-1]["id"]},
                      headers=device).get_json()
    assert [i["id"] for i in page["items"]] == newest_first[4:] and not page["has_more"]


def test_messages_stored_at_the_same_instant_page_without_loss_or_repeat(client, device,
                                                                          patient):
    # A job enqueues several messages in one run: same created_at, told apart by id.
    ids = [in_app(patient, f"same-{i}").id for i in range(3)]
    seen = []
    before = None
    while True:
        query = {"limit": 1} | ({"before_id": before} if before else {})
        page = client.get(URL, query_string=query, headers=device).get_json()
        seen += [i["id"] for i in page["items"]]
        if not page["has_more"]:
            break
        before = page["items"][-1]["id"]
    assert seen == sorted(ids, reverse=True)


def test_marking_read_records_the_first_reading_and_lowers_unread(client, device, patient,
                                                                  clock):
    message = in_app(patient, "m")
    in_app(patient, "other")
    response = client.post(f"{URL}/{message.id}/read", headers=device)
    assert response.status_code == 200
    first_read = clock.now()
    assert response.get_json()["read_at"] == first_read.isoformat()
    assert response.get_json()["read"] is True
    clock.set(clock.now() + timedelta(hours=3))
    again = client.post(f"{URL}/{message.id}/read", headers=device)
    assert again.status_code == 200 and again.get_json()["read_at"] == first_read.isoformat()
    assert client.get(URL, headers=device).get_json()["unread"] == 1
    db.session.expire_all()
    stored = db.session.get(Notification, message.id)
    assert (stored.status, stored.read_at) == (NotificationStatus.READ, first_read)


def test_patient_cannot_mark_another_patients_message_read(client, device, factories, referent,
                                                           patient, auth):
    other = factories.active_patient(referent, first_name="Paul")
    theirs = in_app(other, "theirs")
    sms = enqueue(channel=NotificationChannel.SMS, kind="call_tomorrow", patient_id=patient.id,
                  dedupe_key="sms", body="Appel demain")
    db.session.commit()
    for notification_id in (theirs.id, sms.id, 999_999):
        response = client.post(f"{URL}/{notification_id}/read", headers=device)
        assert response.status_code == 404
        assert response.get_json()["code"] == "notification_not_found"
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None
    # Nor page from it: another patient's message is no cursor.
    response = client.get(URL, query_string={"before_id": theirs.id}, headers=device)
    assert response.status_code == 422
    assert client.get(URL, headers=auth.device(other)).get_json()["unread"] == 1


@pytest.mark.parametrize(("method", "path"), (("GET", URL), ("POST", f"{URL}/1/read")))
def test_notifications_need_a_paired_device(client, auth, referent, method, path):
    anonymous = client.open(path, method=method)
    assert anonymous.status_code == 401
    staff = client.open(path, method=method, headers=auth.staff(referent))
    assert staff.status_code == 401 and staff.get_json()["code"] == "device_only"


@pytest.mark.parametrize("query", ({"limit": 0}, {"limit": 101}, {"since": "2026-03-02T10:00"},
                                   {"before_id": "abc"}))
def test_bad_listing_parameters_are_refused(client, device, query):
    response = client.get(URL, query_string=query, headers=device)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["query"]) == set(query)


def test_openapi_document_lists_the_notification_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths[URL]
    assert "post" in paths[URL + "/{notification_id}/read"]
