"""The scheduler process and the commands: `reprise scheduler` and `reprise sweep --as-of`.

The daily jobs are cron triggers in Europe/Paris (06:00 sweep, 07:00 digest,
17:00 reminders) that keep their local hour across DST changes; each fires
``run_once`` for its current period in an app context; start-up catches up
before the schedule starts.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from server import scheduler as scheduler_module
from server.clock import FixedClock
from server.extensions import db
from server.models import Flag, JobRun
from server.scheduler import DELIVERY_EVERY_S, build_scheduler, run_scheduler
from server.services.notifications import DeliveryReport
from shared.enums import Role
from tests.conftest import TODAY, Factories

PARIS = ZoneInfo("Europe/Paris")
DAILY = {"sweep": time(6, 0), "digest": time(7, 0), "reminders": time(17, 0),
         "indicators": time(3, 0)}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware instant at a local (Paris) time."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def runs() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(r.job, r.period, r.status) for r in
            db.session.scalars(select(JobRun).order_by(JobRun.job, JobRun.period))]


def scheduled(app: Flask) -> dict[str, Any]:
    return {job.id: job for job in build_scheduler(app).get_jobs()}


def fire_times(trigger: CronTrigger, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times of ``trigger`` after the instant ``after``."""
    times: list[datetime] = []
    previous = None
    now = after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        times.append(fire)
        previous, now = fire, fire + timedelta(microseconds=1)
    return times


# --- The schedule ---------------------------------------------------------------------------


def test_daily_jobs_are_registered_at_their_local_time_in_paris(bare_app: Flask) -> None:
    jobs = scheduled(bare_app)

    assert set(jobs) == {*DAILY, "deliver", "retry"}
    for name, local in DAILY.items():
        trigger = jobs[name].trigger
        assert isinstance(trigger, CronTrigger)
        assert str(trigger.timezone) == "Europe/Paris"
        fields = {field.name: str(field) for field in trigger.fields}
        assert (fields["hour"], fields["minute"], fields["second"]) == (
            str(local.hour), str(local.minute), "0")
        assert {fields[f] for f in ("year", "month", "day", "week", "day_of_week")} == {"*"}
        assert (jobs[name].coalesce, jobs[name].max_instances) == (True, 1)
        assert jobs[name].misfire_grace_time == 3600
    # From Monday noon: reminders later today, indicators, sweep and digest tomorrow.
    now = at(TODAY, 12)
    assert {name: jobs[name].trigger.get_next_fire_time(None, now) for name in DAILY} == {
        "sweep": at(TODAY + timedelta(days=1), 6),
        "digest": at(TODAY + timedelta(days=1), 7),
        "reminders": at(TODAY, 17),
        "indicators": at(TODAY + timedelta(days=1), 3),
    }


def test_delivery_of_the_outbox_runs_every_30_seconds(bare_app: Flask) -> None:
    deliver = scheduled(bare_app)["deliver"]

    assert isinstance(deliver.trigger, IntervalTrigger)
    assert deliver.trigger.interval == timedelta(seconds=DELIVERY_EVERY_S) == timedelta(seconds=30)
    assert (deliver.coalesce, deliver.max_instances) == (True, 1)


def test_sweep_keeps_0600_paris_across_the_spring_dst_change(bare_app: Flask) -> None:
    """Night of Saturday 28 to Sunday 29 March 2026: 06:00 is 05:00 UTC, then 04:00 UTC."""
    trigger = scheduled(bare_app)["sweep"].trigger

    fires = fire_times(trigger, at(date(2026, 3, 27), 12), 3)

    assert [f.astimezone(UTC) for f in fires] == [
        datetime(2026, 3, 28, 5, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 4, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 4, 0, tzinfo=UTC),
    ]
    assert [(f.astimezone(PARIS).date(), f.astimezone(PARIS).time()) for f in fires] == [
        (date(2026, 3, 28), time(6)), (date(2026, 3, 29), time(6)), (date(2026, 3, 30), time(6))]
    # Same tzinfo: Python subtracts wall times; in UTC the DST night is 23 h long.
    assert fires[1].astimezone(UTC) - fires[0].astimezone(UTC) == timedelta(hours=23)


