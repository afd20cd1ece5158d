"""What operators rely on: health checks, the request log, the client's address behind proxies."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from server import create_app, request_log
from server.clock import FixedClock
from server.extensions import db
from server.health import migrations_head
from server.models import AuditEntry
from shared.enums import Role
from tests.conftest import Auth, Factories

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def _app(uri: str, **config: object) -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri,
                       "SECRET_KEY": "test-secret", **config})


def test_healthz_answers_without_the_database() -> None:
    app = _app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")

    answer = app.test_client().get("/healthz")

    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_a_database_migrated_to_head(tmp_path: Path) -> None:
    app = _app(f"sqlite:///{tmp_path / 'ready.sqlite'}")
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        head = migrations_head()
        db.engine.dispose()

    answer = app.test_client().get("/readyz")

    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ready", "revision": head}
    assert answer.headers["Cache-Control"] == "no-store"


def test_readyz_refuses_a_database_not_migrated(tmp_path: Path) -> None:
    app = _app(f"sqlite:///{tmp_path / 'empty.sqlite'}")

    answer = app.test_client().get("/readyz")

    assert answer.status_code == 503
    body = answer.get_json()
    assert (body["reason"], body["revision"]) == ("migrations", None)
    assert body["expected_revision"]


def test_readyz_refuses_when_the_database_does_not_answer() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    app = _app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")

    answer = app.test_client().get("/readyz")

    assert answer.status_code == 503
    assert answer.get_json()["reason"] == "database"


def test_each_request_is_one_json_line_with_the_route_not_the_ids(
        client, factories: Factories, auth: Auth, caplog: pytest.LogCaptureFixture) -> None:
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    headers = auth.staff(referent)
    device = auth.device(patient)

    with caplog.at_level(logging.INFO, logger="reprise.requests"):
        client.get(f"/api/v1/patients/{patient.id}?access_token=secret-in-query",
                   headers=headers)
        client.get("/api/v1/me/plan", headers=device)
        client.get("/no/such/page/4242")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "reprise.requests"]

    staff, tablet, unknown = lines
    assert staff["path"] == "/api/v1/patients/<int:patient_id>"
    assert (staff["method"], staff["status"], staff["user_id"]) == ("GET", 200, referent.id)
    assert staff["device_token_id"] is None
    assert isinstance(staff["ms"], float) and staff["ms"] >= 0
    assert (tablet["path"], tablet["status"], tablet["user_id"]) == ("/api/v1/me/plan", 200, None)
    assert isinstance(tablet["device_token_id"], int)
    assert (unknown["path"], unknown["status"]) == ("<unmatched>", 404)
    text = " ".join(r.getMessage() for r in caplog.records if r.name == "reprise.requests")
    # Neither the query string nor anything about the patient reaches the log.
    for secret in ("secret-in-query", "access_token", str(patient.last_name), "4242"):
        assert secret not in text


def test_a_streamed_response_is_logged_without_reading_its_body(app: Flask) -> None:
    produced: list[str] = []

    def body():
        produced.append("first chunk")
        yield "{}\n"

    response = app.response_class(body(), mimetype="application/fhir+ndjson")
    with app.test_request_context("/api/v1/fhir/bulk/Patient.ndjson"):
        line = request_log.request_line(response)
    assert line["bytes"] is None and produced == []


@pytest.mark.parametrize(("proxies", "expected"), [(1, "203.0.113.7"), (0, "127.0.0.1")])
def test_the_audit_log_records_the_client_behind_the_configured_proxies(
        app: Flask, db_uri: str, clock: FixedClock, factories: Factories, auth: Auth,
        proxies: int, expected: str) -> None:
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    headers = auth.staff(referent)
    served = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_uri,
                         "SECRET_KEY": "test-secret", "PROXIES": proxies}, clock=clock)

    # The client forges a first hop; the load balancer appends the address it saw.
    answer = served.test_client().get(
        f"/api/v1/patients/{patient.id}", environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={**headers, "X-Forwarded-For": "10.9.9.9, 203.0.113.7"})

    with served.app_context():
        db.engine.dispose()
    assert answer.status_code == 200
    db.session.expire_all()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.patient_id == patient.id)
                               .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.ip == expected
