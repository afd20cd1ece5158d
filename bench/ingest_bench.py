"""Ingestion benchmark: sessions with 1,800 heart-rate samples each, POSTed to the API.

Runs against PostgreSQL (DATABASE_URL, default a `reprise_bench` database on
127.0.0.1). The API stores each session's samples packed in one row
(``session_series``). The sessions go up twice, in the two forms the API takes:
packed (base64 arrays, what the tablet sends) and as ``[offset, bpm]`` pairs.
The baseline, in the same process, writes the same sessions by a raw
executemany and the same samples by a raw COPY into a plain one-row-per-sample
table (no index, no key: the row layout at its fastest); each API rate is
reported as a ratio of the raw one.

The tablet sends 50 items per POST (``mobile.sync.DEFAULT_BATCH``), the default here.

    .venv/bin/python bench/ingest_bench.py [--sessions 1000] [--batch 50]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile.sync import DEFAULT_BATCH  # noqa: E402
from server import create_app  # noqa: E402
from server.clock import FixedClock  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import ErgoSession, Patient, SessionSeries  # noqa: E402
from server.services.auth import issue_token  # noqa: E402
from server.services.enrolments import apply_transition, create_patient  # noqa: E402
from server.services.users import create_user  # noqa: E402
from shared.enrolment import Action  # noqa: E402
from shared.enums import Role  # noqa: E402
from shared.samples import PackedSeries  # noqa: E402
from shared.timeline import PARIS  # noqa: E402

SAMPLES_PER_SESSION = 1800
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/reprise_bench"
RAW_TABLE = "bench_raw_hr_samples"


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(
                psycopg.sql.Identifier(name)))


def make_sessions(count: int, start: datetime) -> list[dict]:
    """Session payloads as the tablet sends them, 1,800 samples each (one per second)."""
    sessions = []
    for n in range(count):
        started = start + timedelta(hours=6 * n)
        sessions.append({
            "id": str(uuid.uuid4()), "started_at": started.isoformat(), "duration_s": 1800,
            "watts": 40 + n % 20, "distance_km": 9.0, "hr_rest": 70, "hr_mean": 105,
            "hr_max": 128, "dyspnoea": 4, "effort": 5, "source": "device",
            "hr_samples": [[t, 80 + (t * 7 + n) % 50] for t in range(SAMPLES_PER_SESSION)],
        })
    return sessions


def setup_patient(app) -> tuple[int, int, str]:
    """A patient in an active programme and its device token."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        coordinator = create_user(email="c@bench.test", full_name="C", role=Role.COORDINATOR,
                                  password="benchmark-password")
        physician = create_user(email="p@bench.test", full_name="P", role=Role.PHYSICIAN,
                                password="benchmark-password")
        patient, enrolment = create_patient(coordinator, {
            "first_name": "Bench", "last_name": "Mark", "birth_date": datetime(1950, 1, 1).date(),
            "sex": "F", "phone": "0600000000",
            "enrolment": {"programme_code": "respiratory_home", "referral_source": "other"}})
        db.session.commit()
        apply_transition(enrolment, coordinator, Action.COMPLETE_DOSSIER, {"dossier": {
            "prescription": True, "spirometry": True, "blood_gas": True, "exercise_test": True}})
        apply_transition(enrolment, physician, Action.VALIDATE, {})
        apply_transition(enrolment, coordinator, Action.START,
                         {"start_date": app.extensions["reprise.clock"].today()})
        token = issue_token(patient_id=patient.id).raw
        db.session.commit()
        return patient.id, enrolment.id, token


