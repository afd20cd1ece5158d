"""Writes a planned cohort into the database, in bulk, for the demo and the benchmarks alike.

Patients are planned and written in chunks (COPY on PostgreSQL, one
executemany per table elsewhere, through ``server.services.bulk``), so that
48 patients take a second and 100,000 stay within memory. Ids of the rows
that others refer to are drawn here, after the largest already stored.
What ingest keeps up to date as items arrive (``activity_weeks``, the pain
baseline) is computed once at the end by the same service.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from server.clock import utcnow
from server.extensions import db
from server.models import Enrolment, ErgoSession, Patient, SessionSeries, User
from server.services import activity_weeks
from server.services.auth import hash_password
from server.services.bulk import insert_rows, write_rows
from shared.enums import EnrolmentState, Role
from synthetic.activity import COLUMNS, NUMBERED, Cohort, Rows
from synthetic.measures import write_measures
from synthetic.plan import Calendar, Options, Pipeline, Staff, plan_specs, staff_accounts
from synthetic.syntheses import write_care_teams, write_syntheses
from synthetic.target import check_target

# Patients planned and written together: bounds memory, keeps statements large.
CHUNK = 2_000


def generate(session: Session, options: Options, staff_password: str, *,
             allow_any_database: bool = False) -> dict[str, Any]:
    """Write the staff accounts (reusing any that exist) and the cohort; commit.

    Outside the demo's database only with ``allow_any_database``, and never
    with the demo password there (:class:`TargetRefused`). Returns the row
    counts per table and the seconds spent.
    """
    check_target(allow_any_database=allow_any_database, staff_password=staff_password)
    began = time.perf_counter()
    staff = ensure_staff(session, options.patients, staff_password)
    rng = random.Random(options.seed)
    cal = Calendar(rng, options.today, options.tz)
    specs = plan_specs(rng, options.patients)
    next_ids = {name: _next_id(session, _table(name)) for name in NUMBERED}
    pipeline = Pipeline(cal, staff, options.ref_prefix)
    cohort = Cohort(cal, options, staff.coordinator, next_ids)
    counts: dict[str, int] = defaultdict(int)
    buffer: Rows = defaultdict(list)
    plans = pipeline.patients(specs, next_ids["patients"], next_ids["enrolments"])
    for n, plan in enumerate(plans, 1):
        for name, rows in cohort.rows(plan).items():
            buffer[name] += rows
        if n % CHUNK == 0 or n == len(specs):
            _flush(session, buffer, counts)
    next_ids["patients"] += len(specs)
    next_ids["enrolments"] += len(specs)
    if session.get_bind().dialect.name == "postgresql":
        # Ids were given explicitly: the sequences continue after them.
        for name in NUMBERED:
            session.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n, false)"),
                            {"t": name, "n": next_ids[name]})
    loaded = time.perf_counter()
    activity_weeks.rebuild()
    _measures(session, rng, options)
    counts["care_team_members"] = write_care_teams(session, rng)
    session.commit()
    # Through the workflow services, which commit each step as the staff's pages do.
    counts["syntheses"] = write_syntheses(session, rng, options.today, staff.coordinator)
    return {"rows": dict(counts), "load_s": round(loaded - began, 1),
            "weeks_s": round(time.perf_counter() - loaded, 1)}


def _measures(session: Session, rng: random.Random, options: Options) -> None:
    """Questionnaires, endurance tests and visit reports of the started enrolments, scored
    as the server scores them (after the contacts, whose visits they attach to)."""
    started = list(session.scalars(select(Enrolment).where(Enrolment.start_date.is_not(None))))
    tz = options.tz
    # An ended programme's last answers come the day before it ended.
    last_days = {e.id: e.ended_at.astimezone(tz).date() - timedelta(days=1)
                 for e in started if e.ended_at}
    write_measures(started, rng, options.today, last_days)


def _flush(session: Session, buffer: Rows, counts: dict[str, int]) -> None:
    for name, columns in COLUMNS.items():
        rows = buffer.pop(name, [])
        write_rows(session, _table(name), columns, rows)
        counts[name] += len(rows)


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _next_id(session: Session, table: Table) -> int:
    return (session.scalar(select(func.max(table.c.id))) or 0) + 1


def ensure_staff(session: Session, patients: int, password: str) -> Staff:
    """The cohort's staff accounts, created with ``password`` where missing (one hash)."""
    accounts = staff_accounts(patients)
    ids = dict(session.execute(select(User.email, User.id).where(
        User.email.in_([a.email for a in accounts]))).all())
    missing = [a for a in accounts if a.email not in ids]
    if missing:
        digest, now = hash_password(password), utcnow()
        ids |= insert_rows(session, User.__table__, [
            {"email": a.email, "full_name": a.full_name, "role": a.role,
             "password_hash": digest, "active": True, "locale": "fr", "failed_logins": 0,
             "created_at": now} for a in missing], ids_by="email")
    by_role: dict[Role, list[int]] = defaultdict(list)
    for account in accounts:
        by_role[account.role].append(ids[account.email])
    return Staff(coordinator=by_role[Role.COORDINATOR][0], physicians=by_role[Role.PHYSICIAN],
                 referents=by_role[Role.REFERENT])


def empty_database(session: Session, *, allow_any_database: bool = False) -> None:
    """Delete every row of every table, children first; commit.

    Outside the demo's database only with ``allow_any_database``.
    """
    check_target(allow_any_database=allow_any_database)
    for table in reversed(db.metadata.sorted_tables):
        session.execute(table.delete())
    session.commit()


def summary(session: Session) -> dict[str, Any]:
    """Patients, enrolments by state, sessions and heart-rate samples in the database."""
    states = dict(session.execute(
        select(Enrolment.state, func.count()).group_by(Enrolment.state)).all())
    return {
        "patients": session.scalar(select(func.count()).select_from(Patient)),
        "by_state": {state.value: states.get(state, 0) for state in EnrolmentState},
        "sessions": session.scalar(select(func.count()).select_from(ErgoSession)),
        "hr_samples": session.scalar(select(func.coalesce(func.sum(SessionSeries.count), 0))),
    }
