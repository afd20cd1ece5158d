"""Fixtures for the whole suite: app, client, runner, clock, database, auth and factories.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL is
set (``make test`` does both). The schema is created once per session and
every test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, make_url, select, text

from server import create_app
from server.clock import FixedClock
from server.config import _database_url
from server.extensions import db
from server.models import (
    EnduranceTest,
    Enrolment,
    ErgoSession,
    HealthEvent,
    Patient,
    QuestionnaireResponse,
    ScheduledContact,
    User,
)
from server.services import activity_weeks
from server.services import auth as auth_service
from server.services.enrolments import apply_transition
from server.services.users import create_user
from shared.endurance import StopReason
from shared.enrolment import Action, dossier_pieces
from shared.enums import (
    Channel,
    ContactKind,
    ContactStatus,
    EnrolmentState,
    HealthEventKind,
    Questionnaire,
    Role,
    SessionSource,
)

PASSWORD = "correct horse battery staple"
TODAY = date(2026, 3, 2)  # a Monday, four weeks before the spring DST change
# The transitions only a physician may take (the journey factory acts as one for them).
PHYSICIAN_ACTIONS = frozenset({Action.REORIENT, Action.SUSPEND, Action.RESUME})


def database_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when DATABASE_URL is set, else a SQLite file of this session."""
    if os.environ.get("DATABASE_URL"):
        return _database_url(Path("."))
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@contextmanager
def own_database(suffix: str, folder: Path) -> Iterator[str]:
    """A database of its own beside the suite's: a fresh PostgreSQL database named after
    the suite's with ``suffix`` when DATABASE_URL is set (dropped afterwards), else a
    SQLite file in ``folder``."""
    if not os.environ.get("DATABASE_URL"):
        yield f"sqlite:///{folder / f'{suffix}.sqlite'}"
        return
    url = make_url(_database_url(Path(".")))
    name = f"{url.database}_{suffix}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def db_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_uri(tmp_path_factory)


@pytest.fixture(scope="session")
def _schema(db_uri: str) -> Iterator[None]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_uri})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts are scaffolding in most tests: argon2id at its lowest cost keeps them fast."""
    monkeypatch.setattr(auth_service, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="module")
def _bare_app() -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                      clock=FixedClock.on_day(TODAY))


@pytest.fixture
def bare_app(_bare_app: Flask) -> Iterator[Flask]:
    """An app without the test database, for what only needs its clock (Paris)."""
    with _bare_app.app_context():
        yield _bare_app


@pytest.fixture
def clock() -> FixedClock:
    """The app's clock, stopped at noon (Paris) on TODAY; tests move it at will."""
    return FixedClock.on_day(TODAY)


@pytest.fixture
def app(_schema: None, db_uri: str, clock: FixedClock) -> Iterator[Flask]:
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_uri, "SECRET_KEY": "test-secret"},
        clock=clock,
    )
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request in its own app context, as in production: fresh ``g`` and DB session.

    The test itself holds an app context (to read the database); without this,
    requests would share its ``g`` (logged-in user, cached locale) and session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@dataclass
