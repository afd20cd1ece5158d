"""Taps and keystrokes for a patient's two everyday tasks, in the real app's window.

The server is the real one (``reprise run`` on SQLite, as in
``bench/mobile_bench.py``) with a patient ten weeks into the respiratory
programme; the tablet is paired and has fetched its plan. The app then runs
in a real window (Xvfb when there is no display) and a finger made of
Kivy input events (posted into its event loop, hit-tested by the widgets
themselves) logs today's prescribed session and ticks the day's booklet.
Prints the taps, keystrokes and wheel notches each task took.

    .venv/bin/python bench/tablet_taps.py [--port 5701]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mobile_bench import setup_patient, start_server  # noqa: E402
from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import Prescription  # noqa: E402
from tests.mobile.kivy_harness import (  # noqa: E402
    Driver,
    Finger,
    VirtualDisplay,
    configure_kivy,
)
from tests.mobile.tap_scenarios import log_prescribed_session, tick_booklet  # noqa: E402

WATTS = 40


def prescribe_watts(db_url: str, watts: int) -> None:
    """Give the programme's prescription a power, as the referent does at a weekly call."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        for prescription in db.session.scalars(select(Prescription)):
            prescription.watts = watts
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    """Run both tasks once and print what they cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5701)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reprise-taps-") as tmp:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'server.sqlite'}"
        patient_id, token = setup_patient(db_url)
        prescribe_watts(db_url, WATTS)
        server = start_server(db_url, args.port)
        display = VirtualDisplay()
        display.start()
        try:
            configure_kivy()
            from kivy.metrics import Metrics

            from mobile.app import RepriseApp
            from mobile.store import Store

            Metrics.density = 1.0
            url = f"http://127.0.0.1:{args.port}"
            store = Store(work / "tablet" / "reprise.sqlite3")
            store.set("server_url", url)
            store.pair(token, patient_id, "Bench", "respiratory_home")
            store.close()
            driver = Driver(RepriseApp(data_dir=work / "tablet", server_url=url), work / "shots")
            app = driver.app
            driver.until(lambda: app.cached("plan") and driver.screen.name == "home"
                         and getattr(driver.screen, "has_plan", True), what="plan fetched")
            finger = Finger(driver)
            plan = app.cached("plan")
            prescription = plan["prescription"]
            session = log_prescribed_session(driver, finger)
            booklet, exercises = tick_booklet(driver, finger)
            driver.close()
            print(f"prescription: {prescription['session_minutes']} min at "
                  f"{prescription.get('watts')} W")
            print(f"prescribed session (home -> saved): {session.taps} taps, "
                  f"{session.keys} keystrokes, {session.scrolls} wheel notches")
            print(f"day's booklet, {exercises} exercises (home -> all done -> home): "
                  f"{booklet.taps} taps ({booklet.taps - 2} on exercises), {booklet.keys} "
                  f"keystrokes, {booklet.scrolls} wheel notches")
        finally:
            server.terminate()
            server.wait(10)
            display.stop()


if __name__ == "__main__":
    main()
