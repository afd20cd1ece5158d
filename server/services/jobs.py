"""Scheduled jobs and the database lock that runs each of them once per period.

A job's run for a period (a local day) is a row of ``job_runs``, unique on
(job, period): the process whose INSERT wins runs it, the others skip it.
A run that failed, or whose process died (its lease ran out), may be taken
over by one process, with an UPDATE that only one can win.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from server.clock import get_clock
from server.extensions import db
from server.models import JobRun
from server.services.indicators import refresh_snapshots
from server.services.reminders import send_digests, send_patient_reminders
from server.services.sweep import sweep

logger = logging.getLogger(__name__)
LEASE = timedelta(hours=1)
# A failed daily run is tried again 5 minutes after, then 10, 20, 40, then every hour,
# until it succeeds or its day is over (a database restart at 06:00 costs minutes).
RETRY_FIRST = timedelta(minutes=5)
RETRY_MAX = timedelta(hours=1)


@dataclass(frozen=True)
class DailyJob:
    """A job run once a day at a local time."""

    name: str
    at: time
    run: Callable[[date], dict[str, Any]]

    def latest_period(self, now: datetime) -> date:
        """The last day whose run time has passed at ``now`` (local)."""
        local = now.astimezone(get_clock().tz)
        return local.date() if local.time() >= self.at else local.date() - timedelta(days=1)


def _sweep(day: date) -> dict[str, Any]:
    return sweep(day).as_dict()


DAILY_JOBS = (
    DailyJob("sweep", time(6, 0), _sweep),
    DailyJob("digest", time(7, 0), send_digests),
    DailyJob("reminders", time(17, 0), send_patient_reminders),
    # At night, when nobody reads: seconds of aggregation over the whole file.
    DailyJob("indicators", time(3, 0), refresh_snapshots),
)


def owner() -> str:
    """This process, as written in the runs it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(job: str, period: str) -> bool:
    """Take the run of ``job`` for ``period``; False when another process has it or had it."""
    now = get_clock().now()
    try:
        with db.session.begin_nested():
            db.session.add(JobRun(job=job, period=period, status="running", owner=owner(),
                                  started_at=now))
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
    taken = db.session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.period == period,
               or_(JobRun.status == "failed",
                   (JobRun.status == "running") & (JobRun.started_at < now - LEASE)))
        .values(status="running", owner=owner(), started_at=now, error=None,
                attempts=JobRun.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return taken == 1


def run_once(job: DailyJob, day: date) -> dict[str, Any] | None:
    """Run ``job`` for ``day`` unless it ran (or runs) elsewhere; return its summary."""
    period = day.isoformat()
    if not claim(job.name, period):
        logger.info("%s for %s: already run or running elsewhere", job.name, period)
        return None
    status, summary, error = "done", None, None
    try:
        summary = job.run(day)
    except Exception:
        db.session.rollback()
        status, error = "failed", traceback.format_exc(limit=5)
        logger.exception("%s for %s failed", job.name, period)
    # Only our own claim is closed: a run that outlived its lease may have been taken over.
    closed = db.session.execute(
        update(JobRun).where(JobRun.job == job.name, JobRun.period == period,
                             JobRun.owner == owner(), JobRun.status == "running")
        .values(status=status, summary=summary, error=error,
                finished_at=get_clock().now())
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if closed != 1:
        logger.warning("%s for %s: taken over by another process before it ended", job.name,
                       period)
    return summary


def catch_up() -> dict[str, Any]:
    """On start-up: run, once, each daily job whose latest period has not run yet."""
    now = get_clock().now()
    return {job.name: run_once(job, job.latest_period(now)) for job in DAILY_JOBS}


def retry_delay(attempts: int) -> timedelta:
    """How long after its ``attempts``-th failure a run is tried again."""
    return min(RETRY_FIRST * 2 ** max(0, attempts - 1), RETRY_MAX)


def retry_failed() -> dict[str, Any]:
    """Run again each daily job whose latest period failed and whose back-off has passed.

    Called every minute by the scheduler; the claim in :func:`run_once` keeps it to
    one process.
    """
    now = get_clock().now()
    retried: dict[str, Any] = {}
    for job in DAILY_JOBS:
        day = job.latest_period(now)
        row = db.session.scalar(select(JobRun).where(JobRun.job == job.name,
                                                      JobRun.period == day.isoformat()))
        if (row is not None and row.status == "failed" and row.finished_at is not None
                and row.finished_at + retry_delay(row.attempts) <= now):
            retried[job.name] = run_once(job, day)
    return retried
