"""Runs of the scheduled jobs: the row is the lock that makes a job run once per period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime


class JobRun(db.Model):
    """One run of a job for one period (a day for the daily jobs)."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_runs_job_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))  # running, done, failed
    owner: Mapped[str] = mapped_column(String(120))  # host:pid of the process that ran it
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # Runs of this period so far: a failed one is retried after a back-off that doubles.
    attempts: Mapped[int] = mapped_column(default=1, server_default="1")


class SweepRun(db.Model):
    """A sweep over the whole active file: the next day's sweep judges what changed since.

    ``full`` says whether it judged every running enrolment; ``rules`` is the
    fingerprint of the rules and templates it applied (a change of rules calls
    for a full sweep).
    """

    __tablename__ = "sweep_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    full: Mapped[bool]
    rules: Mapped[str] = mapped_column(String(64))
    examined: Mapped[int]
