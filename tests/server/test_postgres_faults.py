"""PostgreSQL crashes (SIGKILL of the postmaster) under a served app: nothing lost, nothing twice.

A private PostgreSQL (``private_postgres``, the shared server is untouched) is
killed while tablets upload through ``reprise serve`` with the tablet's own sync
engine (``mobile.sync``, retries with back-off), and while the daily sweep is
in the middle of its transaction in ``reprise scheduler``. After a restart every
item is stored exactly once, the sweep's day is completed once and the outbox
sends each message once, to a real SMTP server. A dump of the database is then
restored into a new one (the backup procedure of docs/DEPLOYMENT.md).

These run in the first pass of ``make test`` only (their database is their own).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from mobile.store import PENDING, REFUSED, SENT, SESSION, Store
from mobile.sync import OFFLINE, Backoff, SyncEngine, SyncStatus
from server import create_app
from server.clock import FixedClock
from server.extensions import db
from server.models import Enrolment, Flag, FlagEvent, JobRun, Notification, Patient
from server.models.notifications import NotificationChannel, NotificationStatus
from server.services import auth as auth_service
from server.services.jobs import catch_up
from server.services.notifications import deliver_pending
from shared.enums import EnrolmentState
from synthetic.demo import build_demo_cohort
from tests.mobile.conftest import session_payload
from tests.server.processes import free_port, start, stop, wait_for
from tests.server.test_notifications import smtp_server  # noqa: F401  (fixture)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="runs on its own private PostgreSQL, in the first pass only")]
ROOT = Path(__file__).resolve().parents[2]
REPRISE = str(Path(sys.prefix) / "bin" / "reprise")
DAY = date(2026, 11, 30)
TABLETS = 4
SESSIONS_PER_TABLET = 30


def migrated_demo(url: str, clock: FixedClock, **config: object) -> Flask:
    """An app on ``url``, migrated, holding the demo cohort as of the clock's day."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace(
        "postgresql://", "postgresql+psycopg://", 1), "SECRET_KEY": "faults", **config},
        clock=clock)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        build_demo_cohort(patients=24, seed=5, reset=False, today=clock.today(),
                          allow_any_database=True)
        db.session.remove()
        db.engine.dispose()
    return app


def test_tablet_uploads_survive_a_postgres_crash_each_item_stored_once(
        private_postgres, tmp_path: Path) -> None:
    url = private_postgres.create_database("uploads")
    clock = FixedClock.on_day(DAY)
    app = migrated_demo(url, clock)
    with app.app_context():
        long_running = db.session.execute(
            select(Patient.id, Patient.first_name, Enrolment.programme_code)
            .join(Enrolment, Enrolment.patient_id == Patient.id)
            .where(Enrolment.state.in_((EnrolmentState.ACTIVE, EnrolmentState.FOLLOW_UP)),
                   Enrolment.start_date <= DAY - timedelta(days=SESSIONS_PER_TABLET + 1))
            .order_by(Patient.id).limit(TABLETS)).all()
        tokens = [auth_service.issue_token(patient_id=row.id, label="faults").raw
                  for row in long_running]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert len(long_running) == TABLETS
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start([REPRISE, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                    "--threads", "4"],
                   {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "faults",
                    "REPRISE_AS_OF": DAY.isoformat()}, ROOT, tmp_path / "web.log")
    statuses: list[str] = []
    stores, engines, sent_ids = [], [], []
    try:
        wait_for(f"{base}/readyz", server)
        for row, token in zip(long_running, tokens, strict=True):
            store = Store(tmp_path / f"tablet-{row.id}.sqlite")
            store.set("server_url", base)
            store.pair(token, row.id, row.first_name, row.programme_code)
            # One session a day, as a patient would log them, sent one by one; at dawn, so
            # that none overlaps a session the demo cohort already holds (refused, rightly).
            sent_ids += store.add_many(SESSION, [
                (session_payload(clock, days_ago=d, started_at=datetime.combine(
                    DAY - timedelta(days=d), datetime.min.time(), clock.tz).replace(
                        hour=5).isoformat()),
                 DAY - timedelta(days=d))
                for d in range(1, SESSIONS_PER_TABLET + 1)], clock.now())
            stores.append(store)
        lock = threading.Lock()

        def seen(status: SyncStatus) -> None:
            with lock:
                statuses.append(status.state)

        for store in stores:
            engine = SyncEngine(store, batch_size=1, backoff=Backoff(base=0.2, cap=1.0),
                                poll_interval=0.2, on_status=seen, timeout=10)
            engines.append(engine)
            engine.start()
        # Crash the database once uploads are under way, keep it down a moment, restart it.
        deadline = time.monotonic() + 60
        while sum(s.counts().get(SENT, {}).get(SESSION, 0) for s in stores) < TABLETS:
            assert time.monotonic() < deadline, "nothing was sent"
            time.sleep(0.02)
        private_postgres.kill()
        time.sleep(1.5)
        private_postgres.start()
        deadline = time.monotonic() + 120
        while any(s.counts().get(PENDING, {}).get(SESSION, 0) for s in stores):
            assert time.monotonic() < deadline, "the tablets never caught up"
            for engine in engines:
                engine.wake()
            time.sleep(0.2)
    finally:
        for engine in engines:
            engine.stop()
        stop(server)
    counts = [{state: n.get(SESSION, 0) for state, n in s.counts().items()} for s in stores]
    for store in stores:
        store.close()

    assert OFFLINE in statuses, "the crash was never seen by a tablet"
    assert all(c.get(REFUSED, 0) == 0 for c in counts)
    assert sum(c.get(SENT, 0) for c in counts) == len(sent_ids)
    with psycopg.connect(url) as conn:
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT client_id) FROM ergo_sessions "
            "WHERE client_id::text = ANY(%s)", (sent_ids,)).fetchone()
    assert total == distinct == len(sent_ids)


