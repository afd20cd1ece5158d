"""Tablet benchmark: app start time, and a 1,000-item backlog synced to a local server.

The server is the real one (``reprise run``, its own process, SQLite like
``make run``) with one patient ten weeks into the respiratory programme. The
tablet's store gets 800 sessions and 200 booklet ticks spread over those
weeks, and the sync engine sends them the way the app does (batches of 50 with
their UUIDs). Then the app itself is started three times on the synced tablet
(home screen with the cached plan) in a real window, Xvfb when there is no
display, and the wall time from launch to exit after its first drawn frame is
reported. Budgets (issue 5): start < 3 s, backlog < 30 s. Prints figures; it
asserts nothing about time.

    .venv/bin/python bench/mobile_bench.py [--items 1000] [--starts 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mobile.api_client import ApiClient  # noqa: E402
from mobile.store import BOOKLET_ENTRY, PENDING, SESSION, Store  # noqa: E402
from mobile.sync import DONE, SyncEngine  # noqa: E402
from server import create_app  # noqa: E402
from server.clock import FixedClock  # noqa: E402
from server.extensions import db  # noqa: E402
from server.services.auth import issue_token  # noqa: E402
from server.services.enrolments import apply_transition, create_patient  # noqa: E402
from server.services.users import create_user  # noqa: E402
from shared.enrolment import Action  # noqa: E402
from shared.enums import Role  # noqa: E402
from shared.timeline import PARIS  # noqa: E402

START_BUDGET_S = 3.0
SYNC_BUDGET_S = 30.0
WEEKS_IN = 10


def setup_patient(db_url: str) -> tuple[int, str]:
    """A patient who started WEEKS_IN weeks ago, and a device token for the tablet."""
    start = datetime.now(PARIS).date() - timedelta(weeks=WEEKS_IN)
    # The start is recorded on the start day itself, as a coordinator would have.
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"},
                     clock=FixedClock.on_day(start))
    with app.app_context():
        db.create_all()
        coordinator = create_user(email="c@bench.test", full_name="C", role=Role.COORDINATOR,
                                  password="benchmark-password")
        physician = create_user(email="p@bench.test", full_name="P", role=Role.PHYSICIAN,
                                password="benchmark-password")
        patient, enrolment = create_patient(coordinator, {
            "first_name": "Bench", "last_name": "Mark",
            "birth_date": datetime(1950, 1, 1).date(), "sex": "F", "phone": "0600000000",
            "enrolment": {"programme_code": "respiratory_home", "referral_source": "other"}})
        db.session.commit()
        apply_transition(enrolment, coordinator, Action.COMPLETE_DOSSIER, {"dossier": {
            "prescription": True, "spirometry": True, "blood_gas": True, "exercise_test": True}})
        apply_transition(enrolment, physician, Action.VALIDATE, {})
        apply_transition(enrolment, coordinator, Action.START, {"start_date": start})
        token = issue_token(patient_id=patient.id, label="bench tablet").raw
        db.session.commit()
        patient_id = patient.id
        db.engine.dispose()
    return patient_id, token


def start_server(db_url: str, port: int) -> subprocess.Popen:
    """``reprise run`` on 127.0.0.1:port; waits until it answers."""
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("reprise")), "run", "--host", "127.0.0.1",
         "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).ok:
                return server
        except requests.RequestException:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def fill_backlog(store: Store, items: int, booklet_ids: list[int]) -> None:
    """80 % sessions and 20 % booklet ticks, spread over the programme's past days."""
    now = datetime.now(UTC)
    days = WEEKS_IN * 7
    sessions, ticks = [], []
    for n in range(items):
        started = now - timedelta(days=1 + n % (days - 1), minutes=45)
        day = started.astimezone(PARIS).date()
        if n % 5 == 4:
            ticks.append(({"id": str(uuid.uuid4()), "item_id": booklet_ids[n % len(booklet_ids)],
                           "day": day.isoformat(), "status": "done", "pain_eva": n % 4}, day))
        else:
            sessions.append(({
                "id": str(uuid.uuid4()), "started_at": started.isoformat(), "duration_s": 1800,
                "watts": 40, "distance_km": 9.5, "hr_rest": 72, "hr_mean": 104, "hr_max": 121,
                "dyspnoea": 4, "effort": 5, "source": "manual"}, day))
    store.add_many(SESSION, sessions, now)
    store.add_many(BOOKLET_ENTRY, ticks, now)


def virtual_display() -> subprocess.Popen | None:
    """Xvfb on a free display when none is set (the app needs a real window)."""
    if os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        return None
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        os.environ["DISPLAY"] = ":" + pipe.readline().strip()
    return xvfb


def time_app_start(server_url: str, data_dir: Path, kivy_home: Path) -> float:
    """Seconds from launching ``python -m mobile`` to its exit after the first frame."""
    env = {**os.environ, "KIVY_HOME": str(kivy_home), "KIVY_NO_ARGS": "1",
           "KIVY_NO_CONSOLELOG": "1"}
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mobile", "--server", server_url, "--data-dir",
                    str(data_dir), "--quit-after-start"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    """Run both measurements and print them against their budgets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--port", type=int, default=5077)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reprise-mobile-bench-") as tmp:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'server.sqlite'}"
        patient_id, token = setup_patient(db_url)
        server = start_server(db_url, args.port)
        xvfb = None
        try:
            url = f"http://127.0.0.1:{args.port}"
            booklet_ids = [item["id"] for item in ApiClient(url, token).plan()["booklet"]]
            store = Store(work / "tablet" / "reprise.sqlite3")
            store.set("server_url", url)
            store.pair(token, patient_id, "Bench", "respiratory_home")
            fill_backlog(store, args.items, booklet_ids)
            engine = SyncEngine(store)
            began = time.perf_counter()
            outcome = engine.sync_once()
            sync_s = time.perf_counter() - began
            left = sum(store.counts()[PENDING].values())
            store.close()
            if outcome != DONE or left:
                raise SystemExit(f"sync did not finish: {outcome}, {left} pending")
            print(f"backlog sync: {args.items} items in {sync_s:.2f} s "
                  f"({args.items / sync_s:.0f} items/s; budget {SYNC_BUDGET_S:.0f} s: "
                  f"{'ok' if sync_s < SYNC_BUDGET_S else 'OVER'})")
            xvfb = virtual_display()
            starts = [time_app_start(url, work / "tablet", work / "kivy")
                      for _ in range(args.starts)]
            print("app start (launch to first frame drawn, then exit): "
                  + ", ".join(f"{s:.2f} s" for s in starts)
                  + f"; median {statistics.median(starts):.2f} s, first (cold) {starts[0]:.2f} s"
                  f" (budget {START_BUDGET_S:.0f} s: "
                  f"{'ok' if max(starts) < START_BUDGET_S else 'OVER'})")
        finally:
            server.terminate()
            server.wait(10)
            if xvfb is not None:
                xvfb.terminate()
                xvfb.wait(10)


if __name__ == "__main__":
    main()
