"""The job lock: each daily job runs once per period, whatever the number of processes.

A run is a ``job_runs`` row unique on (job, period). These tests prove: a
claim is won once; a failed run, or a running one whose lease ran out, is
taken over by a later claim; catch-up after downtime runs each missed job
once; and two scheduler processes racing on PostgreSQL run a job once.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time as wall
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from server import create_app
from server.clock import FixedClock
from server.extensions import db
from server.models import Flag, JobRun, Notification
from server.models.notifications import NotificationChannel
from server.services import jobs
from server.services.jobs import LEASE, DailyJob, catch_up, claim, owner, run_once
from server.services.notifications import enqueue
from shared.enums import Role
from tests.conftest import TODAY, Factories

PARIS = ZoneInfo("Europe/Paris")
YESTERDAY = TODAY - timedelta(days=1)
ROOT = Path(__file__).resolve().parents[2]


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An aware instant at a local (Paris) time."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=PARIS)


def runs() -> list[tuple[str, str, str]]:
    """(job, period, status) of every run, in order."""
    return [(r.job, r.period, r.status) for r in
            db.session.scalars(select(JobRun).order_by(JobRun.job, JobRun.period))]


def the_run(job: str, period: date) -> JobRun:
    db.session.expire_all()
    return db.session.scalars(
        select(JobRun).where(JobRun.job == job, JobRun.period == period.isoformat())).one()


class Recorder:
    """A job body that records the days it ran for; fails while ``failures`` is positive."""

    def __init__(self, failures: int = 0) -> None:
        self.days: list[date] = []
        self.failures = failures

    def __call__(self, day: date) -> dict[str, Any]:
        self.days.append(day)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("provider down")
        return {"day": day.isoformat()}


def recording_job(name: str = "probe", at_: time = time(6, 0), failures: int = 0,
                  ) -> tuple[DailyJob, Recorder]:
    recorder = Recorder(failures)
    return DailyJob(name, at_, recorder), recorder


def stale_run(job: str, period: date, started_at: datetime, status: str = "running") -> JobRun:
    """A run left by a process that is gone."""
    row = JobRun(job=job, period=period.isoformat(), status=status, owner="gone-host:4242",
                 started_at=started_at, error="Traceback: boom" if status == "failed" else None)
    db.session.add(row)
    db.session.commit()
    return row


# --- The claim ------------------------------------------------------------------------------


def test_a_claim_is_won_once_per_job_and_period(app: Any, clock: FixedClock) -> None:
    assert claim("sweep", "2026-03-02") is True
    assert claim("sweep", "2026-03-02") is False
    assert claim("sweep", "2026-03-03") is True
    assert claim("digest", "2026-03-02") is True

    assert runs() == [("digest", "2026-03-02", "running"), ("sweep", "2026-03-02", "running"),
                      ("sweep", "2026-03-03", "running")]
    row = the_run("sweep", TODAY)
    assert row.owner == owner() == f"{socket.gethostname()}:{os.getpid()}"
    assert row.started_at == clock.now() and row.finished_at is None


def test_run_once_runs_the_job_records_its_summary_and_never_runs_it_again(
        app: Any, clock: FixedClock) -> None:
    job, recorder = recording_job()

    assert run_once(job, TODAY) == {"day": "2026-03-02"}
    clock.set(clock.now() + timedelta(days=3))  # long after: a done run is never retaken
    assert run_once(job, TODAY) is None

    assert recorder.days == [TODAY]
    row = the_run("probe", TODAY)
    assert (row.status, row.summary, row.error) == ("done", {"day": "2026-03-02"}, None)
    assert row.finished_at == at(TODAY, 12)


def test_failed_run_is_recorded_and_retaken_by_a_later_claim(
        app: Any, clock: FixedClock, factories: Factories) -> None:
    """The job's own writes are rolled back, the failure is recorded, the next run redoes it."""
    user = factories.user(Role.REFERENT)

    def flaky(day: date) -> dict[str, Any]:
        enqueue(channel=NotificationChannel.EMAIL, kind="probe", body="half done",
                dedupe_key=f"probe:{day}", user_id=user.id)
        db.session.flush()
        if not runs_seen:
            runs_seen.append(day)
            raise RuntimeError("smtp down")
        db.session.commit()
        return {"sent": 1}

    runs_seen: list[date] = []
    job = DailyJob("probe", time(6, 0), flaky)

    assert run_once(job, TODAY) is None
    row = the_run("probe", TODAY)
    assert row.status == "failed" and row.summary is None
    assert "RuntimeError: smtp down" in (row.error or "")
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0

    clock.set(clock.now() + timedelta(minutes=5))
    assert run_once(job, TODAY) == {"sent": 1}
    row = the_run("probe", TODAY)
    assert (row.status, row.summary, row.error) == ("done", {"sent": 1}, None)
    assert row.started_at == row.finished_at == clock.now()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    assert run_once(job, TODAY) is None  # and once done, never again