def run_api(app, token: str, sessions: list[dict], batch: int) -> float:
    """POST the sessions in batches over HTTP on 127.0.0.1; seconds taken."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/me/sessions"
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    began = time.perf_counter()
    for i in range(0, len(sessions), batch):
        response = http.post(url, json={"items": sessions[i:i + batch]}, timeout=60)
        response.raise_for_status()
    elapsed = time.perf_counter() - began
    server.shutdown()
    return elapsed


def run_raw(url: str, patient_id: int, enrolment_id: int, sessions: list[dict]) -> float:
    """The same rows by a raw bulk insert: executemany for sessions, COPY for samples."""
    now = datetime.now(UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
        conn.execute(f"CREATE TABLE {RAW_TABLE} (session_id integer NOT NULL, "
                     "offset_s integer NOT NULL, bpm smallint NOT NULL)")
    began = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        rows = [(uuid.UUID(s["id"]), "0" * 64, now, patient_id, enrolment_id,
                 datetime.fromisoformat(s["started_at"]),
                 datetime.fromisoformat(s["started_at"]).astimezone(PARIS).date(),
                 s["duration_s"], s["watts"],
                 s["distance_km"], s["hr_rest"], s["hr_mean"], s["hr_max"], s["dyspnoea"],
                 s["effort"], s["source"], SAMPLES_PER_SESSION) for s in sessions]
        cur.executemany(
            "INSERT INTO ergo_sessions (client_id, payload_digest, received_at, patient_id,"
            " enrolment_id, started_at, day, duration_s, watts, distance_km, hr_rest, hr_mean,"
            " hr_max, dyspnoea, effort, source, hr_sample_count)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " RETURNING id", rows, returning=True)
        ids = []
        while True:
            ids.append(cur.fetchone()[0])
            if not cur.nextset():
                break
        with cur.copy(f"COPY {RAW_TABLE} (session_id, offset_s, bpm) FROM STDIN") as copy:
            for session_id, s in zip(ids, sessions, strict=True):
                for offset, bpm in s["hr_samples"]:
                    copy.write_row((session_id, offset, bpm))
        conn.commit()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                        help="sessions per POST (default: the tablet's)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    sqlalchemy_url = "postgresql+psycopg://" + url.split("://", 1)[1]
    clock = FixedClock(datetime.now(UTC))
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url, "SECRET_KEY": "bench"},
                     clock=clock)
    patient_id, enrolment_id, token = setup_patient(app)
    # Sessions every 6 hours from the start day; the clock then moves past the last one
    # so that none is refused as "in the future".
    sessions = make_sessions(args.sessions, clock.now())
    packed = [dict(s, hr_samples=PackedSeries.from_pairs(s["hr_samples"]).wire())
              for s in sessions]
    clock.set(clock.now() + timedelta(hours=6 * args.sessions + 24))
    samples = args.sessions * SAMPLES_PER_SESSION

    seconds = {}
    for form, payloads in (("packed", packed), ("pairs", sessions)):
        seconds[form] = run_api(app, token, payloads, args.batch)
        with app.app_context():
            stored = db.session.query(db.func.sum(SessionSeries.count)).scalar()
            assert stored == samples, (stored, samples)
            db.session.query(SessionSeries).delete()
            db.session.query(ErgoSession).delete()
            db.session.commit()
            assert db.session.get(Patient, patient_id) is not None
    with app.app_context():
        db.engine.dispose()
    raw_s = run_raw(url, patient_id, enrolment_id, sessions)

    print(f"sessions: {args.sessions} x {SAMPLES_PER_SESSION} samples, "
          f"{args.batch} sessions per POST, PostgreSQL")
    for form, api_s in seconds.items():
        print(f"API, {form:6}: {args.sessions / api_s:8.1f} sessions/s "
              f"{samples / api_s:10.0f} samples/s ({api_s:.2f} s)")
    print(f"raw COPY    : {args.sessions / raw_s:8.1f} sessions/s {samples / raw_s:10.0f} "
          f"samples/s ({raw_s:.2f} s)")
    for form, api_s in seconds.items():
        print(f"ratio API ({form}) / raw COPY into one row per sample: {raw_s / api_s:.0%}")


if __name__ == "__main__":
    main()
