"""Fixtures for the staff pages: a logged-in test client, a live server and a browser.

The browser is Debian's Chromium driven by Playwright (never a downloaded
build): one browser per test session, one context (fresh cookies) per test.
The live server is the test's own app served on 127.0.0.1 in a thread, so the
pages read the same database and clock as the test.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert
from werkzeug.serving import make_server

from server.extensions import db
from server.models import ErgoSession, Patient, User
from server.services.enrolments import apply_transition
from shared.enrolment import Action
from shared.enums import Role, SessionSource
from tests.conftest import PASSWORD, Factories

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "web"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The first CSRF token of a page."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class WebClient:
    """A test client that logs in through the form and posts with the page's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user: User, password: str = PASSWORD) -> Any:
        page = self.client.get("/login")
        return self.client.post("/login", data={
            "email": user.email, "password": password, "csrf_token": csrf_from(page.text)})

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, form_page: str | None = None,
             **kw: Any) -> Any:
        """POST with the CSRF token of ``form_page`` (default: the home page)."""
        token = csrf_from(self.client.get(form_page or "/", follow_redirects=True).text)
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kw)


@pytest.fixture
def web_app(app: Flask) -> Flask:
    """The test app; cookies without Secure because the test server speaks plain HTTP."""
    app.config["SESSION_COOKIE_SECURE"] = False
    return app


@pytest.fixture
def web(web_app: Flask, client: FlaskClient) -> WebClient:
    return WebClient(client)


def add_sessions(patient: Patient, weeks: int, per_week: int = 4, hr_max: int = 120,
                 watts: int = 40) -> None:
    """Ergocycle sessions over the patient's first ``weeks`` programme weeks, in one insert."""
    enrolment = patient.enrolments[-1]
    rows = []
    for week in range(weeks):
        for n in range(per_week):
            day = enrolment.start_date + timedelta(days=7 * week + n)
            client_id = uuid.uuid4()
            rows.append({
                "client_id": client_id,
                "payload_digest": hashlib.sha256(client_id.bytes).hexdigest(),
                "received_at": datetime.combine(day, time(18), UTC),
                "patient_id": patient.id, "enrolment_id": enrolment.id,
                "started_at": datetime.combine(day, time(17), UTC), "day": day,
                "duration_s": (20 + week) * 60, "watts": watts + 2 * week,
                "hr_rest": 70, "hr_mean": 100 + week, "hr_max": hr_max, "dyspnoea": 4,
                "source": SessionSource.MANUAL, "hr_sample_count": 0,
            })
    db.session.execute(insert(ErgoSession), rows)
    db.session.commit()


def follow_up_patient(factories: Factories, referent: User, physician: User) -> Patient:
    """A respiratory patient three months into the follow-up, their +3 month call due."""
    today = factories.clock.today()
    patient = factories.active_patient(referent, start=today - timedelta(days=84 + 91),
                                       physician=physician, first_name="Marc",
                                       last_name="Petit")
    apply_transition(patient.enrolments[-1], factories.staff(Role.COORDINATOR),
                     Action.BEGIN_FOLLOW_UP, {})
    return patient


@pytest.fixture
def live_server(web_app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 at a free port, for the browser; its base URL."""
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh browser context (no cookies) at 1280x800, French first."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800},
                                  locale="fr-FR")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> None:
    """Save the whole page under artifacts/screenshots/web/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def browser_login(page: Any, user: User, password: str = PASSWORD) -> None:
    """Log in through the form, as a person would (keyboard: Enter submits)."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_label("Mot de passe").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def today(factories: Factories) -> date:
    return factories.clock.today()
