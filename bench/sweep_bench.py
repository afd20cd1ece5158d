"""Sweep benchmark: the daily sweep over a full cohort against one hand-written SQL query.

Builds (or reuses) the cohort of ``bench/cohort.py`` in PostgreSQL
(BENCH_SWEEP_URL, default a ``reprise_bench_sweep`` database on 127.0.0.1),
then, in the same process:

1. times a hand-written query computing the weekly adherence counts the sweep
   judges (sessions per enrolment and programme week over the last four weeks,
   for every running enrolment, from the raw sessions), ``--runs`` times, and
   keeps the median; likewise the sweep's own read of the active file;
2. ``--runs`` rounds, each: put the flags state back as generated and time
   ``sweep(today)``, the first sweep of the day, which opens the flags of the
   whole file; time ``sweep(today)`` again (it must change nothing); time the
   next day's sweep, the daily case, where silences grow by a day, some
   enrolments start a new week and more contact windows close (no new data
   arrives in between); then put the state back again and time a COPY of the
   rows the first sweep wrote (flags, their history, the e-mails) into the
   same tables, in a transaction rolled back. The same day and the next day
   judge what changed and what the day moved on (``sweep_scope``); the next
   day is also timed judging the whole file, as the week's full sweep does
   (from the same state: the first sweep is run again, untimed, before it).
   After a first sweep the tables it rewrote are analysed, untimed, as
   autovacuum would do long before the next day.

Each sweep is paired with a run of the query just before it: this machine's
speed drifts, and a ratio of two timings taken together drifts less.

Targets (issues 3 and 15): the daily sweep, the same day again and the next
day, at most twice the query; the first sweep over a file with no flags at
most 1.5 times the query plus the COPY of the rows it writes; each under 60 s.
Ratios are printed as the median of the rounds with their range.

    .venv/bin/python bench/sweep_bench.py [--patients 100000] [--runs 3] [--rebuild]
        [--profile first|again|next]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cohort import (  # noqa: E402  (bench/ is the script's own directory)
    DEFAULT_TODAY,
    DEFAULT_URL,
    build_cohort,
    keep_pristine_until,
    restore_pristine,
    sqlalchemy_url,
)

from server import create_app  # noqa: E402
from server.clock import FixedClock  # noqa: E402
from server.extensions import db  # noqa: E402
from server.services.row_stream import stream_rows  # noqa: E402
from server.services.sweep import SweepSummary, sweep  # noqa: E402
from server.services.sweep_read import active_file  # noqa: E402
from shared.enums import EnrolmentState  # noqa: E402
from shared.rules import LOOKBACK_DAYS  # noqa: E402

# The weekly adherence counts the sweep judges, written by hand over the raw sessions:
# sessions per running enrolment and programme week (1 on the start day) over the last
# four weeks. (The sweep itself reads them from ``activity_weeks``, kept at ingest.)
WEEKLY_COUNTS = """
SELECT s.enrolment_id, (s.day - e.start_date) / 7 + 1 AS week, count(*) AS sessions
FROM ergo_sessions s
JOIN enrolments e ON e.id = s.enrolment_id
WHERE e.state IN (%(active)s, %(follow_up)s) AND e.start_date <= %(today)s
  AND s.day BETWEEN %(since)s AND %(today)s
