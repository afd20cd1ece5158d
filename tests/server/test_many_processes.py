"""Production's shape for a simulated week: two gunicorn servers and two schedulers, one database.

Each simulated day starts the four processes with the clock pinned to that day
(``REPRISE_AS_OF``, noon in Paris), tablets report a health event through
either web server (the physician's escalation e-mail), and both schedulers
catch up the day's jobs and deliver the outbox to a real SMTP server and a real
webhook; then all four stop. Over the week each daily job ran once per day, and
every message reached its recipient once.

The servers run on a private PostgreSQL (``private_postgres``), so this runs in
the first pass of ``make test`` only.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade
from server.services.demo import build_demo_cohort
from sqlalchemy import func, select

from server import create_app
from server.clock import FixedClock
from server.extensions import db
from server.models import Enrolment, JobRun, Notification
from server.models.notifications import NotificationChannel, NotificationStatus
from server.services import auth as auth_service
from shared.enums import EnrolmentState
from tests.server.processes import free_ports, start, stop, wait_for
from tests.server.test_notifications import smtp_server, webhook  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="runs on its own private PostgreSQL, in the first pass only")]
ROOT = Path(__file__).resolve().parents[2]
REPRISE = str(Path(sys.prefix) / "bin" / "reprise")
FIRST_DAY = date(2026, 11, 23)  # a Monday
DAYS = 7


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def test_two_web_servers_and_two_schedulers_run_each_job_once_a_day_and_send_once(
        private_postgres, smtp_server, webhook, tmp_path: Path) -> None:  # noqa: F811
    url = private_postgres.create_database("week")
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "week"},
                     clock=FixedClock.on_day(FIRST_DAY - timedelta(days=1)))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        build_demo_cohort(patients=24, seed=3, reset=False, today=FIRST_DAY - timedelta(days=1))
        tablets = []
        running = select(Enrolment.patient_id).where(Enrolment.state.in_(
            (EnrolmentState.ACTIVE, EnrolmentState.FOLLOW_UP))).order_by(Enrolment.patient_id)
        for patient_id in db.session.scalars(running).all()[:DAYS * 2]:
            tablets.append(auth_service.issue_token(patient_id=patient_id, label="week").raw)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "week-secret",
           "SMTP_HOST": smtp_server.host, "SMTP_PORT": str(smtp_server.port),
           "NOTIFY_WEBHOOK_URL": webhook.url, "WEB_CONCURRENCY": "1", "REPRISE_THREADS": "2"}
    accepted = 0
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        today = {**env, "REPRISE_AS_OF": day.isoformat()}
        logs = [tmp_path / f"{day}-scheduler-{i}.log" for i in range(2)]
        ports = free_ports(2)
        processes = [start([REPRISE, "serve", "--bind", f"127.0.0.1:{port}"], today, ROOT)
                     for port in ports]
        processes += [start([REPRISE, "scheduler", "--deliver-every", "1"], today, ROOT, log)
                      for log in logs]
        try:
            for port, server in zip(ports, processes, strict=False):
                wait_for(f"http://127.0.0.1:{port}/readyz", server)
            # Two patients a day report an exacerbation, one through each server.
            for i, port in enumerate(ports):
                answer = requests.post(
                    f"http://127.0.0.1:{port}/api/v1/me/health-events",
                    headers={"Authorization": f"Bearer {tablets[2 * offset + i]}"},
                    json={"items": [{"id": str(uuid.uuid4()), "kind": "exacerbation",
                                     "occurred_on": day.isoformat()}]}, timeout=30)
                assert answer.status_code in (200, 201), answer.text
                accepted += 1
            _wait_for_the_day(app, day, processes, logs)
        finally:
            for process in processes:
                stop(process)

    with app.app_context():
        runs = db.session.execute(select(JobRun.job, JobRun.period, JobRun.status)).all()
        notifications = db.session.scalars(select(Notification).where(
            Notification.channel != NotificationChannel.IN_APP)).all()
        db.session.expunge_all()
        db.session.remove()
        db.engine.dispose()
    expected_days = {(FIRST_DAY + timedelta(days=i)).isoformat() for i in range(DAYS)}
    # At noon the 17:00 reminders' latest run is the day before's.
    reminder_days = {(FIRST_DAY + timedelta(days=i - 1)).isoformat() for i in range(DAYS)}
    for job, days in (("sweep", expected_days), ("digest", expected_days),
                      ("reminders", reminder_days)):
        periods = [period for name, period, _ in runs if name == job]
        assert sorted(periods) == sorted(days), job  # once per day, no day twice
    assert {status for _, _, status in runs} == {"done"}
    assert accepted == 2 * DAYS
    escalations = [n for n in notifications if n.kind == "escalation"]
    assert escalations, "the health events escalated to the physician"
    assert {n.status for n in notifications} == {NotificationStatus.SENT}
    assert {n.attempts for n in notifications} == {1}
    mails = smtp_server.messages()
    ids = [m["Message-ID"] for m in mails]
    emails = [n for n in notifications if n.channel == NotificationChannel.EMAIL]
    assert len(ids) == len(set(ids)) == len(emails)
    assert {f"reprise.{n.id}" for n in emails} == {_notification_id(i) for i in ids}
    texts = [n for n in notifications if n.channel != NotificationChannel.EMAIL]
    posted = [r["json"]["id"] for r in webhook.requests]
    assert sorted(posted) == sorted(n.id for n in texts)


def _notification_id(message_id: str) -> str:
    # make_msgid(idstring="reprise.<id>") gives <time.pid.random.reprise.<id>@domain>.
    local = message_id.strip("<> ").split("@")[0]
    return "reprise." + local.rsplit("reprise.", 1)[1]


def _wait_for_the_day(app, day: date, processes, logs: list[Path],
                      timeout: float = 60) -> None:
    """Until both schedulers caught up and the outbox holds nothing due for this day."""
    deadline = time.monotonic() + timeout
    noon = FixedClock.on_day(day).now()
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, "a server or scheduler died"
        caught_up = all("catch-up:" in log.read_text() for log in logs)
        with app.app_context():
            due = db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.channel != NotificationChannel.IN_APP,
                (Notification.status == NotificationStatus.SENDING)
                | ((Notification.status == NotificationStatus.PENDING)
                   & (Notification.next_attempt_at <= noon))))
            open_runs = db.session.scalar(select(func.count()).select_from(JobRun).where(
                JobRun.status == "running"))
            db.session.remove()
            db.engine.dispose()
        if caught_up and not due and not open_runs:
            return
        time.sleep(0.3)
    raise TimeoutError(f"{day}: the schedulers did not finish the day")
