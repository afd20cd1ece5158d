"""The benchmarks' cohort in PostgreSQL: the synthetic generator at full scale, built once.

``build_cohort`` drops and re-creates a database (its name must start with
``reprise_bench``), builds the schema with the Alembic migrations, and writes
``patients`` patients (default 100,000) as the service would hold them on
``today`` with ``synthetic`` (the generator of ``reprise demo-data``): staff
(a referent per 60 patients, a physician per 500), enrolments at every stage,
each started one with its timeline, booklet, prescriptions, calls, sessions,
health events and questionnaires, and about one running patient in five
drifting toward rupture. At this scale no heart-rate curve is stored and
booklet entries cover the last five weeks (what the sweep reads and a
patient's file shows).

Indexes and constraints of the loaded tables are dropped before the load and
rebuilt after it (faster than maintaining them row by row), then the tables
are analysed. A ``bench_cohort`` row records the arguments: a later call with
the same ones reuses the database instead of spending minutes regenerating it
(``rebuild=True`` forces it).

    .venv/bin/python bench/cohort.py [--patients 100000] [--seed 7] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text as sql_text  # noqa: E402

from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from shared.enums import ContactStatus, Role  # noqa: E402
from synthetic.activity import COLUMNS  # noqa: E402
from synthetic.plan import Options  # noqa: E402
from synthetic.write import generate  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/reprise_bench_sweep"
DEFAULT_TODAY = date(2026, 11, 30)
STAFF_PASSWORD = "bench-password-2026"
# Booklet entries are written for the current week and the four before it: the sweep
# reads four weeks back, and a patient's file shows the last weeks.
BOOKLET_DAYS = 35
# Tables loaded in bulk: their indexes and constraints are rebuilt after the load.
LOADED_TABLES = ("users", *COLUMNS)


@dataclass(frozen=True)
class StaffLogin:
    """A staff account of the cohort and the password that opens it."""

    id: int
    email: str
    password: str


def sqlalchemy_url(url: str) -> str:
    """The SQLAlchemy form (psycopg 3 driver) of a ``postgresql://`` URL."""
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def busy_referent(url: str = DEFAULT_URL) -> StaffLogin:
    """The referent with the most patients (60 in a full cohort), password ``STAFF_PASSWORD``."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT u.id, u.email FROM users u JOIN patients p ON p.referent_id = u.id"
            " WHERE u.role = %s GROUP BY u.id ORDER BY count(*) DESC, u.id LIMIT 1",
            (Role.REFERENT.value,)).fetchone()
    if row is None:
        raise LookupError("no referent with patients: build the cohort first")
    return StaffLogin(id=row[0], email=row[1], password=STAFF_PASSWORD)


def _upgrade(url: str) -> Flask:
    """The schema of ``url`` brought to the migrations' head; the app that did it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    return app


def build_cohort(url: str = DEFAULT_URL, patients: int = 100_000, seed: int = 7,
                 today: date = DEFAULT_TODAY, rebuild: bool = False) -> dict[str, Any]:
    """Make ``url``'s database hold the cohort for these arguments; return its figures.

    Reuses the database when its ``bench_cohort`` row records the same
    arguments (``"reused": True`` in the answer), unless ``rebuild``.
    """
    arguments = {"patients": patients, "seed": seed, "today": today.isoformat()}
    if not rebuild:
        stored = _stored_cohort(url)
        if stored is not None and stored["arguments"] == arguments:
            return {**stored, "reused": True}
    began = time.perf_counter()
    _recreate_database(url)
    app = _upgrade(url)
    schema = time.perf_counter()
    with psycopg.connect(url) as conn:
        restore = _detach_indexes(conn, LOADED_TABLES)
        conn.commit()
        with app.app_context():
            db.session.execute(sql_text("SET synchronous_commit = off"))
            options = Options(patients=patients, seed=seed, today=today, hr_sample_days=0,
                              booklet_days=BOOKLET_DAYS, ref_prefix="BENCH")
            # This database was created above for the benchmarks: not the demo's.
            generated = generate(db.session, options, STAFF_PASSWORD, allow_any_database=True)
            db.engine.dispose()
        loaded = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in restore:
            conn.execute(statement)
        # Contacts left planned past their window: the first sweep marks them missed.
        conn.execute("CREATE TABLE bench_overdue_contacts (id integer PRIMARY KEY)")
        conn.commit()
        indexed = time.perf_counter()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        conn.autocommit = False
        figures = {
            "arguments": arguments, "rows": generated["rows"],
            "schema_s": round(schema - began, 1), "load_s": generated["load_s"],
            "weeks_s": generated["weeks_s"], "index_s": round(indexed - loaded, 1),
            "analyze_s": round(time.perf_counter() - indexed, 1),
            "generation_s": round(time.perf_counter() - began, 1),
        }
        conn.execute("CREATE TABLE bench_cohort (figures json NOT NULL)")
        conn.execute("INSERT INTO bench_cohort VALUES (%s)", (json.dumps(figures),))
        conn.commit()
    print(f"cohort: {patients:,} patients generated in {figures['generation_s']} s "
          f"(schema {figures['schema_s']} s, load {figures['load_s']} s, weeks "
          f"{figures['weeks_s']} s, indexes {figures['index_s']} s, "
          f"analyse {figures['analyze_s']} s)")
    return {**figures, "reused": False}