GROUP BY s.enrolment_id, week
"""
TARGET_RATIO = 2.0
TARGET_FIRST_RATIO = 1.5
TARGET_SECONDS = 60.0
# What the first sweep writes in bulk, copied back by the baseline of its target.
WRITTEN_TABLES = ("flags", "flag_events", "notifications")


def time_query(url: str, today: date, runs: int) -> tuple[list[float], int]:
    """Seconds of each run of the hand-written query (rows fetched), and its row count."""
    params = {"active": EnrolmentState.ACTIVE.value, "follow_up": EnrolmentState.FOLLOW_UP.value,
              "today": today, "since": today - timedelta(days=LOOKBACK_DAYS)}
    timings, count = [], 0
    with psycopg.connect(url) as conn:
        for _ in range(runs):
            began = time.perf_counter()
            count = len(conn.execute(WEEKLY_COUNTS, params).fetchall())
            timings.append(time.perf_counter() - began)
    return timings, count


def time_sweep_read(today: date, runs: int) -> list[float]:
    """Seconds of each run of the sweep's read of the active file (rows streamed), as it runs it.

    One row per running enrolment with its patient's limits and its last weeks'
    figures: what the rules need, less the rare unsafe sessions and new events.
    """
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        list(stream_rows(db.session, active_file(today, None)))
        timings.append(time.perf_counter() - began)
        db.session.rollback()
    return timings


def time_sweep(today: date, profile: bool, full: bool = False) -> tuple[float, SweepSummary]:
    """Seconds of one ``sweep(today)`` (committed), and its summary; cProfile it if asked."""
    db.session.execute(text("SELECT 1"))  # connect before the clock starts, as the query did
    db.session.commit()
    profiler = cProfile.Profile() if profile else None
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    summary = sweep(today, full=full)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - began
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(25)
    return elapsed, summary


@dataclass(frozen=True)
class Paired:
    """One sweep and the run of the hand-written query just before it."""

    query_s: float
    sweep_s: float
    summary: SweepSummary

    @property
    def ratio(self) -> float:
        """The sweep's time over the query's."""
        return self.sweep_s / self.query_s

    def line(self) -> str:
        """The pair in one line of the report."""
        return (f"{self.sweep_s:.2f} s, query just before {self.query_s:.2f} s: "
                f"{self.ratio:.1f}x; {counts(self.summary)}")


def paired(url: str, day: date, profile: bool, full: bool = False) -> Paired:
    """Time the query for ``day``, then ``sweep(day)``."""
    query_s = time_query(url, day, 1)[0][0]
    sweep_s, summary = time_sweep(day, profile, full)
    return Paired(query_s, sweep_s, summary)


def export_written(conn: psycopg.Connection) -> dict[str, bytes]:
    """The rows of ``WRITTEN_TABLES``, as COPY text."""
    rows = {}
    for table in WRITTEN_TABLES:
        with conn.cursor().copy(f"COPY {table} TO STDOUT") as copy:
            rows[table] = b"".join(bytes(chunk) for chunk in copy)
    conn.commit()
    return rows


def time_copy(conn: psycopg.Connection, rows: dict[str, bytes]) -> float:
    """Seconds to COPY ``rows`` into their tables (emptied by ``restore_pristine``), their
    indexes and foreign keys maintained; rolled back after, to leave the state as generated."""
    began = time.perf_counter()
    for table in WRITTEN_TABLES:
        with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            copy.write(rows[table])
    elapsed = time.perf_counter() - began
    conn.rollback()
    return elapsed


def settle(url: str) -> None:
    """Analyse the tables a first sweep rewrote, as autovacuum does within a minute: the
    next sweeps otherwise run on statistics saying every health event awaits reporting."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE health_events, scheduled_contacts, flags, flag_events")