def test_failed_run_taken_over_from_another_process(app: Any, clock: FixedClock) -> None:
    stale_run("probe", TODAY, clock.now() - timedelta(minutes=1), status="failed")
    job, recorder = recording_job()

    assert run_once(job, TODAY) == {"day": "2026-03-02"}

    row = the_run("probe", TODAY)
    assert (row.status, row.owner, row.error) == ("done", owner(), None)
    assert recorder.days == [TODAY]


@pytest.mark.parametrize(("age", "taken"), [
    (LEASE - timedelta(seconds=1), False),
    (LEASE, False),
    (LEASE + timedelta(seconds=1), True),
])
def test_running_run_is_taken_over_only_once_its_lease_ran_out(
        app: Any, clock: FixedClock, age: timedelta, taken: bool) -> None:
    """A process that died mid-run leaves "running": after LEASE (1 h) another may take it."""
    stale_run("sweep", TODAY, clock.now() - age)

    assert claim("sweep", TODAY.isoformat()) is taken

    row = the_run("sweep", TODAY)
    assert row.status == "running"
    assert row.owner == (owner() if taken else "gone-host:4242")
    assert row.started_at == (clock.now() if taken else clock.now() - age)


def test_stale_running_run_is_run_by_the_process_that_takes_it_over(
        app: Any, clock: FixedClock) -> None:
    stale_run("probe", TODAY, clock.now() - LEASE - timedelta(minutes=1))
    job, recorder = recording_job()

    assert run_once(job, TODAY) == {"day": "2026-03-02"}
    assert run_once(job, TODAY) is None
    assert recorder.days == [TODAY]
    assert the_run("probe", TODAY).status == "done"


# --- The period of a daily job --------------------------------------------------------------


@pytest.mark.parametrize(("now", "period"), [
    (at(TODAY, 5, 59, 59), YESTERDAY),
    (at(TODAY, 6), TODAY),
    (at(TODAY, 23, 59, 59), TODAY),
    # 00:30 in Paris is still the day before in UTC: the local day counts.
    (at(TODAY, 0, 30), YESTERDAY),
    # The spring DST day: 06:00 CEST is 04:00 UTC.
    (datetime(2026, 3, 29, 3, 59, 59, tzinfo=ZoneInfo("UTC")), date(2026, 3, 28)),
    (datetime(2026, 3, 29, 4, 0, tzinfo=ZoneInfo("UTC")), date(2026, 3, 29)),
    # The autumn DST day: 06:00 CET is 05:00 UTC.
    (datetime(2026, 10, 25, 4, 59, 59, tzinfo=ZoneInfo("UTC")), date(2026, 10, 24)),
    (datetime(2026, 10, 25, 5, 0, tzinfo=ZoneInfo("UTC")), date(2026, 10, 25)),
])
def test_latest_period_is_the_last_local_day_whose_run_time_has_passed(
        bare_app: Flask, now: datetime, period: date) -> None:
    job, _ = recording_job(at_=time(6, 0))
    assert job.latest_period(now) == period


def test_daily_jobs_are_the_sweep_at_6_the_digest_at_7_reminders_at_17_indicators_at_3(
) -> None:
    assert [(job.name, job.at) for job in jobs.DAILY_JOBS] == [
        ("sweep", time(6, 0)), ("digest", time(7, 0)), ("reminders", time(17, 0)),
        ("indicators", time(3, 0))]


