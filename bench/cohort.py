"""A realistic cohort in PostgreSQL, loaded with COPY, for the benchmarks that need a full file.

``build_cohort`` drops and re-creates a database, builds the schema with
``db.create_all``, and loads ``patients`` patients (default 100,000) as the
service would hold them on ``today``:

- staff: one coordinator, one physician per 500 patients, one referent per 60
  patients (``busy_referent`` gives the first one's login, for web benchmarks);
- one enrolment per patient, in both programme templates: running ones
  (``active`` in the intervention, ``follow_up`` after it) started uniformly
  over the last 52 weeks, as in a service recruiting all year round, plus a few
  ``completed`` (a year of sessions) and ``requested`` (nothing yet);
- each started enrolment's timeline (``shared.timeline.build_timeline``): done
  in the past, a few missed or left planned past their window (the sweep marks
  those missed), planned ahead; its booklet (the template's) and week-1
  prescription;
- ergocycle sessions from the start day to yesterday, weekly counts told by a
  per-patient story so that every rule fires for a share of patients: most stay
  in the template's band, some drift down week after week, some stop, some are
  irregular; heart rates with a few sessions above the patient's ceiling; pain
  EVA (low back pain) with some patients rising over their baseline; dyspnoea
  (respiratory) with some patients scoring high;
- booklet entries over the last five weeks, some patients far under 50 %;
- a few health events not yet reported by any flag;
- ``Enrolment.last_received_at``: the last thing the tablet sent.

Rows are written as COPY text by a seeded ``random.Random``: the same
arguments give the same cohort. Indexes and constraints of the loaded tables
are dropped before the load and rebuilt after it (faster than maintaining them
row by row), then the tables are analysed. A ``bench_cohort`` row records the
arguments: a later call with the same ones reuses the database instead of
spending minutes regenerating it (``rebuild=True`` forces it).

    .venv/bin/python bench/cohort.py [--patients 100000] [--seed 7] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.services import activity_weeks  # noqa: E402
from server.services.auth import hash_password  # noqa: E402
from server.services.enrolments import booklet_volume_update  # noqa: E402
from shared.enums import (  # noqa: E402
    BookletStatus,
    ContactKind,
    ContactStatus,
    EnrolmentState,
    HealthEventKind,
    Role,
)
from shared.programmes import LOW_BACK_PAIN, RESPIRATORY, ProgrammeTemplate, get_template  # noqa: E402
from shared.rules import RULES  # noqa: E402
from shared.timeline import PARIS, build_timeline, programme_dates, reinforcement_contacts  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/reprise_bench_sweep"
DEFAULT_TODAY = date(2026, 11, 30)
STAFF_PASSWORD = "bench-password-2026"
PATIENTS_PER_REFERENT = 60
PATIENTS_PER_PHYSICIAN = 500
# Booklet entries are written for the current week and the four before it: the sweep
# reads four weeks back, and a patient's file shows the last weeks.
BOOKLET_DAYS = 35
# Tables loaded in bulk: their indexes and constraints are rebuilt after the load.
LOADED_TABLES = ("users", "patients", "enrolments", "scheduled_contacts", "booklet_items",
                 "prescriptions", "ergo_sessions", "booklet_entries", "health_events")
NULL = "\\N"
FIRST_NAMES = ("Jeanne", "Marie", "Louise", "Paul", "Pierre", "Jacques", "Michel", "Anne",
               "Claude", "Nicole", "Alain", "Monique", "Bernard", "Sylvie", "Daniel", "Martine")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
              "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "Andre", "Mercier")
EVENT_KINDS = tuple(HealthEventKind)
# "HH:MM:00" for every minute of a day: formatting times is most of the generator's work.
CLOCK = tuple(f"{m // 60:02d}:{m % 60:02d}:00" for m in range(24 * 60))


@dataclass(frozen=True)
class StaffLogin:
    """A staff account of the cohort and the password that opens it."""

    id: int
    email: str
    password: str


@dataclass(frozen=True)
class Story:
    """How one patient behaves: drawn once, then read week after week."""

    profile: str  # steady | drifting | stopped | irregular
    change_day: date  # when a drifting patient starts to drift, or a stopped one stops
    booklet_compliance: float
    hr_prone: bool
    symptomatic: bool  # pain rising (low back pain) or dyspnoea high (respiratory)


def sqlalchemy_url(url: str) -> str:
    """The SQLAlchemy form (psycopg 3 driver) of a ``postgresql://`` URL."""
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def busy_referent(url: str = DEFAULT_URL) -> StaffLogin:
    """The first referent of the cohort: 60 patients, password ``STAFF_PASSWORD``."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT u.id, u.email FROM users u JOIN patients p ON p.referent_id = u.id"
            " WHERE u.role = %s GROUP BY u.id HAVING count(*) = %s ORDER BY u.id LIMIT 1",
            (Role.REFERENT.value, PATIENTS_PER_REFERENT)).fetchone()
    if row is None:
        raise LookupError("no referent with a full list: build the cohort first")
    return StaffLogin(id=row[0], email=row[1], password=STAFF_PASSWORD)


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
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    schema = time.perf_counter()
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        restore = _detach_indexes(conn, LOADED_TABLES)
        _Loader(conn, patients, seed, today, rows, seconds).load()
        loaded = time.perf_counter()
        for statement in restore:
            conn.execute(statement)
        for table in LOADED_TABLES:
            conn.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'),"
                                 " (SELECT coalesce(max(id), 0) + 1 FROM {}), false)").format(
                sql.Literal(table), sql.Identifier(table)))
        conn.commit()
        with app.app_context():
            # What ingest keeps up to date as items arrive, computed once for the load.
            activity_weeks.rebuild()
            db.session.execute(booklet_volume_update())
            db.session.commit()
            db.engine.dispose()
        indexed = time.perf_counter()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        conn.autocommit = False
        figures = {
            "arguments": arguments, "rows": rows, "copy_s": seconds,
            "schema_s": round(schema - began, 1), "load_s": round(loaded - schema, 1),
            "index_s": round(indexed - loaded, 1),
            "analyze_s": round(time.perf_counter() - indexed, 1),
            "generation_s": round(time.perf_counter() - began, 1),
        }
        conn.execute("CREATE TABLE bench_cohort (figures json NOT NULL)")
        conn.execute("INSERT INTO bench_cohort VALUES (%s)", (json.dumps(figures),))
        conn.commit()
    print(f"cohort: {patients:,} patients generated in {figures['generation_s']} s "
          f"(load {figures['load_s']} s, indexes {figures['index_s']} s, "
          f"analyse {figures['analyze_s']} s)")
    return {**figures, "reused": False}


def restore_pristine(conn: psycopg.Connection) -> None:
    """Put the sweep's state back as generated: no flag, nothing reported,
    overdue contacts planned.

    Lets a benchmark run the first sweep of a day again on the same cohort.
    """
    conn.execute("UPDATE ergo_sessions SET safety_flag_id = NULL"
                 " WHERE safety_flag_id IS NOT NULL")
    conn.execute("UPDATE health_events SET flag_id = NULL WHERE flag_id IS NOT NULL")
    # Nothing refers to the flags any more, but the foreign key check of each deleted
    # flag would scan ergo_sessions (safety_flag_id has no index): skip the checks.
    conn.execute("SET session_replication_role = replica")
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
    """The stored cohort's figures, unless there is none or its schema is not the models'."""
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT figures FROM bench_cohort").fetchone()
            columns = set(conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'public'").fetchall())
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return None
    wanted = {(t.name, c.name) for t in db.metadata.sorted_tables for c in t.columns}
    if not wanted <= columns:
        print("the stored cohort predates the current schema: rebuilding it")
        return None
    return row[0] if row else None


def _recreate_database(url: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
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


class _Loader:
    """Writes every table of the cohort, one COPY each, ids assigned here."""

    def __init__(self, conn: psycopg.Connection, patients: int, seed: int, today: date,
                 rows: dict[str, int], seconds: dict[str, float]) -> None:
        self.conn, self.patients, self.today = conn, patients, today
        self.rows, self.seconds = rows, seconds
        self.rng = random.Random(seed)
        # The benchmark's clock: noon, Paris time, on ``today``.
        self.now = datetime.combine(today, clock_time(12), tzinfo=PARIS)
        self.yesterday = today - timedelta(days=1)
        self.physicians = -(-patients // PATIENTS_PER_PHYSICIAN)
        self.referents = -(-patients // PATIENTS_PER_REFERENT)
        self.enrolments: list[tuple[int, str, int | None, date | None, str, Story]] = []
        self.last_received: dict[int, datetime] = {}
        self.hr: dict[int, tuple[int, int, int]] = {}  # patient: rest min, rest max, ceiling
        self.items: dict[int, list[tuple[int, int]]] = {}  # enrolment: (item id, per week)
        self.overdue: list[int] = []  # contacts left planned past their window
        self._days: dict[date, tuple[str, str]] = {}
        self._timelines: dict[tuple[str, int | None, date], list[tuple[Any, ...]]] = {}

    # -- helpers ------------------------------------------------------------------------

    def copy(self, table: str, columns: tuple[str, ...],
             lines: Callable[[], Iterator[str]]) -> None:
        """COPY the text lines (tab-separated, newline-ended) into ``table``, in chunks."""
        count, began = 0, time.perf_counter()
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            chunk: list[str] = []
            for line in lines():
                chunk.append(line)
                if len(chunk) == 20_000:
                    copy.write("".join(chunk))
                    count += len(chunk)
                    chunk.clear()
            copy.write("".join(chunk))
            count += len(chunk)
        self.rows[table] = count
        self.seconds[table] = round(time.perf_counter() - began, 1)

    def day_text(self, day: date) -> tuple[str, str]:
        """``day`` as COPY text and its UTC offset in Paris (no session near 2-3 am)."""
        text = self._days.get(day)
        if text is None:
            seconds = PARIS.utcoffset(datetime.combine(day, clock_time(12)))
            text = self._days[day] = (day.isoformat(),
                                      f"+{int(seconds.total_seconds()) // 3600:02d}")
        return text

    def stamp(self, day: date, minutes: int) -> str:
        """A local instant on ``day`` (minutes after midnight) as COPY text with its offset."""
        text, offset = self.day_text(day)
        return f"{text} {CLOCK[minutes]}{offset}"

    def timeline(self, template: ProgrammeTemplate, weeks: int | None,
                 start: date) -> list[tuple[Any, ...]]:
        """The enrolment's contacts as COPY fields, computed once per template and start day."""
        key = (template.code, weeks, start)
        if key not in self._timelines:
            self._timelines[key] = [
                (c.key, c.kind.value, c.phase.value, c.channel.value,
                 NULL if c.week is None else str(c.week), NULL if c.month is None else str(c.month),
                 c.due_at, c.window_opens, c.window_closes)
                for c in build_timeline(template, start, PARIS)]
        return self._timelines[key]

    # -- tables -------------------------------------------------------------------------

    def load(self) -> None:
        """Every table, parents first."""
        self.copy("users", ("id", "email", "full_name", "role", "password_hash", "active",
                            "locale", "failed_logins", "created_at"), self.users)
        self.copy("patients", ("id", "first_name", "last_name", "birth_date", "sex", "phone",
                               "email", "external_ref", "referent_id", "physician_id",
                               "hr_rest_min", "hr_rest_max", "hr_ceiling", "created_at"),
                  self.patient_rows)
        self.copy("booklet_items", ("id", "enrolment_id", "code", "title_fr", "title_en",
                                    "description_fr", "repetitions", "sets", "per_week",
                                    "active"), self.booklet_items)
        self.copy("prescriptions", ("id", "enrolment_id", "from_week", "session_minutes",
                                    "modality", "sessions_min", "sessions_max",
                                    "hr_target_high", "created_by_id", "created_at"),
                  self.prescriptions)
        self.conn.execute("CREATE TABLE bench_overdue_contacts (id integer PRIMARY KEY)")
        self.copy("scheduled_contacts", ("id", "enrolment_id", "key", "kind", "phase",
                                         "channel", "week", "month", "due_at", "window_opens",
                                         "window_closes", "status", "attempts", "done_at",
                                         "recorded_by_id", "outcome"), self.contacts)
        with self.conn.cursor() as cur, cur.copy("COPY bench_overdue_contacts FROM STDIN") as cp:
            cp.write("".join(f"{i}\n" for i in self.overdue))
        self.copy("ergo_sessions", ("id", "client_id", "payload_digest", "received_at",
                                    "patient_id", "enrolment_id", "started_at", "day",
                                    "duration_s", "watts", "distance_km", "hr_rest", "hr_mean",
                                    "hr_max", "dyspnoea", "effort", "pain_eva", "source",
                                    "hr_sample_count"), self.sessions)
        self.copy("booklet_entries", ("id", "client_id", "payload_digest", "received_at",
                                      "patient_id", "enrolment_id", "item_id", "day", "status",
                                      "pain_eva"), self.booklet_entries)
        self.copy("health_events", ("id", "client_id", "payload_digest", "received_at",
                                    "patient_id", "enrolment_id", "kind", "occurred_on",
                                    "description", "warning_signs"), self.health_events)
        # Enrolments last: last_received_at is known once everything the tablet sent is.
        self.copy("enrolments", ("id", "patient_id", "programme_code", "state",
                                 "referral_source", "intervention_weeks", "dossier",
                                 "requested_at", "dossier_completed_at", "validated_at",
                                 "validated_by_id", "consent_at", "start_date", "ended_at",
                                 "end_reason", "last_received_at"), self.enrolment_rows)

    def users(self) -> Iterator[str]:
        password = hash_password(STAFF_PASSWORD)
        created = self.stamp(self.today - timedelta(days=400), 9 * 60)
        yield f"1\tcoordinator@bench.test\tCoordination\t{Role.COORDINATOR}\t{password}" \
              f"\tt\tfr\t0\t{created}\n"
        for n in range(1, self.physicians + 1):
            yield f"{1 + n}\tphysician{n}@bench.test\tDr Médecin {n}\t{Role.PHYSICIAN}" \
                  f"\t{password}\tt\tfr\t0\t{created}\n"
        for n in range(1, self.referents + 1):
            yield f"{self.referent_id(n - 1)}\treferent{n}@bench.test\tRéférent {n}" \
                  f"\t{Role.REFERENT}\t{password}\tt\tfr\t0\t{created}\n"

    def referent_id(self, index: int) -> int:
        """User id of the ``index``-th referent (0-based); coordinator and physicians first."""
        return 2 + self.physicians + index

    def patient_rows(self) -> Iterator[str]:
        rng = self.rng
        for pid in range(1, self.patients + 1):
            birth = date(1940 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28))
            rest_min = 50 + rng.randrange(11)
            rest_max = 90 + rng.randrange(11)
            ceiling = 110 + rng.randrange(31)
            referent = self.referent_id((pid - 1) // PATIENTS_PER_REFERENT)
            physician = 2 + (pid - 1) // PATIENTS_PER_PHYSICIAN
            self.draw_enrolment(pid)
            created = self.enrolments[-1][3] or self.today - timedelta(days=rng.randrange(20))
            yield (f"{pid}\t{rng.choice(FIRST_NAMES)}\t{rng.choice(LAST_NAMES)}\t{birth}"
                   f"\t{'FM'[rng.randrange(2)]}\t06{pid:08d}\tpatient{pid}@bench.test"
                   f"\tIPP{pid:08d}\t{referent}\t{physician}\t{rest_min}\t{rest_max}"
                   f"\t{ceiling}\t{self.stamp(created - timedelta(days=21), 10 * 60)}\n")
            self.hr[pid] = (rest_min, rest_max, ceiling)

    def draw_enrolment(self, pid: int) -> None:
        """State, programme, start day and the patient's story (kept for the later tables)."""
        rng = self.rng
        code = RESPIRATORY.code if rng.random() < 0.6 else LOW_BACK_PAIN.code
        weeks = 10 if code == RESPIRATORY.code and rng.random() < 0.05 else None
        draw = rng.random()
        if draw < 0.02:
            state, start = EnrolmentState.REQUESTED, None
        elif draw < 0.05:
            state = EnrolmentState.COMPLETED
            start = self.today - timedelta(days=364 + 1 + rng.randrange(60))
        else:
            start = self.today - timedelta(days=rng.randrange(364))
            template = get_template(code, weeks)
            in_intervention = (self.today - start).days < 7 * template.intervention_weeks
            state = EnrolmentState.ACTIVE if in_intervention else EnrolmentState.FOLLOW_UP
        profile = rng.choices(("steady", "drifting", "stopped", "irregular"),
                              (0.79, 0.10, 0.06, 0.05))[0]
        change = self.today - timedelta(days=(7 + rng.randrange(50)) if profile == "drifting"
                                        else (2 + rng.randrange(44)))
        compliance = 0.1 + 0.35 * rng.random() if rng.random() < 0.1 else 0.55 + 0.45 * rng.random()
        story = Story(profile, change, compliance, rng.random() < 0.03, rng.random() < 0.07)
        self.enrolments.append((pid, code, weeks, start, state, story))

    def running(self) -> Iterator[tuple[int, ProgrammeTemplate, int | None, date, str, Story]]:
        """Started enrolments (running and completed) with their template."""
        for pid, code, weeks, start, state, story in self.enrolments:
            if start is not None:
                yield pid, get_template(code, weeks), weeks, start, state, story

    def booklet_items(self) -> Iterator[str]:
        item = 0
        for pid, template, _weeks, _start, _state, _story in self.running():
            self.items[pid] = []
            for e in template.booklet:
                item += 1
                self.items[pid].append((item, e.per_week))
                yield (f"{item}\t{pid}\t{e.code}\t{e.title_fr}\t{e.title_en}\t{e.description_fr}"
                       f"\t{e.repetitions}\t{e.sets}\t{e.per_week}\tt\n")

    def prescriptions(self) -> Iterator[str]:
        for n, (pid, template, _weeks, start, _state, _story) in enumerate(self.running(), 1):
            yield (f"{n}\t{pid}\t1\t{template.default_session_minutes}"
                   f"\t{template.default_modality}\t{template.sessions_per_week_min}"
                   f"\t{template.sessions_per_week_max}\t{self.hr[pid][2]}\t1"
                   f"\t{self.stamp(start, 9 * 60)}\n")

    def contacts(self) -> Iterator[str]:
        """The timeline; past contacts mostly done, a few missed or still planned past due."""
        rng, now, ident = self.rng, self.now, 0
        planned, done = ContactStatus.PLANNED.value, ContactStatus.DONE.value
        for pid, template, weeks, start, state, story in self.running():
            referent = self.referent_id((pid - 1) // PATIENTS_PER_REFERENT)
            contacts = list(self.timeline(template, weeks, start))
            dates = programme_dates(template, start)
            # A few follow-up patients already had a reinforcement visit (month 4).
            visit = dates.follow_up_start + timedelta(days=95)
            if story.profile == "drifting" and rng.random() < 0.3 and visit < self.yesterday:
                contacts += [(c.key, c.kind.value, c.phase.value, c.channel.value,
                              NULL if c.week is None else str(c.week), NULL, c.due_at,
                              c.window_opens, c.window_closes)
                             for c in reinforcement_contacts(template, start, visit, PARIS)]
            for key, kind, phase, channel, week, month, due, opens, closes in contacts:
                ident += 1
                status, attempts, done_at, recorded, outcome = planned, 0, NULL, NULL, NULL
                if closes <= now or (due <= now and rng.random() < 0.5):
                    draw = rng.random()
                    if closes <= now and draw < 0.004:
                        self.overdue.append(ident)  # left planned: the sweep marks it missed
                    elif closes <= now and draw < 0.014:
                        status, attempts = ContactStatus.MISSED.value, 3
                    else:
                        status, attempts, recorded = done, 1, str(referent)
                        done_at = (due + timedelta(minutes=rng.randrange(240))).isoformat()
                        outcome = '{"reached": true}'
                if status == planned and state == EnrolmentState.COMPLETED:
                    status = ContactStatus.CANCELLED.value  # as ending an enrolment does
                if kind == ContactKind.REINFORCEMENT_VISIT.value:
                    status, attempts, recorded = done, 1, str(referent)
                    done_at, outcome = due.isoformat(), '{"reached": true}'
                yield (f"{ident}\t{pid}\t{key}\t{kind}\t{phase}\t{channel}\t{week}\t{month}"
                       f"\t{due.isoformat()}\t{opens.isoformat()}\t{closes.isoformat()}"
                       f"\t{status}\t{attempts}\t{done_at}\t{recorded}\t{outcome}\n")

    def weekly_count(self, template: ProgrammeTemplate, story: Story, week: int,
                     week_start: date) -> int:
        """Sessions the patient does in one programme week, as their story tells."""
        rng = self.rng
        if week <= template.intervention_weeks:
            low, high = template.sessions_per_week_min, template.sessions_per_week_max
        else:
            low = RULES[template.code].follow_up_min_sessions
            high = low + 2 if template.code == RESPIRATORY.code else low + 1
        if story.profile == "irregular":
            return rng.randint(0, high)
        count = rng.randint(low, high)
        draw = rng.random()
        if draw < 0.005:
            count = 0
        elif draw < 0.045:
            count = low - 1
        if story.profile == "drifting" and week_start + timedelta(days=6) >= story.change_day:
            lost = (week_start - story.change_day).days // 7 + 2
            count = max(0, min(count, high - lost))
        return count

    def sessions(self) -> Iterator[str]:
        rng, yesterday, ident = self.rng, self.yesterday, 0
        rand = rng.random
        for pid, template, _weeks, start, state, story in self.running():
            rest_min, rest_max, ceiling = self.hr[pid]
            hr_prone, symptomatic = story.hr_prone, story.symptomatic
            respiratory = template.code == RESPIRATORY.code
            last_day = yesterday
            if state == EnrolmentState.COMPLETED:
                last_day = programme_dates(template, start).end
            if story.profile == "stopped":
                last_day = min(last_day, story.change_day)
            # Pain EVA or dyspnoea of the first weeks; a baseline of 6 would put a third of
            # the sessions at the "high dyspnoea" threshold of 7.
            baseline = (2 if respiratory else 3) + rng.randrange(4)
            received: date | None = None
            week = 0
            while True:
                week += 1
                week_start = start + timedelta(days=7 * (week - 1))
                if week_start > last_day:
                    break
                count = self.weekly_count(template, story, week, week_start)
                recent = (yesterday - week_start).days < 21
                for offset in sorted(rng.sample(range(7), count)):
                    day = week_start + timedelta(days=offset)
                    if day > last_day:
                        break
                    ident += 1
                    received = day
                    # int(rand() * n) rather than randrange: a third of the generation time.
                    minute = 480 + int(rand() * 660)
                    duration = 15 + int(rand() * 21)
                    watts = 30 + int(rand() * 60)
                    hr_rest = rest_min + 5 + int(rand() * (rest_max - rest_min - 9))
                    hr_max = ceiling - 5 - int(rand() * 20)
                    if (hr_prone and recent and rand() < 0.15) or rand() < 0.0002:
                        hr_max = ceiling + 1 + int(rand() * 12)
                    dyspnoea = pain = NULL
                    if respiratory:
                        score = baseline - 1 + int(rand() * 3)
                        if symptomatic and recent and rand() < 0.6:
                            score = 7 + int(rand() * 3)
                        dyspnoea = str(score)
                    else:
                        drift = 3 if symptomatic and recent else -min(2, week // 8)
                        pain = str(min(10, max(0, baseline + drift - 1 + int(rand() * 3))))
                    text, offset = self.day_text(day)
                    yield (f"{ident}\t{ident:032x}\t{ident:064x}"
                           f"\t{text} {CLOCK[minute + duration + 5]}{offset}\t{pid}\t{pid}"
                           f"\t{text} {CLOCK[minute]}{offset}\t{text}\t{60 * duration}"
                           f"\t{watts}\t{watts * duration / 120:.1f}\t{hr_rest}\t{hr_max - 15}"
                           f"\t{hr_max}\t{dyspnoea}\t{3 + int(rand() * 5)}\t{pain}"
                           f"\t{'device' if rand() < 0.9 else 'manual'}\t0\n")
            if received is not None:
                self.note_received(pid, received, 20 * 60)

    def note_received(self, pid: int, day: date, minute: int) -> None:
        """Keep the latest instant the tablet sent something for ``pid``."""
        instant = datetime.combine(day, clock_time(minute // 60, minute % 60), tzinfo=PARIS)
        if pid not in self.last_received or self.last_received[pid] < instant:
            self.last_received[pid] = instant

    def booklet_entries(self) -> Iterator[str]:
        rng, ident = self.rng, 0
        first = self.today - timedelta(days=BOOKLET_DAYS)
        statuses = (BookletStatus.DONE.value, BookletStatus.PARTIAL.value,
                    BookletStatus.NOT_DONE.value)
        for pid, template, _weeks, start, state, story in self.running():
            if state == EnrolmentState.COMPLETED:
                continue
            last_day = self.yesterday
            if story.profile == "stopped":
                last_day = min(last_day, story.change_day)
            respiratory = template.code == RESPIRATORY.code
            compliance = story.booklet_compliance
            if state == EnrolmentState.FOLLOW_UP:
                compliance *= 0.7
            week_start = start + timedelta(days=7 * max(0, (first - start).days // 7))
            latest: date | None = None
            while week_start <= last_day:
                days = [week_start + timedelta(days=d) for d in range(7)]
                days = [d for d in days if first <= d <= last_day]
                for item, per_week in self.items[pid]:
                    wanted = per_week * compliance * (0.8 + 0.4 * rng.random())
                    count = min(len(days), round(wanted))
                    for day in rng.sample(days, count):
                        ident += 1
                        latest = day if latest is None or day > latest else latest
                        status = rng.choices(statuses, (0.85, 0.12, 0.03))[0]
                        pain = NULL if respiratory or rng.random() < 0.5 else str(rng.randrange(8))
                        yield (f"{ident}\t{0x10 << 120 | ident:032x}\t{ident:064x}"
                               f"\t{self.stamp(day, 19 * 60)}\t{pid}\t{pid}\t{item}\t{day}"
                               f"\t{status}\t{pain}\n")
                week_start += timedelta(days=7)
            if latest is not None:
                self.note_received(pid, latest, 19 * 60)

    def health_events(self) -> Iterator[str]:
        """A few events from the last two weeks that no flag reported yet."""
        rng, ident = self.rng, 0
        for pid, template, _weeks, start, state, _story in self.running():
            if state == EnrolmentState.COMPLETED or rng.random() >= 0.015:
                continue
            ident += 1
            day = max(start, self.today - timedelta(days=1 + rng.randrange(14)))
            kind = rng.choice(EVENT_KINDS)
            signs = '["fever"]' if template.code == LOW_BACK_PAIN.code and rng.random() < 0.2 \
                else "[]"
            self.note_received(pid, day, 18 * 60)
            yield (f"{ident}\t{0x20 << 120 | ident:032x}\t{ident:064x}"
                   f"\t{self.stamp(day, 18 * 60)}\t{pid}\t{pid}\t{kind}\t{day}"
                   f"\tDéclaré depuis la tablette\t{signs}\n")

    def enrolment_rows(self) -> Iterator[str]:
        dossier = '{"prescription": true, "spirometry": true, "blood_gas": true,' \
                  ' "exercise_test": true}'
        for pid, code, weeks, start, state, _story in self.enrolments:
            physician = 2 + (pid - 1) // PATIENTS_PER_PHYSICIAN
            requested = (start or self.today) - timedelta(days=21)
            if start is None:
                yield (f"{pid}\t{pid}\t{code}\t{state}\tgp\t{NULL}\t{{}}"
                       f"\t{self.stamp(requested, 9 * 60)}\t{NULL}\t{NULL}\t{NULL}\t{NULL}"
                       f"\t{NULL}\t{NULL}\t{NULL}\t{NULL}\n")
                continue
            ended = end_reason = NULL
            if state == EnrolmentState.COMPLETED:
                end = programme_dates(get_template(code, weeks), start).end
                ended, end_reason = self.stamp(end, 17 * 60), "programme completed"
            last = self.last_received.get(pid)
            yield (f"{pid}\t{pid}\t{code}\t{state}\tgp\t{NULL if weeks is None else weeks}"
                   f"\t{dossier}\t{self.stamp(requested, 9 * 60)}"
                   f"\t{self.stamp(requested + timedelta(days=7), 9 * 60)}"
                   f"\t{self.stamp(requested + timedelta(days=14), 9 * 60)}\t{physician}"
                   f"\t{self.stamp(start, 9 * 60)}\t{start}\t{ended}\t{end_reason}"
                   f"\t{NULL if last is None else last.astimezone(UTC).isoformat()}\n")


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
