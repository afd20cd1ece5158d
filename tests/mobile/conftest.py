"""Fixtures of the tablet tests: a real server on 127.0.0.1 and a paired local store.

The server is the suite's ``app`` (same database, same FixedClock on TODAY)
served over real HTTP by werkzeug on a thread. It can be stopped and started
again on the same port to cut the tablet off the network.
"""

from __future__ import annotations

import itertools
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import BaseWSGIServer, make_server

from mobile import i18n
from mobile.store import Store
from server.clock import FixedClock
from server.extensions import db
from server.models import Patient, Prescription, Synthesis, User
from server.services import auth as auth_service
from shared.enums import Modality, Role, SynthesisKind, SynthesisState
from tests.conftest import Factories
from tests.mobile.kivy_harness import Driver, VirtualDisplay, configure_kivy


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """The Flask app over HTTP on a thread; ``stop``/``start`` cut and restore the network."""

    app: Flask
    port: int = field(default_factory=free_port)
    _server: BaseWSGIServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The address the tablet is given."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen again (the same port)."""
        # One request at a time, like a small server: no SQLite writer contention.
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=False)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: the tablet now finds no server."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None


@pytest.fixture(scope="session")
def display() -> Iterator[None]:
    """A virtual screen (Xvfb) for the app's window, for the whole run: Kivy's window
    is made once per process and dies with the X display it opened on."""
    screen = VirtualDisplay()
    screen.start()
    yield
    screen.stop()


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def patient(factories: Factories) -> Patient:
    """A patient two weeks into the respiratory programme."""
    return factories.active_patient(factories.user(Role.REFERENT))


@pytest.fixture
def french() -> Iterator[None]:
    """The tablet's logic speaks French for the test (and is left so)."""
    i18n.set_language("fr")
    yield
    i18n.set_language("fr")


@pytest.fixture
def sent_review(patient: Patient, clock: Any) -> None:
    """A mid-term synthesis sent for the patient, with the message written for them."""
    now = clock.now()
    enrolment = patient.enrolments[-1]
    db.session.add(Synthesis(
        patient_id=patient.id, enrolment_id=enrolment.id, kind=SynthesisKind.MID_TERM,
        version=1, state=SynthesisState.SENT,
        sections={"patient_message": "Bravo pour ces six semaines : continuez ainsi."},
        snapshot={"totals": {"sessions": 22, "weeks": 6}}, created_by_id=patient.referent_id,
        created_at=now, updated_at=now, sent_at=now, sent_by_id=patient.referent_id))
    db.session.commit()


@pytest.fixture
def pairing_code(factories: Factories, patient: Patient) -> str:
    """A fresh one-time code for the patient's tablet."""
    referent = db.session.get(User, patient.referent_id)
    code, _record = auth_service.create_pairing_code(factories.enrolment(patient), referent)
    return code


@pytest.fixture
def device_token(factories: Factories, patient: Patient) -> str:
    return factories.device_token(patient)


@pytest.fixture
def store(tmp_path: Path, live_server: LiveServer, patient: Patient,
          device_token: str) -> Iterator[Store]:
    """A tablet database paired with the patient, pointing at the live server."""
    local = Store(tmp_path / "tablet" / "reprise.sqlite3")
    local.set("server_url", live_server.url)
    local.pair(device_token, patient.id, patient.first_name, "respiratory_home")
    yield local
    local.close()


SCREENSHOTS = Path(__file__).parents[2] / "artifacts" / "screenshots" / "mobile"


class FakeMonotonic:
    """The guided timer's time source, moved by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        self.now += seconds


@pytest.fixture
def interval_prescription(patient, clock):
    """Week 3 prescribes 20 minutes of 60 s effort / 60 s recovery at 35 W."""
    enrolment = patient.enrolments[-1]
    db.session.add(Prescription(
        enrolment_id=enrolment.id, from_week=3, session_minutes=20, watts=35,
        modality=Modality.INTERVAL, work_s=60, rest_s=60, sessions_min=4, sessions_max=6,
        hr_target_low=None, hr_target_high=130, created_at=clock.now()))
    db.session.commit()


@pytest.fixture
def driver(display, tmp_path, live_server, clock) -> Iterator[Driver]:
    configure_kivy()
    from kivy.metrics import Metrics

    from mobile.app import RepriseApp
    from mobile.sync import Backoff

    Metrics.density = 1.0  # the same layout whatever the host's screen
    app = RepriseApp(data_dir=tmp_path / "tablet", server_url=live_server.url, clock=clock.now,
                     monotonic=FakeMonotonic(), backoff=Backoff(base=0.2, cap=1.0),
                     poll_interval=3600)
    drive = Driver(app, SCREENSHOTS)
    yield drive
    drive.close()


def synced(driver: Driver) -> bool:
    """Nothing pending and the last pass finished."""
    return driver.app.sync_state == "done" and not driver.app.pending


_STAGGER = itertools.count()


def session_payload(clock: FixedClock, days_ago: int = 1, index: int | None = None,
                    **overrides: Any) -> dict[str, Any]:
    """A plausible manual session, ``days_ago`` days before the test clock.

    Sessions never overlap (the server refuses that): 40 minutes apart, or, for a
    backlog, the ``index``-th of many 10-minute sessions 11 minutes apart.
    """
    if index is not None:
        started = clock.now() - timedelta(days=days_ago, minutes=30 + 11 * index)
        overrides.setdefault("duration_s", 600)
    else:
        started = clock.now() - timedelta(days=days_ago,
                                          minutes=30 + 40 * (next(_STAGGER) % 12))
    payload: dict[str, Any] = {
        "id": str(uuid.uuid4()), "started_at": started.isoformat(), "duration_s": 1800,
        "watts": 40, "hr_mean": 104, "hr_max": 121, "dyspnoea": 4, "effort": 5,
        "source": "manual",
    }
    payload.update(overrides)
    return payload


def count_rows(model: type) -> int:
    """Rows of ``model`` on the server, read in a fresh transaction."""
    db.session.rollback()
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return n


def count_distinct_client_ids(model: type) -> int:
    """Distinct client UUIDs of ``model`` on the server."""
    db.session.rollback()
    n = db.session.scalar(select(func.count(func.distinct(model.client_id))))
    db.session.rollback()
    return n


def local_day(clock: FixedClock, instant: datetime) -> Any:
    """The local (Paris) day of an instant."""
    return instant.astimezone(clock.tz).date()
