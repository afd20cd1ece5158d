"""Indicators benchmark: the coordinator's whole indicators page on the 100,000-patient cohort.

Builds (or reuses) the cohort of ``bench/cohort.py`` in PostgreSQL
(BENCH_INDICATORS_URL, else BENCH_SWEEP_URL, default ``reprise_bench_sweep``),
then times, in this one process and on the cohort's day:

- the service computing the page's programme now (``indicators.compute``), and the
  year's snapshot of every programme (``indicators.snapshot``, what the nightly job and
  the coordinator's "compute again now" run), stored and committed;
- the rendered page, ``GET /indicators/?year=...&programme=...`` through Flask's test
  client, logged in as a coordinator through the log-in form: it reads the snapshot;
- "compute again now" as the coordinator clicks it: the POST, then the page;
- the baseline: one hand-written SQL query per line of the table (thirteen), aggregating
  in the database, run on the same connection.

Each is run ``--runs`` times after a warm-up; the medians are printed with the ratio of
the service and of the page to the baseline. The goal (issue 10): the whole page under
2 s. The baseline's figures are printed beside the service's as a check that both count
the same thing. Report the load average (``uptime``) with the figures: the machine is
shared.

    .venv/bin/python bench/indicators_bench.py [--year 2026] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cohort import STAFF_PASSWORD, build_cohort, sqlalchemy_url  # noqa: E402
from sqlalchemy import text  # noqa: E402

from server import create_app  # noqa: E402
from server.clock import FixedClock  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import User  # noqa: E402
from server.services import indicators  # noqa: E402
from shared.enums import Role  # noqa: E402
from shared.programmes import RESPIRATORY  # noqa: E402

GOAL_S = 2.0
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

# Each enrolment's passage into follow-up, its end and its stop, from the transitions.
JOURNEY = """
WITH j AS (
  SELECT e.id, e.start_date, coalesce(e.intervention_weeks, 12) AS iw,
         min(t.at) FILTER (WHERE t.to_state = 'follow_up') AS f,
         min(t.at) FILTER (WHERE t.to_state = 'completed') AS c,
         min(t.at) FILTER (WHERE t.to_state IN ('interrupted', 'reoriented')) AS s,
         bool_or(t.to_state = 'reoriented') AS r
  FROM enrolments e JOIN enrolment_transitions t ON t.enrolment_id = e.id
  WHERE e.programme_code = :p AND e.start_date IS NOT NULL AND e.start_date < :y1
    AND (e.ended_at IS NULL OR e.ended_at >= :t0)
  GROUP BY e.id)
"""
FOLLOWED = "(j.f < :t1 AND (coalesce(j.c, j.s) IS NULL OR coalesce(j.c, j.s) >= :t0))"
LATEST = """
  SELECT DISTINCT ON (enrolment_id, timepoint) enrolment_id, timepoint, {value} AS v
  FROM {table} WHERE timepoint IN ('W0', 'W12') {extra}
    AND enrolment_id IN (SELECT id FROM j WHERE j.f >= :t0 AND j.f < :t1)
  ORDER BY enrolment_id, timepoint, {order} DESC, id DESC
"""
PAIRS = """
  SELECT enrolment_id, max(v) FILTER (WHERE timepoint = 'W0') AS w0,
         max(v) FILTER (WHERE timepoint = 'W12') AS w12 FROM latest GROUP BY enrolment_id