def test_daily_jobs_keep_their_local_hour_across_the_autumn_dst_change(bare_app: Flask) -> None:
    """Sunday 25 October 2026 lasts 25 hours: each job still fires once, at its local time."""
    jobs = scheduled(bare_app)
    for name, local in DAILY.items():
        fires = fire_times(jobs[name].trigger, at(date(2026, 10, 24), 0), 3)
        assert [f.astimezone(PARIS).date() for f in fires] == [
            date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
        assert {f.astimezone(PARIS).time() for f in fires} == {local}
        assert [f.utcoffset() for f in fires] == [
            timedelta(hours=2), timedelta(hours=1), timedelta(hours=1)]
    sweep = fire_times(jobs["sweep"].trigger, at(date(2026, 10, 24), 0), 2)
    assert sweep[1].astimezone(UTC) - sweep[0].astimezone(UTC) == timedelta(hours=25)


def test_the_blocking_scheduler_starts_with_the_jobs_due_at_paris_times(bare_app: Flask) -> None:
    """Started for real (in a thread, stopped at once): next runs are at the local hours."""
    scheduler = build_scheduler(bare_app)
    started = threading.Event()
    scheduler.add_listener(lambda event: started.set(), EVENT_SCHEDULER_STARTED)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        assert started.wait(10)
        for job in scheduler.get_jobs():
            if job.id in DAILY:
                local = job.next_run_time.astimezone(PARIS)
                assert local.time() == DAILY[job.id]
                assert job.next_run_time - datetime.now(UTC) <= timedelta(days=1)
    finally:
        scheduler.shutdown(wait=False)
        thread.join(10)
    assert not thread.is_alive()


# --- What a fired job does ------------------------------------------------------------------


def test_a_fired_daily_job_runs_once_for_its_current_period(
        app: Flask, clock: FixedClock) -> None:
    jobs = scheduled(app)
    db.session.commit()  # the job commits in its own app context and session

    clock.set(at(TODAY, 6))
    jobs["sweep"].func()
    jobs["sweep"].func()  # a second scheduler firing too, or a retry: nothing more
    clock.set(at(TODAY, 7))
    jobs["digest"].func()
    clock.set(at(TODAY, 17))
    jobs["reminders"].func()

    assert runs() == [("digest", "2026-03-02", "done"), ("reminders", "2026-03-02", "done"),
                      ("sweep", "2026-03-02", "done")]


def test_the_delivery_job_delivers_the_outbox(bare_app: Flask,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []

    def deliver() -> DeliveryReport:
        calls.append(True)
        return DeliveryReport(sent=[1])

    monkeypatch.setattr(scheduler_module, "deliver_pending", deliver)
    scheduled(bare_app)["deliver"].func()
    assert calls == [True]


class FakeScheduler:
    """Stands for the blocking scheduler: records the runs present when it is started."""

    def __init__(self) -> None:
        self.runs_at_start: list[tuple[str, str, str]] | None = None

    def start(self) -> None:
        self.runs_at_start = runs()


@pytest.fixture
def fake_scheduler(monkeypatch: pytest.MonkeyPatch) -> FakeScheduler:
    fake = FakeScheduler()
    monkeypatch.setattr(scheduler_module, "build_scheduler",
                        lambda app, deliver_every=DELIVERY_EVERY_S: fake)
    return fake


def test_run_scheduler_catches_up_missed_runs_before_starting_the_schedule(
        app: Flask, clock: FixedClock, fake_scheduler: FakeScheduler) -> None:
    clock.set(at(TODAY, 12))
    db.session.commit()

    run_scheduler(app)

    assert fake_scheduler.runs_at_start == [
        ("digest", "2026-03-02", "done"), ("indicators", "2026-03-02", "done"),
        ("reminders", "2026-03-01", "done"), ("sweep", "2026-03-02", "done")]


def test_run_scheduler_without_catch_up_only_starts_the_schedule(
        app: Flask, fake_scheduler: FakeScheduler) -> None:
    run_scheduler(app, catch_up_first=False)
    assert fake_scheduler.runs_at_start == []


@pytest.mark.parametrize(("args", "catch_up"), [
    ([], True), (["--catch-up"], True), (["--no-catch-up"], False)])
def test_reprise_scheduler_command_runs_the_scheduler(
        bare_app: Flask, monkeypatch: pytest.MonkeyPatch, args: list[str], catch_up: bool,
        ) -> None:
    calls: list[tuple[Flask, bool, int]] = []
    monkeypatch.setattr(scheduler_module, "run_scheduler", lambda app, catch_up, deliver_every:
                        calls.append((app, catch_up, deliver_every)))
    monkeypatch.setattr("logging.basicConfig", lambda **kw: None)

    result = bare_app.test_cli_runner().invoke(args=["scheduler", *args])

    assert result.exit_code == 0, result.output
    assert calls == [(bare_app, catch_up, DELIVERY_EVERY_S)]


# --- reprise sweep --as-of ------------------------------------------------------------------


def sweep_cli(runner: FlaskCliRunner, *args: str) -> dict[str, Any]:
    result = runner.invoke(args=["sweep", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_reprise_sweep_as_of_prints_the_json_summary(
        app: Flask, runner: FlaskCliRunner, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    factories.active_patient(referent, start=TODAY - timedelta(days=21))
    factories.active_patient(referent, start=TODAY - timedelta(days=21), first_name="Paul")

    first = sweep_cli(runner, "--as-of", "2026-03-02")

    assert first["as_of"] == "2026-03-02"
    assert {"patients_examined", "flags_opened", "flags_updated", "flags_closed"} <= set(first)
    assert first["patients_examined"] == 2
    flags = db.session.scalars(select(Flag).order_by(Flag.id)).all()
    assert first["flags_opened"] == len(flags) >= 2
    assert (first["flags_updated"], first["flags_closed"]) == (0, 0)
    assert sum(first["by_kind"].values()) == len(flags)
    state = [(f.id, f.kind, f.severity, f.status, f.evidence) for f in flags]

    # Idempotent: the same day again changes nothing.
    second = sweep_cli(runner, "--as-of", "2026-03-02")
    assert (second["patients_examined"], second["flags_opened"], second["flags_closed"]) == (
        2, 0, 0)
    db.session.expire_all()
    assert [(f.id, f.kind, f.severity, f.status, f.evidence)
            for f in db.session.scalars(select(Flag).order_by(Flag.id))] == state


def test_reprise_sweep_as_of_a_day_before_the_start_examines_no_one(
        app: Flask, runner: FlaskCliRunner, factories: Factories) -> None:
    """The date given is the sweep's day, not the wall clock's."""
    referent = factories.user(Role.REFERENT)
    factories.active_patient(referent, start=TODAY - timedelta(days=14))

    summary = sweep_cli(runner, "--as-of", "2026-02-15")

    assert summary["as_of"] == "2026-02-15"
    assert (summary["patients_examined"], summary["flags_opened"]) == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0


def test_reprise_sweep_refuses_a_malformed_date(bare_app: Flask) -> None:
    result = bare_app.test_cli_runner().invoke(args=["sweep", "--as-of", "02/03/2026"])
    assert result.exit_code == 2
    assert "--as-of" in result.output