class Factories:
    """Builds rows through the services, so tests start from states the app can reach."""

    app: Flask
    clock: FixedClock

    def user(self, role: Role = Role.REFERENT, email: str | None = None, **kw: Any) -> User:
        email = email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
        return create_user(email=email, full_name=kw.pop("full_name", email.split("@")[0]),
                           role=role, password=kw.pop("password", PASSWORD), **kw)

    def patient(self, referent: User | None = None, programme: str = "respiratory_home",
                physician: User | None = None, **kw: Any) -> Patient:
        patient = Patient(
            first_name=kw.pop("first_name", "Jeanne"), last_name=kw.pop("last_name", "Martin"),
            birth_date=kw.pop("birth_date", date(1955, 5, 17)), sex="F",
            phone="06 12 34 56 78", referent_id=referent.id if referent else None,
            physician_id=physician.id if physician else None,
            hr_rest_min=55, hr_rest_max=100, hr_ceiling=130, created_at=self.clock.now(), **kw,
        )
        enrolment = Enrolment(
            patient=patient, programme_code=programme, state=EnrolmentState.REQUESTED,
            referral_source="pneumologist", requested_at=self.clock.now(), dossier={},
        )
        db.session.add_all([patient, enrolment])
        db.session.commit()
        return patient

    def enrolment(self, patient: Patient) -> Enrolment:
        return patient.enrolments[-1]

    def active_patient(self, referent: User, start: date | None = None,
                       programme: str = "respiratory_home", **kw: Any) -> Patient:
        """A patient whose intervention started on ``start`` (default: 2 weeks ago)."""
        start = start or self.clock.today() - timedelta(days=14)
        patient = self.patient(referent, programme, **kw)
        enrolment = self.enrolment(patient)
        coordinator = self.staff(Role.COORDINATOR)
        physician = self.staff(Role.PHYSICIAN)
        apply_transition(enrolment, coordinator, Action.COMPLETE_DOSSIER, {
            "dossier": dict.fromkeys(dossier_pieces(programme), True)})
        apply_transition(enrolment, physician, Action.VALIDATE, {})
        # Starts are checked against "today": record it on the start day itself.
        saved = self.clock.instant
        self.clock.set(datetime.combine(start, datetime.min.time(), self.clock.tz)
                       + timedelta(hours=9))
        apply_transition(enrolment, coordinator, Action.START, {"start_date": start})
        self.clock.set(saved)
        return patient

    def journey(self, referent: User, start: date, dossier_complete: date,
                steps: tuple[tuple[Action, date], ...] = (),
                programme: str = "respiratory_home", **kw: Any) -> Enrolment:
        """An enrolment whose dossier was complete and which started on the days given,
        then went through ``steps`` (action, local day) through the state machine, each at
        10:00 that day; the clock is put back after. A stop's reason is the action's name."""
        saved = self.clock.instant

        def on(day: date) -> None:
            self.clock.set(datetime.combine(day, time(10), self.clock.tz))

        on(dossier_complete - timedelta(days=7))
        patient = self.patient(referent, programme, **kw)
        enrolment = self.enrolment(patient)
        on(dossier_complete)
        apply_transition(enrolment, self.staff(Role.COORDINATOR), Action.COMPLETE_DOSSIER, {
            "dossier": dict.fromkeys(dossier_pieces(programme), True)})
        apply_transition(enrolment, self.staff(Role.PHYSICIAN), Action.VALIDATE, {})
        on(start)
        apply_transition(enrolment, self.staff(Role.COORDINATOR), Action.START,
                         {"start_date": start})
        for action, day in steps:
            on(day)
            actor = self.staff(Role.PHYSICIAN if action in PHYSICIAN_ACTIONS
                               else Role.COORDINATOR)
            # A suspension is reviewed four weeks later (the physician must say when).
            apply_transition(enrolment, actor, action, {
                "reason": action.value, "review_on": day + timedelta(weeks=4)})
        self.clock.set(saved)
        return enrolment

    def follow_up_call(self, referent: User, physician: User, month: int = 3,
                       programme: str = "respiratory_home") -> tuple[Patient, ScheduledContact]:
        """A patient in follow-up, the clock at the due time of their +``month`` call."""
        start = date(2025, 9, 1)
        self.clock.set(datetime.combine(start, time(9), self.clock.tz))
        patient = self.active_patient(referent, physician=physician, start=start,
                                      programme=programme)
        enrolment = self.enrolment(patient)
        enrolment.state = EnrolmentState.FOLLOW_UP
        db.session.commit()
        call = db.session.scalars(db.select(ScheduledContact).where(
            ScheduledContact.enrolment_id == enrolment.id,
            ScheduledContact.kind == ContactKind.FOLLOW_UP_CALL,
            ScheduledContact.month == month)).one()
        self.clock.set(call.due_at)
        return patient, call

    def sessions(self, patient: Patient, days: list[date], **kw: Any) -> list[ErgoSession]:
        """Ergocycle sessions logged on ``days`` (10:00 Paris), as the tablet would send them."""
        enrolment = self.enrolment(patient)
        rows = [ErgoSession(
            client_id=uuid.uuid4(), payload_digest="0" * 64, received_at=self.clock.now(),
            patient_id=patient.id, enrolment_id=enrolment.id, day=day,
            started_at=datetime.combine(day, time(10, 0), self.clock.tz),
            duration_s=kw.get("duration_s", 1800), watts=kw.get("watts", 40),
            hr_rest=kw.get("hr_rest", 70), hr_mean=kw.get("hr_mean", 100),
            hr_max=kw.get("hr_max", 120), dyspnoea=kw.get("dyspnoea", 3),
            pain_eva=kw.get("pain_eva"), source=SessionSource.MANUAL) for day in days]
        enrolment.last_received_at = self.clock.now()
        db.session.add_all(rows)
        db.session.flush()
        activity_weeks.refresh(enrolment, days)
        db.session.commit()
        return rows

    def staff(self, role: Role) -> User:
        """A shared account of ``role`` (created once per test)."""
        existing = db.session.scalar(db.select(User).where(User.role == role,
                                                           User.email.like("shared-%")))
        return existing or self.user(role, email=f"shared-{role.value}@example.org")

    def device_token(self, patient: Patient) -> str:
        issued = auth_service.issue_token(patient_id=patient.id, label="test tablet")
        db.session.commit()
        return issued.raw

    def device_headers(self, patient: Patient) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.device_token(patient)}"}

    def staff_token(self, user: User) -> str:
        issued = auth_service.issue_token(user=user, ttl=timedelta(hours=1))
        db.session.commit()
        return issued.raw


