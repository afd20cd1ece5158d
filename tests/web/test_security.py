"""Log-in, lock-out, second factor, CSRF, cookies and headers of the staff pages."""

from __future__ import annotations

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import ApiToken
from server.services.auth import MAX_FAILED_LOGINS
from shared.enums import Role
from tests.conftest import PASSWORD, Factories
from tests.web.conftest import WebClient, csrf_from


def test_pages_need_a_session(web: WebClient) -> None:
    response = web.get("/queue/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/queue/")


def test_login_lands_on_the_role_page_and_logout_revokes_the_session(
        web: WebClient, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    assert web.login(referent).headers["Location"] == "/"
    assert web.get("/", follow_redirects=True).request.path == "/queue/"
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == referent.id))
    assert token.label == "web"
    web.post("/logout")
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert web.get("/queue/").status_code == 302


def test_wrong_password_is_refused_in_french_and_locks_the_account(
        web: WebClient, factories: Factories) -> None:
    coordinator = factories.user(Role.COORDINATOR)
    for _ in range(MAX_FAILED_LOGINS):
        response = web.login(coordinator, password="not the password")
        assert response.status_code == 400
        assert "E-mail ou mot de passe incorrect" in response.text
    response = web.login(coordinator)
    assert "compte bloqué" in response.text
    db.session.refresh(coordinator)
    assert coordinator.locked_until is not None