def spread(values: list[float]) -> str:
    """The median of ``values`` and their range."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def counts(summary: SweepSummary) -> str:
    """What one sweep did, in a line."""
    return (f"{summary.patients_examined:,} examined, {summary.flags_opened:,} opened, "
            f"{summary.flags_updated:,} updated, {summary.flags_closed:,} closed, "
            f"{summary.contacts_missed:,} contacts missed, {summary.escalated:,} escalated")


def verdict(ok: bool) -> str:
    """How a target reads in the report."""
    return "met" if ok else "NOT met"


@dataclass(frozen=True)
class Round:
    """One round: the first sweep of the day, again, the next day, the next day judging the
    whole file (as one day in seven does), and the COPY baseline."""

    first: Paired
    again: Paired
    next_day: Paired
    next_day_full: Paired
    copy_s: float

    @property
    def first_ratio(self) -> float:
        """The first sweep over the query plus the COPY of the rows it writes."""
        return self.first.sweep_s / (self.first.query_s + self.copy_s)


def sweep_round(url: str, clock: FixedClock, today: date, profile: str | None) -> Round:
    """Sweep ``today`` twice from the generated state, then tomorrow; time the COPY baseline.

    ``profile`` names the sweep to run under cProfile (first, again or next), if any.
    """
    tomorrow = today + timedelta(days=1)
    with psycopg.connect(url) as conn:
        restore_pristine(conn)
    clock.set(FixedClock.on_day(today).now())
    first = paired(url, today, profile == "first")
    with psycopg.connect(url) as conn:
        written = export_written(conn)
    settle(url)
    again = paired(url, today, profile == "again")
    clock.set(FixedClock.on_day(tomorrow).now())
    next_day = paired(url, tomorrow, profile == "next")
    # The same next day, when it is the week's full sweep: from the same state.
    db.session.remove()
    with psycopg.connect(url) as conn:
        restore_pristine(conn)
    clock.set(FixedClock.on_day(today).now())
    sweep(today)
    settle(url)
    clock.set(FixedClock.on_day(tomorrow).now())
    next_day_full = paired(url, tomorrow, False, full=True)
    db.session.remove()
    with psycopg.connect(url) as conn:
        restore_pristine(conn)
        copy_s = time_copy(conn, written)
    return Round(first, again, next_day, next_day_full, copy_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of the hand-written query and of the read; rounds of sweeps")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cohort")
    parser.add_argument("--profile", choices=("first", "again", "next"),
                        help="cProfile this sweep of the first round")
    args = parser.parse_args()
    url = os.environ.get("BENCH_SWEEP_URL", DEFAULT_URL)
    today = DEFAULT_TODAY
    load_before = os.getloadavg()
    cohort: dict[str, Any] = build_cohort(url, args.patients, args.seed, today, args.rebuild)

    timings, weeks = time_query(url, today, args.runs)
    query_s = statistics.median(timings)

    clock = FixedClock.on_day(today)
    with psycopg.connect(url) as conn:
        restore_pristine(conn)
        keep_pristine_until(conn, FixedClock.on_day(today + timedelta(days=1)).now())
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "bench"},
                     clock=clock)
    with app.app_context():
        read_s = statistics.median(time_sweep_read(today, args.runs))
        rounds = [sweep_round(url, clock, today, args.profile if i == 0 else None)
                  for i in range(args.runs)]
        db.engine.dispose()

    rows = cohort["rows"]
    print(f"cohort: {args.patients:,} patients, {rows['ergo_sessions']:,} sessions, "
          f"{rows['booklet_entries']:,} booklet entries, {rows['scheduled_contacts']:,} contacts"
          f" ({'reused; ' if cohort['reused'] else ''}generated in {cohort['generation_s']} s)"
          f", PostgreSQL, as of {today}")
    print(f"machine load (1, 5, 15 min) {', '.join(f'{x:.1f}' for x in load_before)} at the "
          f"start, {', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end, "
          f"{os.cpu_count()} CPUs")
    print(f"hand-written weekly counts query: median {query_s:.2f} s over {args.runs} runs "
          f"({', '.join(f'{t:.2f}' for t in timings)}), {weeks:,} enrolment-weeks")
    print(f"the sweep's read of the active file (one row per running enrolment, its limits "
          f"and weekly figures): median {read_s:.2f} s, {read_s / query_s:.1f}x the query")
    for i, r in enumerate(rounds, 1):
        print(f"round {i}, first sweep: {r.first.line()}")
        print(f"round {i}, COPY of the {r.first.summary.flags_opened:,} flags, their history "
              f"and e-mails it wrote: {r.copy_s:.2f} s; first sweep "
              f"{r.first_ratio:.2f}x the query + the COPY")
        print(f"round {i}, same day again: {r.again.line()}")
        print(f"round {i}, next day: {r.next_day.line()}")
        print(f"round {i}, next day judging the whole file: {r.next_day_full.line()}")
    print(f"flags opened by kind: {rounds[0].first.summary.by_kind}")
    changed = any(any(r.again.summary.writes()) for r in rounds)
    print(f"sweeping the same day again changes nothing: {'yes' if not changed else 'NO'}")
    same = all(r.next_day.summary.writes() == r.next_day_full.summary.writes()
               and r.next_day.summary.by_kind == r.next_day_full.summary.by_kind
               for r in rounds)
    print("the next day judging what changed writes what judging the whole file writes: "
          f"{'yes' if same else 'NO'}")
    for label, baseline, ratios, seconds, target in (
            ("first sweep", "the query + the COPY", [r.first_ratio for r in rounds],
             [r.first.sweep_s for r in rounds], TARGET_FIRST_RATIO),
            ("same day again", "the query", [r.again.ratio for r in rounds],
             [r.again.sweep_s for r in rounds], TARGET_RATIO),
            ("next day", "the query", [r.next_day.ratio for r in rounds],
             [r.next_day.sweep_s for r in rounds], TARGET_RATIO),
            ("next day, the week's full sweep", "the query",
             [r.next_day_full.ratio for r in rounds], [r.next_day_full.sweep_s for r in rounds],
             TARGET_RATIO)):
        ratio = statistics.median(ratios)
        print(f"{label}: {spread(ratios)}x {baseline} (median, range over {len(rounds)} "
              f"rounds), {spread(seconds)} s; targets: <= {target}x {verdict(ratio <= target)},"
              f" < {TARGET_SECONDS:.0f} s {verdict(max(seconds) < TARGET_SECONDS)}")


if __name__ == "__main__":
    main()
