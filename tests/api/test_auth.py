"""Staff log-in with lock-out, tablet pairing with one-time codes, token revocation."""

from datetime import timedelta

import pyotp
from sqlalchemy import select

from server.extensions import db
from server.models import ApiToken, PairingCode
from shared.enums import Role
from tests.conftest import PASSWORD


def test_staff_login_returns_a_token_that_opens_staff_endpoints(client, factories):
    user = factories.user(Role.COORDINATOR, email="coord@example.org")
    response = client.post("/api/v1/auth/login",
                           json={"email": "Coord@Example.org", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["role"] == "coordinator" and body["user"]["id"] == user.id
    listing = client.get("/api/v1/patients",
                         headers={"Authorization": f"Bearer {body['token']}"})
    assert listing.status_code == 200


def test_password_is_stored_as_argon2id(factories):
    user = factories.user(Role.REFERENT)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_wrong_password_is_refused_and_five_failures_lock_the_account(client, factories, clock):
    user = factories.user(Role.REFERENT, email="ref@example.org")
    for _ in range(5):
        response = client.post("/api/v1/auth/login",
                               json={"email": "ref@example.org", "password": "nope"})
        assert response.status_code == 401
        assert response.get_json()["code"] == "invalid_credentials"
    locked = client.post("/api/v1/auth/login",
                         json={"email": "ref@example.org", "password": PASSWORD})
    # Locked: the very answer an unknown e-mail gets, so that nothing tells them apart.
    unknown = client.post("/api/v1/auth/login",
                          json={"email": "nobody@example.org", "password": PASSWORD})
    assert locked.status_code == unknown.status_code == 401
    assert locked.get_json() == unknown.get_json()
    db.session.refresh(user)
    assert user.locked_until is not None
    clock.set(clock.now() + timedelta(minutes=16))
    assert client.post("/api/v1/auth/login",
                       json={"email": "ref@example.org", "password": PASSWORD}).status_code == 200


def test_logout_revokes_the_token(client, factories, auth):
    headers = auth.staff(factories.user(Role.COORDINATOR))
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = client.get("/api/v1/patients", headers=headers)
    assert response.status_code == 401 and response.get_json()["code"] == "invalid_token"


def test_expired_staff_token_is_refused(client, factories, auth, clock):
    headers = auth.staff(factories.user(Role.COORDINATOR))
    clock.set(clock.now() + timedelta(hours=2))
    assert client.get("/api/v1/patients", headers=headers).status_code == 401


def test_missing_or_malformed_authorization_is_401(client):
    assert client.get("/api/v1/patients").status_code == 401
    assert client.get("/api/v1/patients", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/me/plan", headers={"Authorization": "Bearer x"}).status_code == 401


def _pairing_code(client, auth, referent, patient):
    enrolment_id = patient.enrolments[-1].id
    response = client.post(f"/api/v1/enrolments/{enrolment_id}/pairing-code",
                           headers=auth.staff(referent))
    assert response.status_code == 201
    return response.get_json()


def test_pairing_code_is_exchanged_once_for_a_device_token(client, factories, auth):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    code = _pairing_code(client, auth, referent, patient)["code"]
    # Read aloud over the phone: lower case and spaces are accepted.
    typed = f"{code[:4].lower()} {code[4:]}"
    paired = client.post("/api/v1/auth/pair", json={"code": typed, "device_label": "Tablette"})
    assert paired.status_code == 201
    body = paired.get_json()
    assert body["patient_id"] == patient.id and body["first_name"] == "Jeanne"
    plan = client.get("/api/v1/me/plan", headers={"Authorization": f"Bearer {body['token']}"})
    assert plan.status_code == 200
    again = client.post("/api/v1/auth/pair", json={"code": code})
    assert again.status_code == 404 and again.get_json()["code"] == "invalid_code"
    stored = db.session.scalar(select(ApiToken).where(ApiToken.patient_id == patient.id))
    assert stored.token_hash != body["token"] and len(stored.token_hash) == 64


def test_pairing_code_expires(client, factories, auth, clock):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    code = _pairing_code(client, auth, referent, patient)["code"]
    clock.set(clock.now() + timedelta(days=1, minutes=1))
    assert client.post("/api/v1/auth/pair", json={"code": code}).status_code == 404


def test_a_new_pairing_code_cancels_the_previous_one(client, factories, auth):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    first = _pairing_code(client, auth, referent, patient)["code"]
    second = _pairing_code(client, auth, referent, patient)["code"]
    assert client.post("/api/v1/auth/pair", json={"code": first}).status_code == 404
    assert client.post("/api/v1/auth/pair", json={"code": second}).status_code == 201
    assert db.session.scalar(select(PairingCode.code_hash).where(
        PairingCode.enrolment_id == patient.enrolments[-1].id).limit(1)) not in (first, second)


def test_revoked_device_token_is_refused_at_once(client, factories, auth):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    device = auth.device(patient)
    assert client.get("/api/v1/me/plan", headers=device).status_code == 200
    staff = auth.staff(referent)
    devices = client.get(f"/api/v1/patients/{patient.id}/devices", headers=staff).get_json()
    revoked = client.post(f"/api/v1/patients/{patient.id}/devices/{devices[0]['id']}/revoke",
                          headers=staff)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert client.get("/api/v1/me/plan", headers=device).status_code == 401


def test_device_token_cannot_reach_staff_endpoints_and_staff_token_not_me(client, factories,
                                                                         auth):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    assert client.get("/api/v1/patients", headers=auth.device(patient)).status_code == 401
    assert client.get("/api/v1/me/plan", headers=auth.staff(referent)).status_code == 401


def test_user_create_command_makes_a_staff_account(runner):
    result = runner.invoke(args=["user", "create", "--email", "Doc@Example.org", "--name",
                                 "Dr House", "--role", "physician", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "created physician doc@example.org" in result.output
    short = runner.invoke(args=["user", "create", "--email", "x@example.org", "--name", "X",
                                "--role", "referent", "--password", "short"])
    assert short.exit_code != 0
    assert "Mot de passe trop court. password: Au moins 12 caractères." in short.output


def test_an_account_with_a_second_factor_needs_its_code_over_the_api(client, factories, clock):
    user = factories.user(Role.PHYSICIAN, email="totp@example.org")
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    credentials = {"email": "totp@example.org", "password": PASSWORD}
    missing = client.post("/api/v1/auth/login", json=credentials)
    assert missing.status_code == 401 and missing.get_json()["code"] == "totp_required"
    wrong = client.post("/api/v1/auth/login", json={**credentials, "totp": "000000"})
    assert wrong.status_code == 422 and "code" in wrong.get_json()["errors"]
    code = pyotp.TOTP(user.totp_secret).at(clock.now())
    good = client.post("/api/v1/auth/login", json={**credentials, "totp": code})
    assert good.status_code == 200, good.get_json()
    me = client.get("/api/v1/patients",
                    headers={"Authorization": f"Bearer {good.get_json()['token']}"})
    assert me.status_code == 200
    replayed = client.post("/api/v1/auth/login", json={**credentials, "totp": code})
    assert replayed.status_code == 422, "a code works once"
    clock.set(clock.now() + timedelta(seconds=30))
    fresh = pyotp.TOTP(user.totp_secret).at(clock.now())
    assert client.post("/api/v1/auth/login",
                       json={**credentials, "totp": fresh}).status_code == 200


def _pair(client, code):
    response = client.post("/api/v1/auth/pair", json={"code": code, "device_label": "Tablette"})
    return response


def test_pairing_again_revokes_the_older_device_tokens(client, factories, auth):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    first = _pair(client, _pairing_code(client, auth, referent, patient)["code"]).get_json()
    second = _pair(client, _pairing_code(client, auth, referent, patient)["code"]).get_json()
    assert client.get("/api/v1/me/plan", headers={
        "Authorization": f"Bearer {first['token']}"}).status_code == 401
    assert client.get("/api/v1/me/plan", headers={
        "Authorization": f"Bearer {second['token']}"}).status_code == 200
    live = db.session.scalars(select(ApiToken).where(ApiToken.patient_id == patient.id,
                                                     ApiToken.revoked_at.is_(None))).all()
    assert len(live) == 1


def test_a_device_token_lives_90_days_after_its_last_use(client, factories, auth, clock):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    token = _pair(client, _pairing_code(client, auth, referent, patient)["code"]).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    for _ in range(3):  # used every 80 days: renewed each time
        clock.set(clock.now() + timedelta(days=80))
        assert client.get("/api/v1/me/plan", headers=headers).status_code == 200
    clock.set(clock.now() + timedelta(days=90, minutes=1))
    assert client.get("/api/v1/me/plan", headers=headers).status_code == 401


def test_the_enrolment_ending_ends_its_device_tokens_and_its_pairing(client, factories, auth):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    headers = auth.device(patient)
    unused_code = _pairing_code(client, auth, referent, patient)["code"]
    enrolment = patient.enrolments[-1]
    ended = client.post(f"/api/v1/enrolments/{enrolment.id}/transitions",
                        json={"action": "interrupt", "reason": "Moved away"},
                        headers=auth.staff(referent))
    assert ended.status_code == 200, ended.get_json()
    assert client.get("/api/v1/me/plan", headers=headers).status_code == 401
    refused = _pair(client, unused_code)
    assert refused.status_code == 422 and refused.get_json()["code"] == "enrolment_ended"


def test_a_token_records_its_last_use_to_the_minute_not_on_every_request(
        client, factories, auth, clock):
    from datetime import timedelta

    from server.extensions import db
    from server.models import ApiToken

    patient = factories.active_patient(factories.user())
    headers = auth.device(patient)

    def last_used():
        db.session.expire_all()
        return db.session.scalar(db.select(ApiToken.last_used_at).where(
            ApiToken.patient_id == patient.id))

    client.get("/api/v1/me/plan", headers=headers)
    first = last_used()
    clock.set(clock.now() + timedelta(seconds=30))
    client.get("/api/v1/me/plan", headers=headers)
    assert last_used() == first
    clock.set(clock.now() + timedelta(seconds=31))
    client.get("/api/v1/me/plan", headers=headers)
    assert last_used() == clock.now()