def test_a_crash_during_the_sweep_then_restart_completes_the_day_once_and_sends_once(
        private_postgres, smtp_server, tmp_path: Path) -> None:  # noqa: F811
    url = private_postgres.create_database("sweep")
    clock = FixedClock.on_day(DAY)
    app = migrated_demo(url, clock, SMTP_HOST=smtp_server.host, SMTP_PORT=smtp_server.port)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "faults",
           "REPRISE_AS_OF": DAY.isoformat(), "SMTP_HOST": smtp_server.host,
           "SMTP_PORT": str(smtp_server.port)}
    # Hold the sweep mid-transaction: it reads everything, then waits to write its flags.
    blocker = psycopg.connect(url)
    blocker.execute("LOCK TABLE flags IN EXCLUSIVE MODE")
    first = start([REPRISE, "scheduler", "--deliver-every", "1"], env, ROOT,
                  tmp_path / "scheduler-1.log")
    try:
        deadline = time.monotonic() + 90
        with psycopg.connect(url, autocommit=True) as watcher:
            while not watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()").fetchone()[0]:
                assert first.poll() is None, (tmp_path / "scheduler-1.log").read_text()
                assert time.monotonic() < deadline, "the sweep never reached its writes"
                time.sleep(0.1)
        private_postgres.kill()
    finally:
        blocker.close()
        stop(first)
    private_postgres.start()

    # A scheduler started after the crash finds the sweep still claimed by the dead one
    # (its lease, one hour, must run out before another takes it over); it runs the other
    # jobs and delivers what is due at its noon.
    second = start([REPRISE, "scheduler", "--deliver-every", "1"], env, ROOT,
                   tmp_path / "scheduler-2.log")
    log = tmp_path / "scheduler-2.log"
    try:
        deadline = time.monotonic() + 90
        while "catch-up:" not in log.read_text() or log.read_text().count("_deliver:") < 2:
            assert second.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the second scheduler never caught up"
            time.sleep(0.2)
    finally:
        stop(second)
    with app.app_context():
        assert db.session.scalar(select(JobRun.status).where(
            JobRun.job == "sweep", JobRun.period == DAY.isoformat())) == "running"
        # An hour and five minutes later, a scheduler's catch-up (run here, in-process,
        # with the clock moved) takes the sweep over, once, and delivers its escalations.
        clock.set(clock.now() + timedelta(minutes=65))
        summary = catch_up()
        assert summary["sweep"] is not None and summary["sweep"]["flags_opened"] > 0
        assert catch_up()["sweep"] is None
        for _ in range(3):
            deliver_pending()
        db.session.remove()
        db.engine.dispose()

    with app.app_context():
        runs = db.session.execute(select(JobRun.job, JobRun.status).where(
            JobRun.period == DAY.isoformat(), JobRun.job == "sweep")).all()
        flags = db.session.scalar(select(func.count()).select_from(Flag))
        opened = db.session.scalar(select(func.count()).select_from(FlagEvent).where(
            FlagEvent.action == "opened"))
        emails = db.session.scalars(select(Notification).where(
            Notification.channel == NotificationChannel.EMAIL)).all()
        db.session.remove()
        db.engine.dispose()
    assert runs == [("sweep", "done")]
    assert flags == opened > 0  # the crashed attempt left nothing half-written
    assert emails and {n.status for n in emails} == {NotificationStatus.SENT}
    assert {n.attempts for n in emails} == {1}
    ids = [m["Message-ID"] for m in smtp_server.messages()]
    assert len(ids) == len(set(ids)) == len(emails)

    # Backup and restore (docs/DEPLOYMENT.md): the restored copy holds the same rows.
    dump = tmp_path / "reprise.dump"
    tools = private_postgres.bin
    subprocess.run([str(tools / "pg_dump"), "--format=custom", "--no-owner",
                    f"--file={dump}", url], check=True, timeout=120)
    restored = private_postgres.create_database("restored")
    subprocess.run([str(tools / "pg_restore"), "--no-owner", f"--dbname={restored}",
                    str(dump)], check=True, timeout=120)
    with psycopg.connect(url) as original, psycopg.connect(restored) as copy:
        for table in ("patients", "ergo_sessions", "flags", "notifications", "audit_log",
                      "job_runs", "alembic_version"):
            query = f"SELECT count(*) FROM {table}"
            assert copy.execute(query).fetchone() == original.execute(query).fetchone()