def test_open_redirects_are_dropped(web: WebClient, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    page = web.get("/login?next=//evil.example/")
    response = web.client.post("/login", data={
        "email": referent.email, "password": "correct horse battery staple",
        "next": "//evil.example/", "csrf_token": csrf_from(page.text)})
    assert response.headers["Location"] == "/"


def test_totp_enrolment_then_log_in_with_the_code(web: WebClient, factories: Factories) -> None:
    physician = factories.user(Role.PHYSICIAN)
    web.login(physician)
    page = web.get("/account/second-factor")
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    refused = web.client.post("/account/second-factor", data={
        "password": PASSWORD, "code": "000000", "csrf_token": csrf_from(page.text)})
    assert refused.status_code == 400 and "Code incorrect" in refused.text
    code = pyotp.TOTP(secret).at(factories.clock.now())
    web.client.post("/account/second-factor", data={
        "password": PASSWORD, "code": code, "csrf_token": csrf_from(page.text)})
    db.session.refresh(physician)
    assert physician.totp_secret == secret
    web.post("/logout")

    # The password alone gives no session: the code page comes next.
    assert web.login(physician).headers["Location"] == "/login/code"
    assert web.get("/physician/").status_code == 302
    page = web.get("/login/code")
    wrong = web.client.post("/login/code", data={"code": "123456",
                                                 "csrf_token": csrf_from(page.text)})
    assert "Code incorrect" in wrong.text
    db.session.refresh(physician)
    assert physician.failed_logins == 2, "the password step and the wrong code both count"
    ok = web.client.post("/login/code", data={"code": code, "csrf_token": csrf_from(page.text)})
    assert ok.status_code == 302
    assert web.get("/physician/").status_code == 200


def test_a_post_without_the_csrf_token_is_refused(web: WebClient, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    web.login(referent)
    response = web.client.post("/logout")
    assert response.status_code == 400
    assert "formulaire a expiré" in response.text
    assert web.get("/queue/").status_code == 200  # still logged in


def test_headers_and_cookie_flags(app: Flask, client: FlaskClient, factories: Factories) -> None:
    # The production settings (Secure cookie) as server.config gives them.
    assert app.config["SESSION_COOKIE_SECURE"] is True
    page = client.get("/login", base_url="https://localhost")
    cookie = page.headers["Set-Cookie"]
    assert "reprise_session=" in cookie
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"


def test_language_switch(web: WebClient, factories: Factories) -> None:
    assert "Mot de passe" in web.get("/login").text
    web.post("/language", {"lang": "en"}, form_page="/login")
    assert "Password" in web.get("/login").text
    referent = factories.user(Role.REFERENT)
    web.login(referent)
    assert "File de travail" in web.get("/queue/").text  # the account's own language
    web.post("/language", {"lang": "en"})
    assert "Work queue" in web.get("/queue/").text
    db.session.refresh(referent)
    assert referent.locale == "en"
    web.post("/language", {"lang": "fr"})
    assert "File de travail" in web.get("/queue/").text


def test_deactivating_an_account_ends_its_open_session(
        web_app: Flask, web: WebClient, factories: Factories) -> None:
    admin, referent = factories.user(Role.ADMIN), factories.user(Role.REFERENT)
    # A second browser, isolated like the first one (the ``client`` fixture's class).
    as_admin, as_referent = web, WebClient(web_app.test_client())
    as_referent.login(referent)
    assert as_referent.get("/queue/").status_code == 200
    as_admin.login(admin)
    page = as_admin.get("/admin/").text
    answer = as_admin.client.post(f"/admin/users/{referent.id}", data={
        f"u{referent.id}-role": "referent", "csrf_token": csrf_from(page)})
    assert answer.status_code == 302
    assert as_referent.get("/queue/").status_code == 302  # back to the log-in page
    # An administrator cannot take their own administrator access away.
    refused = as_admin.client.post(f"/admin/users/{admin.id}", data={
        f"u{admin.id}-role": "referent", f"u{admin.id}-active": "y",
        "csrf_token": csrf_from(page)})
    assert refused.status_code == 422 and "propre accès administrateur" in refused.text


def test_the_session_cookie_holds_no_api_credential(
        web_app: Flask, web: WebClient, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    web.login(referent)
    cookie = web.client.get_cookie("reprise_session")
    session = web_app.session_interface.get_signing_serializer(web_app).loads(cookie.value)
    assert set(session) <= {"sid", "csrf_token", "_permanent", "lang"}
    # Whatever the cookie carries, as a bearer token it opens nothing.
    for value in (cookie.value, *map(str, session.values())):
        answer = web.client.get("/api/v1/patients", headers={"Authorization": f"Bearer {value}"})
        assert answer.status_code == 401


def test_enabling_totp_uses_the_secret_the_server_drew_and_asks_for_the_password(
        web: WebClient, factories: Factories) -> None:
    physician = factories.user(Role.PHYSICIAN)
    web.login(physician)
    page = web.get("/account/second-factor")
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    code_of_zeros = pyotp.TOTP("A" * 32).at(factories.clock.now())
    forged = web.client.post("/account/second-factor", data={
        "password": PASSWORD, "secret": "A" * 32, "code": code_of_zeros,
        "csrf_token": csrf_from(page.text)})
    assert forged.status_code == 400
    code = pyotp.TOTP(secret).at(factories.clock.now())
    no_password = web.client.post("/account/second-factor", data={
        "password": "not it at all", "code": code, "csrf_token": csrf_from(page.text)})
    assert no_password.status_code == 400 and "Mot de passe incorrect" in no_password.text
    db.session.refresh(physician)
    assert physician.totp_secret is None
    assert secret in web.get("/account/second-factor").text, "the same secret is offered again"


def test_pages_answer_404_for_ids_beyond_the_tables(web: WebClient, factories: Factories) -> None:
    web.login(factories.user(Role.COORDINATOR))
    for path in (f"/patients/{2**63}", f"/coordinator/enrolments/{2**63}",
                 f"/flags/{2**64}", f"/patients/1/documents/{2**63}", f"/patients/{2**31}"):
        assert web.get(path).status_code == 404, path


def test_a_form_field_with_a_control_character_is_a_422_page_naming_it(
        web: WebClient, factories: Factories) -> None:
    page = web.get("/login")
    response = web.client.post("/login", data={
        "email": "a\x00b@example.org", "password": "x", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "<html" in response.text and "email" in response.text
