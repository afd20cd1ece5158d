"""`reprise demo-data` writes only to the demo's database unless told, never with the
published password elsewhere."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Patient, User
from server.services.users import create_user
from shared.enums import Role
from synthetic.demo import DEMO_PASSWORD
from synthetic.plan import MIN_PATIENTS, Options
from synthetic.target import TargetRefused
from synthetic.write import generate

PATIENTS = str(MIN_PATIENTS)


def _production_account() -> User:
    return create_user(email="chef@hopital.fr", full_name="Chef de service",
                       role=Role.COORDINATOR, password="a real password 2026")


def _users() -> set[str]:
    return set(db.session.scalars(select(User.email)))


def test_reset_outside_the_demo_database_is_refused_and_deletes_nothing(app, runner):
    _production_account()
    result = runner.invoke(args=["demo-data", "--reset", "--patients", PATIENTS])
    assert result.exit_code != 0
    assert "not the demo's database" in result.output and "--allow-any-database" in result.output
    assert _users() == {"chef@hopital.fr"}
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 0


def test_filling_another_database_is_refused_too(app, runner):
    result = runner.invoke(args=["demo-data", "--patients", PATIENTS])
    assert result.exit_code != 0 and "--allow-any-database" in result.output
    assert _users() == set()


def test_with_the_flag_accounts_get_a_password_drawn_for_the_run(app, runner, client):
    _production_account()
    result = runner.invoke(args=["demo-data", "--reset", "--patients", PATIENTS,
                                 "--allow-any-database"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    passwords = {login["password"] for login in summary["logins"]}
    assert len(passwords) == 1 and DEMO_PASSWORD not in passwords
    assert "chef@hopital.fr" not in _users() and summary["patients"] == MIN_PATIENTS
    login = summary["logins"][0]
    for password, status in ((login["password"], 200), (DEMO_PASSWORD, 401)):
        response = client.post("/api/v1/auth/login",
                               json={"email": login["email"], "password": password})
        assert response.status_code == status


def test_the_demo_database_gets_the_demo_logins(app, runner):
    app.config["DEMO_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"]
    result = runner.invoke(args=["demo-data", "--reset", "--patients", PATIENTS])
    assert result.exit_code == 0, result.output
    assert {login["password"] for login in json.loads(result.output)["logins"]} == {
        DEMO_PASSWORD}


def test_the_generator_never_writes_the_demo_password_elsewhere(app):
    with pytest.raises(TargetRefused, match="published demo password"):
        generate(db.session, Options(patients=MIN_PATIENTS, seed=1, today=date(2026, 3, 2)),
                 DEMO_PASSWORD, allow_any_database=True)
    assert _users() == set()