# --- Catch-up after downtime ----------------------------------------------------------------


@pytest.fixture
def recorded_jobs(monkeypatch: pytest.MonkeyPatch) -> dict[str, Recorder]:
    """DAILY_JOBS replaced by recorders at the same local times."""
    recorders = {job.name: Recorder() for job in jobs.DAILY_JOBS}
    monkeypatch.setattr(jobs, "DAILY_JOBS", tuple(
        DailyJob(job.name, job.at, recorders[job.name]) for job in jobs.DAILY_JOBS))
    return recorders


def done_run(job: str, period: date) -> None:
    db.session.add(JobRun(job=job, period=period.isoformat(), status="done", owner="earlier:1",
                          started_at=at(period, 6), finished_at=at(period, 6, 1)))
    db.session.commit()


def test_catch_up_at_start_up_runs_the_missed_sweep_once(
        app: Any, clock: FixedClock, recorded_jobs: dict[str, Recorder]) -> None:
    """Down since Saturday evening, started Monday 05:00: Sunday's jobs run, once each."""
    saturday = TODAY - timedelta(days=2)
    for name in ("sweep", "digest", "reminders", "indicators"):
        done_run(name, saturday)
    clock.set(at(TODAY, 5))

    summary = catch_up()

    assert summary == {name: {"day": (TODAY if name == "indicators" else YESTERDAY).isoformat()}
                       for name in recorded_jobs}
    assert {name: r.days for name, r in recorded_jobs.items()} == {
        "sweep": [YESTERDAY], "digest": [YESTERDAY], "reminders": [YESTERDAY],
        "indicators": [TODAY]}  # 03:00 today has passed
    assert [r for r in runs() if r[1] == YESTERDAY.isoformat()] == [
        ("digest", "2026-03-01", "done"), ("reminders", "2026-03-01", "done"),
        ("sweep", "2026-03-01", "done")]

    # A second start-up (or a second scheduler) catches up nothing.
    assert catch_up() == {"sweep": None, "digest": None, "reminders": None, "indicators": None}
    assert all(len(r.days) == 1 for r in recorded_jobs.values())
    assert len(runs()) == 8


def test_catch_up_runs_today_for_jobs_whose_time_has_come_and_yesterday_for_the_others(
        app: Any, clock: FixedClock, recorded_jobs: dict[str, Recorder]) -> None:
    """Started at 12:00: indicators (03:00), sweep (06:00) and digest (07:00) for today,
    reminders (17:00) for yesterday, its latest period; older missed days are not replayed."""
    clock.set(at(TODAY, 12))

    catch_up()

    assert {name: r.days for name, r in recorded_jobs.items()} == {
        "sweep": [TODAY], "digest": [TODAY], "reminders": [YESTERDAY], "indicators": [TODAY]}
    assert runs() == [("digest", "2026-03-02", "done"), ("indicators", "2026-03-02", "done"),
                      ("reminders", "2026-03-01", "done"), ("sweep", "2026-03-02", "done")]


def test_catch_up_when_nothing_was_missed_runs_nothing(
        app: Any, clock: FixedClock, recorded_jobs: dict[str, Recorder]) -> None:
    done_run("sweep", TODAY)
    done_run("digest", TODAY)
    done_run("reminders", YESTERDAY)
    done_run("indicators", TODAY)
    clock.set(at(TODAY, 16, 59))

    assert catch_up() == {"sweep": None, "digest": None, "reminders": None, "indicators": None}
    assert all(r.days == [] for r in recorded_jobs.values())

    clock.set(at(TODAY, 17))  # reminders' time today: now its period is missing
    assert catch_up() == {"sweep": None, "digest": None, "reminders": {"day": "2026-03-02"},
                          "indicators": None}


