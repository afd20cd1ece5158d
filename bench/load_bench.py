"""Load benchmark: 500 tablets syncing and 20 staff browsing against `reprise serve` on PostgreSQL.

Uses the cohort of ``bench/cohort.py`` (100,000 patients, built once; BENCH_WEB_URL,
else BENCH_SWEEP_URL). ``reprise serve`` runs in a second process (gunicorn,
``--workers`` x ``--threads``, the clock pinned to the cohort's day); everything is on
127.0.0.1. The run is bounded in count and time:

- ``--tablets`` patients' tablets (device tokens issued for the run), each doing one
  sync as the app does it: send one ergocycle session (a new UUID, so a real
  insert), then fetch its plan, progress and messages. By default their syncs
  start at evenly spaced instants over ``--tablet-window`` seconds (60: every
  tablet of the 500 syncing in the same minute, a morning's worst peak), whether
  or not the server keeps up (a sync that starts over a second late is counted);
  ``--tablet-window 0`` sends them back to back from ``--tablet-clients`` threads;
- ``--staff`` referents logged in through the form, each opening ``--pages`` pages
  in turn (their work queue, then their patients' files), ``--think`` seconds
  apart (2: a quick reader), each starting at their own instant within the first
  ``--think`` seconds; ``--think 0`` is no pause at all.

Both groups run at the same time. The script prints, for each group and each
kind of request, the count, the errors (anything but 2xx), the requests per second
and p50/p95/p99. Goal (issue 13): 0 errors, staff pages p95 < 300 ms.
``--tablet-window 0 --think 0`` is the saturation run: 36 clients with no pause
on 2 cores, shared with the server, measure capacity rather than that load.

    .venv/bin/python bench/load_bench.py [--tablets 500] [--staff 20] [--workers 3]
        [--tablet-window 60] [--think 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cohort import (  # noqa: E402  (bench/ is the script's own directory)
    DEFAULT_URL,
    STAFF_PASSWORD,
    StaffLogin,
    build_cohort,
    sqlalchemy_url,
)
from web_bench import free_port, logged_in, percentiles, serve, wait_until_up  # noqa: E402

STAFF_TARGET_P95_MS = 300.0
TIME_LIMIT_S = 300.0


class Results:
    """Latencies and errors per request kind, from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def timed(self, kind: str, call: callable) -> requests.Response | None:  # type: ignore[valid-type]
        began = time.perf_counter()
        try:
            answer = call()
            error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
        except requests.RequestException as exc:
            answer, error = None, type(exc).__name__
        elapsed = (time.perf_counter() - began) * 1000
        with self.lock:
            self.samples[kind].append(elapsed)
            if error:
                self.errors[kind].append(error)
        return answer


def issue_device_tokens(url: str, today: date, count: int) -> list[tuple[str, datetime]]:
    """Device tokens for ``count`` patients in their intervention (rows written directly),
    each with the instant its session of this run starts: 09:30 on ``today``, or a minute
    after the end of the patient's last session (an earlier run's), since a patient's
    sessions may not overlap."""
    from server import create_app
    from server.clock import FixedClock
    from server.extensions import db
    from server.models import Enrolment
    from server.services.auth import issue_token
    from shared.enums import EnrolmentState

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "bench"},
                     clock=FixedClock.on_day(today))
    with app.app_context():
        patients = db.session.scalars(
            db.select(Enrolment.patient_id).where(Enrolment.state == EnrolmentState.ACTIVE)
            .order_by(Enrolment.patient_id).limit(count)).all()
        tokens = [issue_token(patient_id=pid, label="load bench").raw for pid in patients]
        db.session.commit()
        db.engine.dispose()
    first = datetime.combine(today, clock_time(9, 30), ZoneInfo("Europe/Paris"))
    with psycopg.connect(url) as conn:
        ends = dict(conn.execute(
            "SELECT patient_id, max(started_at + duration_s * interval '1 second') "
            "FROM ergo_sessions WHERE patient_id = ANY(%s) AND started_at >= %s "
            "GROUP BY patient_id", (list(patients), first)).fetchall())
    return [(token, max(first, ends[pid] + timedelta(minutes=1)) if pid in ends else first)
            for token, pid in zip(tokens, patients, strict=True)]


