"""FHIR bulk export benchmark: every resource type of the whole file as NDJSON.

Reads the cohort of ``bench/cohort.py`` (100,000 patients) in PostgreSQL, at
BENCH_FHIR_URL, else BENCH_SWEEP_URL, else the ``reprise_bench_sweep``
database; it never builds nor changes it (build it with ``bench/cohort.py``
first). For each resource type it runs the bulk export's readers and mapping
in this process, as ``GET /api/v1/fhir/bulk/<Type>.ndjson`` streams them
(without the HTTP layer and its audit row), and prints resources and
megabytes per second, the number of SQL statements, and the process's peak
memory. The baseline, in the same process just before: the same streamed
SELECTs with their rows only counted, so the ratio is what mapping and
serialising cost over reading.

    .venv/bin/python bench/fhir_bench.py [--types Patient,Observation]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cohort import DEFAULT_URL, sqlalchemy_url  # noqa: E402  (bench/ is the script's directory)
from sqlalchemy import event  # noqa: E402

from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.services import fhir_export, fhir_map  # noqa: E402


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StatementCounter:
    """Counts the SQL statements the engine sends while it is attached."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


def _raw_rows(resource_type: str, ctx: fhir_map.Context) -> int:
    """The export's SELECTs for one type, streamed the same way, rows only counted."""
    rows = 0
    original = fhir_export._stream

    def counting(stmt: Any) -> Any:
        nonlocal rows
        for _row in original(stmt):
            rows += 1
        return iter(())

    fhir_export._stream = counting
    try:
        for _resource in fhir_export.READERS[resource_type](fhir_export._all, ctx):
            pass
    finally:
        fhir_export._stream = original
    return rows


def main() -> None:
    """Export each type once after its baseline, printing the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--types", default=",".join(fhir_export.READERS))
    args = parser.parse_args()
    url = os.environ.get("BENCH_FHIR_URL") or os.environ.get("BENCH_SWEEP_URL") or DEFAULT_URL
    try:
        with psycopg.connect(url) as conn:
            figures = conn.execute("SELECT figures FROM bench_cohort").fetchone()[0]
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        raise SystemExit(f"no finished cohort at {url}: build it with bench/cohort.py") from None
    print(f"cohort: {figures['rows']['patients']:,} patients; {_uptime()}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "bench"})
    total_bytes, total_seconds = 0, 0.0
    with app.test_request_context(base_url="http://127.0.0.1/"):
        ctx = fhir_export.context("http://127.0.0.1/api/v1")
        for resource_type in args.types.split(","):
            started = time.perf_counter()
            rows = _raw_rows(resource_type, ctx)
            raw = time.perf_counter() - started
            db.session.rollback()
            counter = StatementCounter()
            event.listen(db.engine, "before_cursor_execute", counter)
            lines = size = 0
            started = time.perf_counter()
            for chunk in fhir_export._ndjson(
                    fhir_export.READERS[resource_type](fhir_export._all, ctx)):
                lines += chunk.count("\n")
                size += len(chunk.encode())
            elapsed = time.perf_counter() - started
            event.remove(db.engine, "before_cursor_execute", counter)
            db.session.rollback()
            total_bytes += size
            total_seconds += elapsed
            print(f"{resource_type:22} {lines:>10,} resources {size / 2**20:>8.1f} MB "
                  f"{elapsed:>7.1f} s  {lines / elapsed if elapsed else 0:>8,.0f} res/s "
                  f"{size / 2**20 / elapsed if elapsed else 0:>6.1f} MB/s  "
                  f"{counter.count} statements  raw read {rows:,} rows {raw:.1f} s "
                  f"(export {elapsed / raw if raw else 0:.1f}x)  peak RSS {_peak_mb():.0f} MB")
    print(f"all types: {total_bytes / 2**20:.1f} MB in {total_seconds:.1f} s; {_uptime()}")


if __name__ == "__main__":
    main()