def test_catch_up_with_the_real_jobs_sweeps_once_and_records_each_summary(
        app: Any, clock: FixedClock, factories: Factories) -> None:
    """No sweep ran yesterday at 06:00: started today at 05:30, it sweeps yesterday, once."""
    referent = factories.user(Role.REFERENT)
    factories.active_patient(referent, start=TODAY - timedelta(days=21))
    clock.set(at(TODAY, 5, 30))

    first = catch_up()

    assert first["sweep"] is not None and first["sweep"]["as_of"] == YESTERDAY.isoformat()
    assert first["sweep"]["patients_examined"] == 1
    assert first["sweep"]["flags_opened"] >= 1
    flags = db.session.scalar(select(func.count()).select_from(Flag))
    assert flags == first["sweep"]["flags_opened"]
    assert first["digest"] is not None and first["reminders"] is not None
    # 03:00 today has passed: the indicators of this year and the last one, computed.
    assert first["indicators"] == {"years": [TODAY.year - 1, TODAY.year]}
    for name, summary in first.items():
        row = the_run(name, TODAY if name == "indicators" else YESTERDAY)
        assert (row.status, row.summary) == ("done", summary)
    outbox = db.session.scalar(select(func.count()).select_from(Notification))

    assert catch_up() == {"sweep": None, "digest": None, "reminders": None, "indicators": None}
    assert db.session.scalar(select(func.count()).select_from(Flag)) == flags
    assert db.session.scalar(select(func.count()).select_from(Notification)) == outbox
    assert len(runs()) == 4


# --- Two schedulers racing on PostgreSQL ----------------------------------------------------

RACE_JOB = "race"
FRESH, FAILED, STALE = TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=2)


def race_child(uri: str, user_id: int, first_gate: int, second_gate: int) -> None:
    """One scheduler process: wait at a gate, run the race job, wait at the next, run again.

    Round 1 races on a period nobody claimed; round 2 on a failed and a stale
    run. The job's effect is a message keyed by this process, so a second run
    would leave a second row. Prints {period: summary or null} as JSON.
    """
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri},
                     clock=FixedClock.on_day(TODAY))

    def effect(day: date) -> dict[str, Any]:
        enqueue(channel=NotificationChannel.EMAIL, kind=RACE_JOB, body=f"{day} by {owner()}",
                dedupe_key=f"race:{day}:{owner()}", user_id=user_id)
        db.session.commit()
        return {"by": owner()}

    job = DailyJob(RACE_JOB, time(6, 0), effect)
    results: dict[str, Any] = {}
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # connected before the gate opens
        db.session.commit()
        with db.engine.connect() as gate:
            for key, days in ((first_gate, (FRESH,)), (second_gate, (FAILED, STALE))):
                gate.execute(text("SELECT pg_advisory_lock_shared(:k)"), {"k": key})
                gate.execute(text("SELECT pg_advisory_unlock_shared(:k)"), {"k": key})
                gate.commit()
                for day in days:
                    results[day.isoformat()] = run_once(job, day)
    print(json.dumps(results))


def _wait_at_gate(conn: Connection, key: int, procs: list[subprocess.Popen[str]]) -> None:
    """Until every process waits on the advisory lock ``key`` (or one of them died)."""
    deadline = wall.monotonic() + 60
    while wall.monotonic() < deadline:
        waiting = conn.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = 0 AND objid = :k AND objsubid = 1"), {"k": key}).scalar()
        if waiting == len(procs):
            return
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            pytest.fail(f"a scheduler process exited early: {dead[0].communicate()}")
        wall.sleep(0.01)
    pytest.fail(f"the scheduler processes never reached gate {key}")


