"""Web benchmark: the referent's queue page and a patient file page, against a full cohort.

Builds (or reuses) the cohort of ``bench/cohort.py`` in PostgreSQL
(BENCH_WEB_URL, else BENCH_SWEEP_URL, default the ``reprise_bench_sweep``
database on 127.0.0.1): 100,000 patients with a year of data, referents with
60 patients each. When the cohort holds no flag yet, the day's sweep runs once
so that the queue shows what a referent would find on a real morning.

The app is served by ``reprise serve`` (gunicorn, as in production: ``--workers``
processes of ``--threads`` threads, the clock pinned to the cohort's day with
REPRISE_AS_OF, plain HTTP on 127.0.0.1); this process logs in as
the busiest referent through the log-in form, once per client, then sends
``--requests`` GETs of each page from ``--concurrency`` clients at once and
prints the latency percentiles. The target (issue 4): p95 under 150 ms for
both pages.

    .venv/bin/python bench/web_bench.py [--requests 300] [--concurrency 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cohort import (  # noqa: E402  (bench/ is the script's own directory)
    DEFAULT_URL,
    StaffLogin,
    build_cohort,
    busy_referent,
    sqlalchemy_url,
)

TARGET_P95_MS = 150.0
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def serve(url: str, today: date, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    """Start ``reprise serve`` on 127.0.0.1:``port`` for the cohort's database and day."""
    reprise = Path(sys.executable).with_name("reprise")
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench",
           "REPRISE_AS_OF": today.isoformat()}
    return subprocess.Popen(
        [str(reprise), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads)], env=env, stderr=subprocess.DEVNULL)


def ensure_flags(url: str, today: date) -> int:
    """Run the day's sweep once if the cohort holds no flag; the number of open flags."""
    with psycopg.connect(url) as conn:
        count = conn.execute("SELECT count(*) FROM flags").fetchone()[0]
    if count:
        return count
    from server import create_app
    from server.clock import FixedClock
    from server.services.sweep import sweep

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "bench"},
                     clock=FixedClock.on_day(today))
    began = time.perf_counter()
    with app.app_context():
        summary = sweep(today)
    print(f"sweep of {today} to fill the queues: {time.perf_counter() - began:.1f} s, "
          f"{summary}")
    with psycopg.connect(url, autocommit=True) as conn:
        # What autovacuum does within a minute of that many new rows: the pages are then
        # timed with the statistics production has, not with none.
        conn.execute("ANALYZE flags, flag_events, notifications")
        return conn.execute("SELECT count(*) FROM flags").fetchone()[0]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Block until the server answers its log-in page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server process ended before answering")
        try:
            if requests.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise TimeoutError("the server did not answer")


class LoopbackSession(requests.Session):
    """A client over the loopback's plain HTTP that sends back the Secure session cookie,
    which the server sets again on every answer."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # noqa: D102
        answer = super().request(*args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return answer


def logged_in(base: str, login: StaffLogin) -> requests.Session:
    """A client session logged in through the form, as a browser would."""
    session = LoopbackSession()
    page = session.get(f"{base}/login", timeout=10)
    token = CSRF_RE.search(page.text).group(1)
    answer = session.post(f"{base}/login", data={
        "email": login.email, "password": login.password, "csrf_token": token},
        allow_redirects=False, timeout=10)
    if answer.status_code != 302:
        raise RuntimeError(f"log-in refused ({answer.status_code})")
    return session


def timed_gets(sessions: list[requests.Session], urls: list[str]) -> list[float]:
    """GET every URL, spread over the clients (one thread each); milliseconds per request."""
    local = threading.local()
    pool = iter(sessions)
    lock = threading.Lock()

    def one(url: str) -> float:
        if not hasattr(local, "session"):
            with lock:
                local.session = next(pool)
        began = time.perf_counter()
        # No redirect followed: a lost session would answer the log-in page with a 200.
        answer = local.session.get(url, timeout=30, allow_redirects=False)
        elapsed = (time.perf_counter() - began) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {answer.status_code}")
        return elapsed

    with ThreadPoolExecutor(max_workers=len(sessions)) as executor:
        return list(executor.map(one, urls))


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of a list of milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="timed GETs per page")
    parser.add_argument("--concurrency", type=int, default=4, help="clients at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--port", type=int, default=0, help="server port (default: any free)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_WEB_URL") or os.environ.get("BENCH_SWEEP_URL") or DEFAULT_URL

    cohort = build_cohort(url, patients=args.patients)
    today = date.fromisoformat(cohort["arguments"]["today"])
    flags = ensure_flags(url, today)
    login = busy_referent(url)
    with psycopg.connect(url) as conn:
        patient_ids = [r[0] for r in conn.execute(
            "SELECT id FROM patients WHERE referent_id = %s ORDER BY id", (login.id,))]
        sessions_of_file = conn.execute(
            "SELECT count(*) FROM ergo_sessions WHERE patient_id = ANY(%s)",
            (patient_ids,)).fetchone()[0]
    print(f"cohort: {cohort['rows']['patients']:,} patients, "
          f"{cohort['rows']['ergo_sessions']:,} sessions, {flags:,} flags, as of {today}; "
          f"referent {login.email}: {len(patient_ids)} patients, {sessions_of_file:,} sessions")

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(url, today, port, args.workers, args.threads)
    try:
        wait_until_up(base, server)
        clients = [logged_in(base, login) for _ in range(args.concurrency)]
        pages = {
            "queue page": [f"{base}/queue/"] * args.requests,
            "patient file page": [f"{base}/patients/{patient_ids[i % len(patient_ids)]}"
                                  for i in range(args.requests)],
        }
        # Warm-up: first connections, template compilation, the server's pool.
        timed_gets(clients, [urls[0] for urls in pages.values()] * args.concurrency)
        print(f"{args.requests} GETs per page, {args.concurrency} concurrent clients, "
              f"reprise serve (gunicorn, {args.workers} workers x {args.threads} threads), "
              "PostgreSQL")
        for name, urls in pages.items():
            began = time.perf_counter()
            samples = timed_gets(clients, urls)
            wall = time.perf_counter() - began
            p = percentiles(samples)
            ok = p["p95"] < TARGET_P95_MS
            print(f"{name:18} p50 {p['p50']:6.1f} ms  p95 {p['p95']:6.1f} ms  "
                  f"p99 {p['p99']:6.1f} ms  max {p['max']:6.1f} ms  "
                  f"({len(samples) / wall:.0f} req/s)  target p95 < {TARGET_P95_MS:.0f} ms: "
                  f"{'met' if ok else 'MISSED'}")
    finally:
        for client in locals().get("clients", []):
            client.close()
        server.terminate()
        # gunicorn lets requests in flight finish (its graceful timeout) before it exits.
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