def referents(url: str, count: int) -> list[tuple[StaffLogin, list[int]]]:
    """``count`` referents with their patients' ids."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT u.id, u.email, array_agg(p.id ORDER BY p.id) FROM users u "
            "JOIN patients p ON p.referent_id = u.id WHERE u.role = 'referent' "
            "GROUP BY u.id ORDER BY u.id LIMIT %s", (count,)).fetchall()
    return [(StaffLogin(id=r[0], email=r[1], password=STAFF_PASSWORD), r[2]) for r in rows]


def tablet_sync(base: str, token: str, started: datetime, results: Results) -> None:
    """One sync of a tablet: a session up, then plan, progress and messages down."""
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        session = {"id": str(uuid.uuid4()), "started_at": started.isoformat(),
                   "duration_s": 1800, "watts": 40, "distance_km": 9.5, "hr_rest": 72,
                   "hr_mean": 104, "hr_max": 121, "dyspnoea": 4, "source": "manual"}
        results.timed("tablet POST /me/sessions", lambda: http.post(
            f"{base}/api/v1/me/sessions", json={"items": [session]}, timeout=30))
        for path in ("/me/plan", "/me/progress", "/me/notifications"):
            results.timed(f"tablet GET {path}", lambda p=path: http.get(
                f"{base}/api/v1{p}", timeout=30))


def staff_browsing(base: str, session: requests.Session, patients: list[int], pages: int,
                   think: float, results: Results, stop_at: float, start_after: float) -> None:
    """A referent's morning: the queue, then their patients' files, one after the other,
    from ``start_after`` seconds on."""
    try:
        time.sleep(start_after)
        for i in range(pages):
            if time.monotonic() > stop_at:
                return
            if i and think:
                time.sleep(think)
            if i % 4 == 0:
                results.timed("staff GET /queue/", lambda: session.get(
                    f"{base}/queue/", timeout=30, allow_redirects=False))
            else:
                pid = patients[i % len(patients)]
                results.timed("staff GET /patients/<id>", lambda p=pid: session.get(
                    f"{base}/patients/{p}", timeout=30, allow_redirects=False))
    finally:
        session.close()


def run_tablets(base: str, tokens: list[tuple[str, datetime]], results: Results,
                stop_at: float, window: float, clients: int) -> int:
    """Every tablet's sync, spread over ``window`` seconds (or back to back when 0); the
    number of syncs that started over a second after their instant."""
    if not window:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(lambda tablet: tablet_sync(base, *tablet, results)
                          if time.monotonic() < stop_at else None, tokens))
        return 0
    began = time.monotonic()
    late = 0
    lock = threading.Lock()

    def at_its_instant(index: int, tablet: tuple[str, datetime]) -> None:
        nonlocal late
        instant = began + window * index / len(tokens)
        time.sleep(max(0.0, instant - time.monotonic()))
        if time.monotonic() - instant > 1.0:
            with lock:
                late += 1
        if time.monotonic() < stop_at:
            tablet_sync(base, *tablet, results)

    # Enough threads that a slow answer never delays the next tablet's instant.
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(at_its_instant, range(len(tokens)), tokens))
    return late


def report(results: Results, wall: float) -> None:
    """Print one line per request kind, then per group."""
    total = sum(len(s) for s in results.samples.values())
    errors = sum(len(e) for e in results.errors.values())
    print(f"{total} requests in {wall:.1f} s: {total / wall:.0f} req/s, {errors} errors")
    groups: dict[str, list[float]] = defaultdict(list)
    for kind, samples in sorted(results.samples.items()):
        groups[kind.split()[0]].extend(samples)
        p = percentiles(samples)
        print(f"  {kind:28} n {len(samples):5}  errors {len(results.errors[kind]):3}  "
              f"p50 {p['p50']:6.1f}  p95 {p['p95']:6.1f}  p99 {p['p99']:6.1f}  "
              f"max {p['max']:7.1f} ms")
        if results.errors[kind]:
            print(f"    errors: {sorted(set(results.errors[kind]))}")
    for group, samples in groups.items():
        p = percentiles(samples)
        line = (f"  {group + ' (all)':28} n {len(samples):5}  p50 {p['p50']:6.1f}  "
                f"p95 {p['p95']:6.1f}  p99 {p['p99']:6.1f} ms")
        if group == "staff":
            met = p["p95"] < STAFF_TARGET_P95_MS and errors == 0
            line += (f"  target 0 errors, p95 < {STAFF_TARGET_P95_MS:.0f} ms: "
                     f"{'met' if met else 'MISSED'}")
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--tablets", type=int, default=500)
    parser.add_argument("--tablet-window", type=float, default=60.0,
                        help="seconds over which the tablets' syncs are spread (0: no pause)")
    parser.add_argument("--tablet-clients", type=int, default=16,
                        help="tablets syncing at the same instant when not spread")
    parser.add_argument("--think", type=float, default=2.0,
                        help="seconds a referent spends on a page before the next")
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--pages", type=int, default=20, help="pages per staff member")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    url = os.environ.get("BENCH_WEB_URL") or os.environ.get("BENCH_SWEEP_URL") or DEFAULT_URL

    cohort = build_cohort(url, patients=args.patients)
    today = date.fromisoformat(cohort["arguments"]["today"])
    tokens = issue_device_tokens(url, today, args.tablets)
    staff = referents(url, args.staff)
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(url, today, port, args.workers, args.threads)
    results = Results()
    try:
        wait_until_up(base, server)
        pace = (f"spread over {args.tablet_window:.0f} s" if args.tablet_window
                else f"{args.tablet_clients} at once, no pause")
        print(f"{len(tokens)} tablets ({pace}), {len(staff)} staff x {args.pages} pages "
              f"{args.think:g} s apart; reprise serve ({args.workers} workers x "
              f"{args.threads} threads) on PostgreSQL, cohort of "
              f"{cohort['rows']['patients']:,} patients")
        # Log-ins (argon2, deliberately costly) happen before the measured load.
        sessions = [(logged_in(base, login), patients) for login, patients in staff]
        stop_at = time.monotonic() + TIME_LIMIT_S
        began = time.perf_counter()
        # Referents do not click in step: each starts at their own instant within the
        # first think time (all at once, every fourth page was 20 queues at the same ms).
        staff_threads = [threading.Thread(target=staff_browsing, args=(
            base, session, patients, args.pages, args.think, results, stop_at,
            args.think * k / len(sessions))) for k, (session, patients) in enumerate(sessions)]
        for thread in staff_threads:
            thread.start()
        late = run_tablets(base, tokens, results, stop_at, args.tablet_window,
                           args.tablet_clients)
        for thread in staff_threads:
            thread.join()
        report(results, time.perf_counter() - began)
        if args.tablet_window:
            print(f"  tablet syncs started over 1 s after their instant: {late}")
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