def _run_racers(uri: str, user_id: int, count: int) -> list[dict[str, Any]]:
    first_gate, second_gate = (secrets.randbelow(2**31 - 1) + 1 for _ in range(2))
    code = ("import sys; from tests.server.test_jobs import race_child; "
            "race_child(sys.argv[1], *map(int, sys.argv[2:]))")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_advisory_lock(:a), pg_advisory_lock(:b)"),
                     {"a": first_gate, "b": second_gate})
        procs = [subprocess.Popen(
            [sys.executable, "-c", code, uri, str(user_id), str(first_gate), str(second_gate)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(count)]
        try:
            _wait_at_gate(conn, first_gate, procs)
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": first_gate})
            _wait_at_gate(conn, second_gate, procs)
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": second_gate})
            outputs = [p.communicate(timeout=60) for p in procs]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
            conn.execute(text("SELECT pg_advisory_unlock_all()"))
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


def test_two_schedulers_racing_on_postgresql_run_a_job_once(
        app: Any, db_uri: str, clock: FixedClock, factories: Factories) -> None:
    """Two real processes, released together at advisory-lock gates, each call run_once.

    Round 1, a period never claimed: both INSERT the run, one wins. Round 2, a
    failed run and a running run whose lease ran out: both UPDATE it, one wins.
    Each period ends with one run, done by the process that reports it, and
    one effect (a second run would leave a second, differently keyed message).
    """
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite: several scheduler processes share one database only on "
                    "PostgreSQL (production), and the gates are PostgreSQL advisory locks; "
                    "this test runs in the PostgreSQL pass (DATABASE_URL set)")
    user = factories.user(Role.REFERENT)
    stale_run(RACE_JOB, FAILED, clock.now() - timedelta(minutes=10), status="failed")
    stale_run(RACE_JOB, STALE, clock.now() - LEASE - timedelta(minutes=10))

    results = _run_racers(db_uri, user.id, count=2)

    db.session.expire_all()
    for day in (FRESH, FAILED, STALE):
        summaries = [r[day.isoformat()] for r in results]
        winners = [s for s in summaries if s is not None]
        assert len(winners) == 1, (day, summaries)
        row = the_run(RACE_JOB, day)
        assert (row.status, row.owner, row.summary) == ("done", winners[0]["by"], winners[0])
        effects = db.session.scalars(select(Notification.dedupe_key).where(
            Notification.kind == RACE_JOB, Notification.body.like(f"{day}%"))).all()
        assert effects == [f"race:{day}:{winners[0]['by']}"]
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 3



def test_a_run_taken_over_while_it_ran_does_not_overwrite_the_new_owners_record(
        app: Any, clock: FixedClock) -> None:
    def overran(day: date) -> dict[str, Any]:
        # Past its lease, another process took the run over while this one still worked.
        db.session.execute(text("UPDATE job_runs SET owner = 'other:1' WHERE job = 'probe'"))
        db.session.commit()
        return {"late": True}

    assert run_once(DailyJob("probe", time(6, 0), overran), TODAY) == {"late": True}
    row = the_run("probe", TODAY)
    assert (row.owner, row.status, row.summary) == ("other:1", "running", None)


def test_a_failed_daily_run_is_retried_with_back_off_within_its_day(
        app: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL restarts at 06:00: the sweep fails, twice; it is retried at 06:05, then
    06:15, and succeeds, without restarting the scheduler; then nothing more."""
    job, recorder = recording_job("sweep", time(6, 0), failures=2)
    monkeypatch.setattr(jobs, "DAILY_JOBS", (job,))
    clock.set(at(TODAY, 6))
    assert run_once(job, TODAY) is None
    assert the_run("sweep", TODAY).status == "failed"

    clock.set(at(TODAY, 6, 4))
    assert jobs.retry_failed() == {}, "not before its back-off"
    clock.set(at(TODAY, 6, 5))
    assert jobs.retry_failed() == {"sweep": None}  # tried again, failed again
    assert (the_run("sweep", TODAY).status, the_run("sweep", TODAY).attempts) == ("failed", 2)
    clock.set(at(TODAY, 6, 14))
    assert jobs.retry_failed() == {}, "the back-off doubled"
    clock.set(at(TODAY, 6, 15))
    assert jobs.retry_failed() == {"sweep": {"day": TODAY.isoformat()}}
    assert (the_run("sweep", TODAY).status, the_run("sweep", TODAY).attempts) == ("done", 3)
    clock.set(at(TODAY, 9))
    assert jobs.retry_failed() == {}
    assert recorder.days == [TODAY] * 3


def test_the_scheduler_checks_for_failed_runs_every_minute(bare_app: Any) -> None:
    from server.scheduler import RETRY_CHECK_EVERY_S, build_scheduler

    retry = {j.id: j for j in build_scheduler(bare_app).get_jobs()}["retry"]
    assert retry.trigger.interval == timedelta(seconds=RETRY_CHECK_EVERY_S) == timedelta(
        minutes=1)