def restore_pristine(conn: psycopg.Connection) -> None:
    """Put the sweep's state back as generated: no flag, nothing reported,
    overdue contacts planned, no sweep run before.

    Lets a benchmark run the first sweep of a day again on the same cohort.
    """
    conn.execute("UPDATE ergo_sessions SET safety_flag_id = NULL"
                 " WHERE safety_flag_id IS NOT NULL")
    conn.execute("UPDATE health_events SET flag_id = NULL WHERE flag_id IS NOT NULL")
    # Nothing refers to the flags any more, but the foreign key check of each deleted
    # flag would scan ergo_sessions (safety_flag_id has no index): skip the checks.
    conn.execute("SET session_replication_role = replica")
    conn.execute("DELETE FROM sweep_runs")  # the next sweep judges the whole file
    conn.execute("DELETE FROM notifications")
    conn.execute("DELETE FROM flag_events")
    conn.execute("DELETE FROM flags")
    conn.execute("SET session_replication_role = DEFAULT")
    conn.execute("UPDATE scheduled_contacts c SET status = %s FROM bench_overdue_contacts o"
                 " WHERE c.id = o.id AND c.status <> %s",
                 (ContactStatus.PLANNED.value, ContactStatus.PLANNED.value))
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE flags")
    conn.execute("VACUUM ANALYZE flag_events")
    conn.execute("VACUUM ANALYZE scheduled_contacts")
    # Its links were just undone: without the vacuum autovacuum would soon run, each round
    # would leave 16,000 dead rows and statistics saying every event awaits reporting.
    conn.execute("VACUUM ANALYZE health_events")
    conn.autocommit = False


def keep_pristine_until(conn: psycopg.Connection, instant: datetime) -> None:
    """Let ``restore_pristine`` also undo the contacts a sweep at ``instant`` marks missed.

    A benchmark sweeping the next day closes more windows than the generated
    overdue ones: the planned contacts closed by then are remembered too.
    """
    conn.execute("INSERT INTO bench_overdue_contacts SELECT id FROM scheduled_contacts"
                 " WHERE status = %s AND window_closes < %s ON CONFLICT DO NOTHING",
                 (ContactStatus.PLANNED.value, instant))
    conn.commit()


def _stored_cohort(url: str) -> dict[str, Any] | None:
    """The stored cohort's figures, unless there is none or its schema is not the models'.

    A cohort generated before the latest migrations gets them first (new tables,
    indexes), rather than its generation again.
    """
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT figures FROM bench_cohort").fetchone()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return None
    if row is None:
        return None
    _upgrade(url)
    with psycopg.connect(url) as conn:
        columns = set(conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'").fetchall())
    wanted = {(t.name, c.name) for t in db.metadata.sorted_tables for c in t.columns}
    if not wanted <= columns:
        print("the stored cohort predates the current schema: rebuilding it")
        return None
    return row[0]


def _recreate_database(url: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    if not str(name).startswith("reprise_bench"):
        # Dropped and re-created: never a database the benchmarks do not own.
        raise SystemExit(f"refusing to re-create {name}: a bench database's name starts "
                         "with reprise_bench")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _detach_indexes(conn: psycopg.Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' foreign keys, unique constraints and indexes (not primary keys).

    Returns the statements that put them back exactly as they were.
    """
    restore: list[str] = []
    drops: list[str] = []
    for table in tables:
        for name, definition in conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype IN ('f', 'u')", (table,)):
            drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in conn.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
                (table,)):
            drops.append(f'DROP INDEX "{name}"')
            restore.insert(0, definition)  # indexes before the foreign keys that use them
    for statement in drops:
        conn.execute(statement)
    return restore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    parser.add_argument("--rebuild", action="store_true", help="regenerate even if present")
    args = parser.parse_args()
    url = os.environ.get("BENCH_SWEEP_URL", DEFAULT_URL)
    figures = build_cohort(url, args.patients, args.seed, args.today, args.rebuild)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
