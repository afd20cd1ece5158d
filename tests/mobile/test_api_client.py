"""The API client against a real server over HTTP: pairing, uploads, errors."""

from __future__ import annotations

import pytest

from mobile.api_client import (
    ApiClient,
    Refused,
    Unauthorized,
    Unreachable,
    item_errors,
    normalise_server_url,
)
from tests.mobile.conftest import free_port, session_payload


def test_pairing_gives_a_device_token_once(live_server, pairing_code, patient):
    client = ApiClient(live_server.url)
    paired = client.pair(pairing_code.lower(), "tablette du salon")
    assert paired["patient_id"] == patient.id and paired["first_name"] == "Jeanne"
    assert paired["programme_code"] == "respiratory_home" and paired["token"]
    with pytest.raises(Refused) as refused:
        client.pair(pairing_code, "tablette")
    assert refused.value.status == 404
    assert "appairage" in refused.value.message  # in French, the tablet's default


def test_plan_progress_and_notifications_with_the_token(live_server, device_token):
    client = ApiClient(live_server.url + "/", device_token)
    plan = client.plan()
    assert plan["week"] == 3 and plan["targets"]["sessions_min"] == 4
    assert [w["week"] for w in client.progress()["weeks"]] == [1, 2, 3]
    assert client.notifications() == {"items": [], "has_more": False, "unread": 0}


def test_upload_answers_receipts_and_names_refused_items(live_server, device_token, clock):
    client = ApiClient(live_server.url, device_token, language="fr")
    good = session_payload(clock)
    [receipt] = client.upload("/me/sessions", [good])
    assert receipt["id"] == good["id"] and receipt["server_id"] > 0
    bad = session_payload(clock, hr_max=400)
    with pytest.raises(Refused) as refused:
        client.upload("/me/sessions", [good, bad])
    assert refused.value.status == 422
    [(index, reason)] = refused.value.item_errors.items()
    assert index == 1 and reason.startswith("hr_max: ") and "25 et 250 bpm" in reason


def test_english_messages_when_the_tablet_speaks_english(live_server, device_token, clock):
    client = ApiClient(live_server.url, device_token, language="en")
    with pytest.raises(Refused) as refused:
        client.upload("/me/sessions", [session_payload(clock, days_ago=60)])
    assert "before the start of the programme" in refused.value.item_errors[0]


def test_a_revoked_or_wrong_token_is_unauthorized(live_server):
    with pytest.raises(Unauthorized):
        ApiClient(live_server.url, "not-a-token").plan()


def test_no_server_is_unreachable():
    with pytest.raises(Unreachable):
        ApiClient(f"http://127.0.0.1:{free_port()}", "t", timeout=2).plan()


@pytest.mark.parametrize(("text", "url"), [
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    (" https://reprise.example.org/ ", "https://reprise.example.org"),
    ("http://10.0.2.2:5000/api/v1", "http://10.0.2.2:5000"),
])
def test_server_addresses_are_normalised(text, url):
    assert normalise_server_url(text) == url


@pytest.mark.parametrize("text", ["", "127.0.0.1:5000", "ftp://host", "http://"])
def test_server_addresses_without_scheme_or_host_are_refused(text):
    with pytest.raises(ValueError):
        normalise_server_url(text)


def test_item_errors_read_both_error_shapes():
    schema = {"errors": {"json": {"items": {"2": {"hr_max": ["Too high."]}}}}}
    service = {"errors": {"items": {"0": {"day": ["In the future."]}, "x": {}}}}
    assert item_errors(schema) == {2: "hr_max: Too high."}
    assert item_errors(service) == {0: "day: In the future."}
    assert item_errors({"errors": {"json": {"items": ["Too many."]}}}) == {}
    assert item_errors("not json") == {}
