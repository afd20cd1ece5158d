"""The cohort's plan: the same options give the same rows; the shares hold at any size."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from typing import Any

from shared.enums import EnrolmentState
from shared.programmes import LOW_BACK_PAIN
from synthetic.activity import COLUMNS, Cohort
from synthetic.plan import Calendar, Options, Pipeline, Staff, plan_specs, state_plan

TODAY = date(2026, 3, 2)
STAFF = Staff(coordinator=1, physicians=[2], referents=[3, 4, 5])


def _plan(options: Options) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the cohort, by table, without a database."""
    rng = random.Random(options.seed)
    cal = Calendar(rng, options.today, options.tz)
    specs = plan_specs(rng, options.patients)
    cohort = Cohort(cal, options, STAFF.coordinator,
                    {"booklet_items": 1, "ergo_sessions": 1})
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
    for plan in Pipeline(cal, STAFF, "T").patients(specs, 1, 1):
        for name, table_rows in cohort.rows(plan).items():
            rows[name] += table_rows
    return rows


def test_the_same_seed_and_day_give_the_same_rows():
    options = Options(patients=60, seed=11, today=TODAY)
    first, second = _plan(options), _plan(options)
    assert first == second
    assert all(len(row) == len(COLUMNS[name]) for name, rows in first.items() for row in rows)
    assert first["ergo_sessions"] and first["hr_samples"] and first["scheduled_contacts"]


def test_another_seed_or_day_gives_another_cohort():
    options = Options(patients=60, seed=11, today=TODAY)
    base = _plan(options)
    assert _plan(Options(patients=60, seed=12, today=TODAY))["patients"] != base["patients"]
    moved = _plan(Options(patients=60, seed=11, today=date(2026, 3, 9)))
    assert moved["ergo_sessions"] != base["ergo_sessions"]


def test_the_scale_knobs_bound_samples_and_booklet():
    rows = _plan(Options(patients=60, seed=11, today=TODAY, hr_sample_days=0,
                         booklet_days=35))
    assert not rows["hr_samples"]
    day = COLUMNS["booklet_entries"].index("day")
    assert min(r[day] for r in rows["booklet_entries"]) >= date(2026, 1, 26)


def test_the_shares_hold_for_a_large_cohort():
    n = 5_000
    states = Counter(state_plan(n))
    assert sum(states.values()) == n
    running = states[EnrolmentState.ACTIVE] + states[EnrolmentState.FOLLOW_UP]
    assert running >= 0.6 * n and all(states[s] >= 1 for s in EnrolmentState)
    specs = plan_specs(random.Random(3), n)
    low_back = sum(s.programme == LOW_BACK_PAIN.code for s in specs) / n
    drifting = sum(s.drift is not None for s in specs) / running
    assert 0.23 <= low_back <= 0.27 and 0.18 <= drifting <= 0.22
