"""The scheduler process (`reprise scheduler`): daily jobs at their local time, and delivery.

It runs apart from the web workers (one scheduler, however many web
processes); several schedulers against one database still run each daily job
once per day, thanks to the lock in ``services.jobs``. On start-up a daily
run missed while nothing was running is caught up, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from server.clock import get_clock
from server.services.jobs import DAILY_JOBS, DailyJob, catch_up, retry_failed, run_once
from server.services.notifications import deliver_pending

logger = logging.getLogger(__name__)
DELIVERY_EVERY_S = 30
RETRY_CHECK_EVERY_S = 60


def _in_app(app: Flask, fn: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            result = fn()
            logger.info("%s: %s", getattr(fn, "__name__", "job"), result)
    return run


def _daily(job: DailyJob) -> Callable[[], Any]:
    def run() -> Any:
        return run_once(job, job.latest_period(get_clock().now()))
    run.__name__ = job.name
    return run


def _deliver() -> dict[str, int]:
    return deliver_pending().as_dict()


def build_scheduler(app: Flask, deliver_every: int = DELIVERY_EVERY_S) -> BlockingScheduler:
    """A blocking scheduler: the daily jobs, and the outbox every ``deliver_every`` seconds."""
    with app.app_context():
        tz = get_clock().tz
    scheduler = BlockingScheduler(timezone=tz)
    for job in DAILY_JOBS:
        scheduler.add_job(_in_app(app, _daily(job)), CronTrigger(
            hour=job.at.hour, minute=job.at.minute, timezone=tz), id=job.name,
            coalesce=True, max_instances=1, misfire_grace_time=3600)
    scheduler.add_job(_in_app(app, _deliver), IntervalTrigger(seconds=deliver_every),
                      id="deliver", coalesce=True, max_instances=1)
    # Failed daily runs are retried with back-off within their day, without a restart.
    scheduler.add_job(_in_app(app, retry_failed), IntervalTrigger(seconds=RETRY_CHECK_EVERY_S),
                      id="retry", coalesce=True, max_instances=1)
    return scheduler


def run_scheduler(app: Flask, catch_up_first: bool = True,
                  deliver_every: int = DELIVERY_EVERY_S) -> None:
    """Catch up missed daily runs, then run the schedule until interrupted."""
    if catch_up_first:
        with app.app_context():
            logger.info("catch-up: %s", catch_up())
    build_scheduler(app, deliver_every).start()
