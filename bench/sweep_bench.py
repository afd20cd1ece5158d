"""Sweep benchmark: the daily sweep over a full cohort against one hand-written SQL query.

Builds (or reuses) the cohort of ``bench/cohort.py`` in PostgreSQL
(BENCH_SWEEP_URL, default a ``reprise_bench_sweep`` database on 127.0.0.1),
then, in the same process:

1. times a hand-written query computing the weekly adherence counts the sweep
   judges (sessions per enrolment and programme week over the last four weeks,
   for every running enrolment, from the raw sessions), ``--runs`` times, and
   keeps the median; likewise the sweep's own read of the active file;
2. puts the flags state back as generated and times ``sweep(today)``: the
   first sweep of the day, which opens the flags of the whole file;
3. times ``sweep(today)`` again, ``--runs`` times: it must change nothing
   (idempotent);
4. times the next day's sweep: the daily case, where silences grow by a day,
   some enrolments start a new week and more contact windows close (no new
   data arrives in between).

Each sweep is paired with a run of the query just before it, and compared
with it (for the same-day runs, the median of the ratios).

Targets (issue 3): the sweep takes at most twice the hand-written query and
under 60 s.

    .venv/bin/python bench/sweep_bench.py [--patients 100000] [--rebuild] [--profile]
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
TARGET_SECONDS = 60.0


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
    """Seconds of each run of the sweep's read of the active file (rows fetched), as it runs it.

    One row per running enrolment with its patient's limits and its last weeks'
    figures: what the rules need, less the rare unsafe sessions and new events.
    """
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        db.session.connection().execute(active_file(today, None)).all()
        timings.append(time.perf_counter() - began)
        db.session.rollback()
    return timings


def time_sweep(today: date, profile: bool) -> tuple[float, SweepSummary]:
    """Seconds of one ``sweep(today)`` (committed), and its summary; cProfile it if asked."""
    db.session.execute(text("SELECT 1"))  # connect before the clock starts, as the query did
    db.session.commit()
    profiler = cProfile.Profile() if profile else None
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    summary = sweep(today)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - began
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
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


def paired(url: str, day: date, profile: bool) -> Paired:
    """Time the query for ``day``, then ``sweep(day)``."""
    query_s = time_query(url, day, 1)[0][0]
    sweep_s, summary = time_sweep(day, profile)
    return Paired(query_s, sweep_s, summary)


def counts(summary: SweepSummary) -> str:
    """What one sweep did, in a line."""
    return (f"{summary.patients_examined:,} examined, {summary.flags_opened:,} opened, "
            f"{summary.flags_updated:,} updated, {summary.flags_closed:,} closed, "
            f"{summary.contacts_missed:,} contacts missed, {summary.escalated:,} escalated")


def verdict(ok: bool) -> str:
    """How a target reads in the report."""
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of the hand-written query, of the read and of the next sweeps")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cohort")
    parser.add_argument("--profile", action="store_true", help="cProfile the first sweep")
    args = parser.parse_args()
    url = os.environ.get("BENCH_SWEEP_URL", DEFAULT_URL)
    today = DEFAULT_TODAY
    cohort: dict[str, Any] = build_cohort(url, args.patients, args.seed, today, args.rebuild)

    timings, weeks = time_query(url, today, args.runs)
    query_s = statistics.median(timings)

    clock = FixedClock.on_day(today)
    tomorrow = today + timedelta(days=1)
    with psycopg.connect(url) as conn:
        restore_pristine(conn)
        keep_pristine_until(conn, FixedClock.on_day(tomorrow).now())
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "bench"},
                     clock=clock)
    with app.app_context():
        read_s = statistics.median(time_sweep_read(today, args.runs))
        # Each sweep is paired with a run of the query just before it: this machine's
        # speed drifts, and a ratio of two timings taken together drifts less.
        first = paired(url, today, args.profile)
        again = [paired(url, today, False) for _ in range(args.runs)]
        clock.set(FixedClock.on_day(tomorrow).now())
        next_day = paired(url, tomorrow, False)
        db.engine.dispose()

    rows = cohort["rows"]
    print(f"cohort: {args.patients:,} patients, {rows['ergo_sessions']:,} sessions, "
          f"{rows['booklet_entries']:,} booklet entries, {rows['scheduled_contacts']:,} contacts"
          f" ({'reused; ' if cohort['reused'] else ''}generated in {cohort['generation_s']} s)"
          f", PostgreSQL, as of {today}")
    print(f"hand-written weekly counts query: median {query_s:.2f} s over {args.runs} runs "
          f"({', '.join(f'{t:.2f}' for t in timings)}), {weeks:,} enrolment-weeks")
    print(f"the sweep's read of the active file (one row per running enrolment, its limits "
          f"and weekly figures): median {read_s:.2f} s, {read_s / query_s:.1f}x the query")
    print(f"first sweep: {first.line()}")
    print(f"flags opened by kind: {first.summary.by_kind}")
    for run in again:
        print(f"same day again: {run.line()}")
    same_day = statistics.median(run.ratio for run in again)
    print(f"same day again, median of {args.runs}: {same_day:.1f}x the query")
    print(f"next day: {next_day.line()}")
    changed = sum(run.summary.flags_opened + run.summary.flags_updated + run.summary.flags_closed
                  + run.summary.contacts_missed + run.summary.escalated for run in again)
    print(f"sweeping the same day again changes nothing: {'yes' if changed == 0 else 'NO'}")
    for label, ratio, seconds in (
            ("first sweep", first.ratio, first.sweep_s),
            ("same day again", same_day, max(run.sweep_s for run in again)),
            ("next day", next_day.ratio, next_day.sweep_s)):
        print(f"targets, {label}: <= {TARGET_RATIO:.0f}x the query "
              f"{verdict(ratio <= TARGET_RATIO)}, < {TARGET_SECONDS:.0f} s "
              f"{verdict(seconds < TARGET_SECONDS)}")


if __name__ == "__main__":
    main()