@pytest.fixture
def factories(app: Flask, clock: FixedClock) -> Factories:
    return Factories(app, clock)


@pytest.fixture
def referent(factories: Factories) -> User:
    """A referent of their own (the patients a test creates are theirs)."""
    return factories.user(Role.REFERENT)


@pytest.fixture
def physician(factories: Factories) -> User:
    """A physician of their own, to follow a test's patients."""
    return factories.user(Role.PHYSICIAN)


class Auth:
    """Authorization headers for a staff user or a patient's device."""

    def __init__(self, factories: Factories) -> None:
        self.factories = factories

    def staff(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.factories.staff_token(user)}"}

    def device(self, patient: Patient) -> dict[str, str]:
        return self.factories.device_headers(patient)


@pytest.fixture
def auth(factories: Factories) -> Auth:
    return Auth(factories)


@pytest.fixture
def plan_of(client: FlaskClient):
    """GET /me/plan for a device's headers, asserting success."""

    def fetch(headers: dict[str, str]) -> dict[str, Any]:
        response = client.get("/api/v1/me/plan", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return fetch


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[Any]:
    """A PostgreSQL server of the session's own (initdb in a temporary folder), killable."""
    from tests.server.private_postgres import PrivatePostgres, postgres_bin

    if postgres_bin() is None:
        pytest.skip("PostgreSQL server binaries (Debian's postgresql package) are not installed")
    server = PrivatePostgres()
    server.start()
    yield server
    server.stop()


# Debian's Chromium, driven by Playwright (no browser is downloaded). One fixture for the
# whole run, here: Playwright's sync API cannot start twice in one process.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, once per test session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash .ci/system-deps` as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# -- the indicators' fixed cohort ----------------------------------------------------------

def _score(enrolment: Enrolment, instrument: Questionnaire, timepoint: str,
           score: float) -> None:
    db.session.add(QuestionnaireResponse(
        client_id=uuid.uuid4(), payload_digest="0" * 64, received_at=datetime.now(UTC),
        patient_id=enrolment.patient_id, enrolment_id=enrolment.id, instrument=instrument,
        answered_at=datetime.combine(enrolment.start_date, time(11), UTC), answers={},
        score=score, timepoint=timepoint))


def _endurance(enrolment: Enrolment, timepoint: str, seconds: int) -> None:
    db.session.add(EnduranceTest(
        patient_id=enrolment.patient_id, enrolment_id=enrolment.id, timepoint=timepoint,
        performed_on=enrolment.start_date, peak_watts=60, load_percent=80, load_watts=48,
        duration_s=seconds, stop_reason=StopReason.DYSPNOEA, recorded_at=datetime.now(UTC)))


def _event(enrolment: Enrolment, kind: HealthEventKind, day: date) -> None:
    db.session.add(HealthEvent(
        client_id=uuid.uuid4(), payload_digest="0" * 64, received_at=datetime.now(UTC),
        patient_id=enrolment.patient_id, enrolment_id=enrolment.id, kind=kind,
        occurred_on=day))


def _contact(enrolment: Enrolment, kind: ContactKind,
             month: int | None = None) -> ScheduledContact:
    query = select(ScheduledContact).where(ScheduledContact.enrolment_id == enrolment.id,
                                           ScheduledContact.kind == kind)
    if month is not None:
        query = query.where(ScheduledContact.month == month)
    return db.session.scalars(query).first()


def _done(contact: ScheduledContact, channel: Channel | None = None,
          hospital_days: int | None = None) -> None:
    contact.status, contact.done_at = ContactStatus.DONE, contact.due_at
    contact.channel = channel or contact.channel
    contact.hospital_days = hospital_days


def _weekly(first_monday: date, weeks: int, per_week: int) -> list[date]:
    return [first_monday + timedelta(weeks=w, days=d) for w in range(weeks)
            for d in range(per_week)]


@pytest.fixture
def indicator_cohort(factories: Factories, clock: FixedClock) -> dict[str, Enrolment]:
    """The indicators' fixed cohort, counted by hand in tests/server/test_indicators.py
    (its docstring); the clock on 2 March 2026."""
    referent = factories.user(Role.REFERENT)
    clock.set(datetime(2026, 3, 2, 12, tzinfo=UTC))
    journey = factories.journey
    follow, complete = Action.BEGIN_FOLLOW_UP, Action.COMPLETE
    a = journey(referent, date(2025, 1, 6), date(2024, 12, 16),
                ((follow, date(2025, 3, 31)), (complete, date(2025, 12, 29))), last_name="A")
    b = journey(referent, date(2025, 2, 3), date(2025, 1, 6), ((follow, date(2025, 4, 28)),),
                last_name="B")
    c = journey(referent, date(2025, 3, 3), date(2025, 1, 20),
                ((Action.INTERRUPT, date(2025, 4, 1)),), last_name="C")
    d = journey(referent, date(2025, 6, 2), date(2025, 5, 19),
                ((follow, date(2025, 8, 25)), (Action.REORIENT, date(2025, 10, 6))),
                last_name="D")
    f = journey(referent, date(2024, 3, 4), date(2024, 2, 19),
                ((follow, date(2024, 5, 27)), (complete, date(2025, 3, 3))), last_name="F")
    factories.patient(referent, last_name="G")
    e = journey(referent, date(2025, 4, 7), date(2025, 3, 24), ((follow, date(2025, 6, 30)),),
                programme="low_back_pain_home", last_name="E")
    _score(a, Questionnaire.CRQ, "W0", 4.0)
    _score(a, Questionnaire.CRQ, "W12", 4.6)
    _score(b, Questionnaire.CRQ, "W0", 4.0)
    _score(b, Questionnaire.CRQ, "W12", 4.2)
    _score(e, Questionnaire.OSWESTRY, "W0", 40)
    _score(e, Questionnaire.OSWESTRY, "W12", 25)
    _endurance(a, "W0", 300)
    _endurance(a, "W12", 420)
    _endurance(b, "W0", 300)
    _endurance(b, "W12", 330)
    _event(a, HealthEventKind.HOSPITALISATION, date(2025, 6, 10))
    _event(c, HealthEventKind.EXACERBATION, date(2025, 3, 20))
    _event(d, HealthEventKind.FALL, date(2025, 7, 1))
    _done(_contact(a, ContactKind.INCLUSION_VISIT), hospital_days=10)
    _done(_contact(a, ContactKind.CLOSING_VISIT), hospital_days=2)
    _done(_contact(a, ContactKind.FOLLOW_UP_CALL, 1), Channel.PHONE, hospital_days=1)
    _done(_contact(b, ContactKind.FOLLOW_UP_CALL, 1), Channel.VIDEO)
    _done(_contact(d, ContactKind.FOLLOW_UP_CALL, 1), Channel.PHONE)
    db.session.commit()
    factories.sessions(a.patient, _weekly(date(2025, 3, 31), 1, 3)
                       + _weekly(date(2025, 2, 3), 1, 3))
    factories.sessions(b.patient, _weekly(date(2025, 4, 28), 10, 3))
    factories.sessions(d.patient, _weekly(date(2025, 8, 25), 6, 2))
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}