"""
BASELINE: dict[str, str] = {
    "programmes_done": JOURNEY + "SELECT count(*) FROM j WHERE j.f >= :t0 AND j.f < :t1",
    "intervention_validation": JOURNEY + """
      SELECT count(*) FILTER (WHERE j.f >= :t0 AND j.f < :t1),
             count(*) FILTER (WHERE j.f >= :t0 AND j.f < :t1
                              OR j.f IS NULL AND j.s >= :t0 AND j.s < :t1) FROM j""",
    "dossier_to_start": """
      SELECT round(avg(start_date - (dossier_completed_at AT TIME ZONE 'Europe/Paris')::date),
                   1), count(*)
      FROM enrolments WHERE programme_code = :p AND start_date >= :y0 AND start_date < :y1
        AND dossier_completed_at IS NOT NULL""",
    "quality_of_life": JOURNEY + ", latest AS (" + LATEST.format(
        value="score", table="questionnaire_responses", extra="AND instrument = 'crq'",
        order="answered_at") + "), pairs AS (" + PAIRS + """)
      SELECT count(*) FILTER (WHERE w12 - w0 >= 0.5 - 1e-9), count(*) FROM pairs
      WHERE w0 IS NOT NULL AND w12 IS NOT NULL""",
    "endurance": JOURNEY + ", latest AS (" + LATEST.format(
        value="duration_s", table="endurance_tests", extra="", order="performed_on")
    + "), pairs AS (" + PAIRS + """)
      SELECT count(*) FILTER (WHERE w12 - w0 >= CASE WHEN w0 > 0
                                    THEN least(101, 0.33 * w0) ELSE 101 END), count(*)
      FROM pairs WHERE w0 IS NOT NULL AND w12 IS NOT NULL""",
    "activity_kept": JOURNEY + """,
      followed AS (
        SELECT j.id, greatest(0,
          least(j.iw + 40, ceil((least(:y1, :cut, coalesce(
                ((coalesce(j.c, j.s)) AT TIME ZONE 'Europe/Paris')::date, :y1))
                - j.start_date) / 7.0)::int)
          - greatest(j.iw + 1, ceil((:y0 - j.start_date) / 7.0)::int + 1) + 1) AS weeks
        FROM j WHERE """ + FOLLOWED + """),
      done AS (
        SELECT w.enrolment_id, sum(w.sessions) AS n FROM activity_weeks w
        JOIN j ON j.id = w.enrolment_id
        WHERE w.week > j.iw AND w.week_start >= :y0 AND w.week_start < :cut
        GROUP BY w.enrolment_id)
      SELECT count(*) FILTER (WHERE coalesce(done.n, 0) >= 3 * followed.weeks), count(*)
      FROM followed LEFT JOIN done ON done.enrolment_id = followed.id
      WHERE followed.weeks > 0""",
    "follow_up_patients": JOURNEY + "SELECT count(*) FROM j WHERE " + FOLLOWED,
    "follow_up_phone": """
      SELECT count(DISTINCT c.enrolment_id) FROM scheduled_contacts c
      JOIN enrolments e ON e.id = c.enrolment_id
      WHERE e.programme_code = :p AND c.kind = 'follow_up_call' AND c.status = 'done'
        AND c.channel = 'phone' AND c.done_at >= :t0 AND c.done_at < :t1""",
    "follow_up_video": """
      SELECT count(DISTINCT c.enrolment_id) FROM scheduled_contacts c
      JOIN enrolments e ON e.id = c.enrolment_id
      WHERE e.programme_code = :p AND c.kind = 'follow_up_call' AND c.status = 'done'
        AND c.channel = 'video' AND c.done_at >= :t0 AND c.done_at < :t1""",
    "follow_up_validation": JOURNEY + """
      SELECT count(*) FILTER (WHERE j.c >= :t0 AND j.c < :t1), count(*) FROM j
      WHERE j.f IS NOT NULL AND coalesce(j.c, j.s) >= :t0 AND coalesce(j.c, j.s) < :t1""",
    "reorientation": JOURNEY + """
      SELECT count(*) FILTER (WHERE j.r AND j.s >= :t0 AND j.s < :t1), count(*) FROM j
      WHERE """ + FOLLOWED,
    "hospital_days": JOURNEY + """,
      days AS (
        SELECT c.enrolment_id,
               sum(c.hospital_days) FILTER (WHERE c.kind = 'inclusion_visit') AS before,
               sum(c.hospital_days) FILTER (WHERE c.kind IN ('closing_visit',
                                                             'follow_up_call')) AS after
        FROM scheduled_contacts c WHERE c.hospital_days IS NOT NULL
          AND c.enrolment_id IN (SELECT id FROM j WHERE j.c >= :t0 AND j.c < :t1)
        GROUP BY c.enrolment_id)
      SELECT round(100 * (1 - sum(after)::numeric / nullif(sum(before), 0)), 1), count(*)
      FROM days WHERE before IS NOT NULL AND after IS NOT NULL""",
    "incidents": JOURNEY + """
      SELECT count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM health_events h WHERE h.enrolment_id = j.id
                 AND h.occurred_on >= j.start_date AND h.occurred_on < j.start_date + 7 * j.iw
                 AND (j.f IS NOT NULL
                      OR h.occurred_on <= (j.s AT TIME ZONE 'Europe/Paris')::date))),
             count(*)
      FROM j WHERE j.f >= :t0 AND j.f < :t1 OR j.f IS NULL AND j.s >= :t0 AND j.s < :t1""",
}


def median_seconds(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median wall time of ``runs`` calls after one warm-up call, and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--year", type=int, default=None, help="default: the cohort's year")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = (os.environ.get("BENCH_INDICATORS_URL") or os.environ.get("BENCH_SWEEP_URL")
           or "postgresql://postgres@127.0.0.1:5432/reprise_bench_sweep")
    cohort = build_cohort(url, patients=args.patients)
    today = date.fromisoformat(cohort["arguments"]["today"])
    year = args.year or today.year
    programme = RESPIRATORY.code
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "bench"},
                     clock=FixedClock.on_day(today))
    paris = ZoneInfo("Europe/Paris")
    params = {"p": programme, "y0": date(year, 1, 1), "y1": date(year + 1, 1, 1),
              "t0": datetime(year, 1, 1, tzinfo=paris).astimezone(UTC),
              "t1": datetime(year + 1, 1, 1, tzinfo=paris).astimezone(UTC),
              "cut": min(date(year + 1, 1, 1), today - timedelta(days=6))}
    with app.app_context():
        coordinator = db.session.scalar(db.select(User).where(User.role == Role.COORDINATOR))
        email = coordinator.email
        db.session.commit()

        def baseline() -> dict[str, Any]:
            out = {code: db.session.execute(text(sql), params).one()
                   for code, sql in BASELINE.items()}
            db.session.commit()
            return out

        base_s, base = median_seconds(baseline, args.runs)
        page_s, table = median_seconds(lambda: indicators.compute(year, programme), args.runs)

        def nightly() -> None:
            indicators.snapshot(year)
            db.session.commit()

        all_s, _ = median_seconds(nightly, args.runs)
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    login = client.get("/login", **https).text
    # Over HTTPS the CSRF check also wants the form's own origin as the referrer.
    logged = client.post("/login", data={"email": email, "password": STAFF_PASSWORD,
                                         "csrf_token": CSRF_RE.search(login).group(1)},
                         headers={"Referer": "https://localhost/login"}, **https)
    if logged.status_code != 302:
        raise RuntimeError(f"log-in refused ({logged.status_code})")

    def page() -> int:
        answer = client.get(f"/indicators/?year={year}&programme={programme}", **https)
        if answer.status_code != 200:
            raise RuntimeError(f"the page answered {answer.status_code}")
        return len(answer.data)

    rendered_s, size = median_seconds(page, args.runs)

    def recompute() -> int:
        form = client.get(f"/indicators/?year={year}&programme={programme}", **https).text
        answer = client.post(f"/indicators/recompute?year={year}&programme={programme}",
                             data={"csrf_token": CSRF_RE.search(form).group(1)},
                             headers={"Referer": "https://localhost/indicators/"}, **https)
        if answer.status_code != 302:
            raise RuntimeError(f"the recompute answered {answer.status_code}")
        return page()

    recompute_s, _ = median_seconds(recompute, args.runs)

    rows = cohort["rows"]
    print(f"cohort: {rows['patients']:,} patients, {rows['enrolment_transitions']:,} "
          f"transitions, {rows['scheduled_contacts']:,} contacts, as of {today}; year {year}, "
          f"{programme}; median of {args.runs} runs")
    print(f"{'figure':24} {'service':>16} {'hand-written SQL':>22}")
    for figure in table.programmes[0].figures:
        code = figure.indicator.code
        mine = (figure.value if figure.numerator is None
                else f"{figure.numerator}/{figure.denominator} {figure.value}")
        print(f"{code:24} {mine!s:>16} {tuple(base[code])!s:>22}")
    print(f"baseline, {len(BASELINE)} hand-written queries:    {base_s * 1000:8.0f} ms")
    print(f"computed now, one programme:          {page_s * 1000:8.0f} ms  "
          f"ratio {page_s / base_s:4.2f}")
    print(f"snapshot of the year, every programme (the nightly job): {all_s * 1000:8.0f} ms"
          f"  ratio {all_s / base_s:4.2f}")
    print(f"rendered page, from the snapshot (test client, {size:,} bytes): "
          f"{rendered_s * 1000:8.0f} ms  ratio {rendered_s / base_s:4.2f}  goal < {GOAL_S:.0f} s:"
          f" {'met' if rendered_s < GOAL_S else 'NOT met'}")
    print(f"\"compute again now\" then the page (POST, redirect, GET): "
          f"{recompute_s * 1000:8.0f} ms  ratio {recompute_s / base_s:4.2f}")
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
