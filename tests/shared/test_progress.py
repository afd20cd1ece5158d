"""Weekly progress against the programme's target band, and the trend of a series."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.programmes import LOW_BACK_PAIN, RESPIRATORY
from shared.progress import SessionFigures, WeekProgress, trend, weekly_progress
from shared.timeline import week_of

PROPERTY = settings(max_examples=200, deadline=None)
START = date(2026, 3, 2)  # a Monday


def day(offset: int) -> date:
    return START + timedelta(days=offset)


def session(offset: int, duration_s: int = 1800, **kw) -> SessionFigures:
    return SessionFigures(day=day(offset), duration_s=duration_s, **kw)


def row(template, today: date, sessions, week: int = 1) -> WeekProgress:
    rows = weekly_progress(template, START, today, sessions)
    return next(r for r in rows if r.week == week)


# --- Rows ------------------------------------------------------------------------------


def test_no_row_before_the_start():
    assert weekly_progress(RESPIRATORY, START, day(-1), [session(-1)]) == []
    assert weekly_progress(RESPIRATORY, START, day(-30), []) == []


@pytest.mark.parametrize(("today_offset", "weeks"), [(0, 1), (6, 1), (7, 2), (13, 2),
                                                      (83, 12), (84, 13)])
def test_one_row_per_week_up_to_the_current_week(today_offset, weeks):
    rows = weekly_progress(RESPIRATORY, START, day(today_offset), [])
    assert [r.week for r in rows] == list(range(1, weeks + 1))
    assert all(r.sessions == 0 and r.minutes == 0 for r in rows)
    assert all(r.mean_watts is r.mean_hr is r.mean_symptom is None for r in rows)


def test_rows_stop_at_the_last_programme_week():
    rows = weekly_progress(RESPIRATORY, START, day(2000), [session(7 * 60)])
    assert [r.week for r in rows] == list(range(1, RESPIRATORY.total_weeks + 1))
    assert sum(r.sessions for r in rows) == 0  # week 61 is after the end


def test_sessions_are_counted_in_their_programme_week():
    sessions = [session(0), session(2), session(6), session(7), session(13), session(20)]
    rows = weekly_progress(RESPIRATORY, START, day(20), sessions)
    assert [(r.week, r.sessions) for r in rows] == [(1, 3), (2, 2), (3, 1)]


def test_minutes_are_whole_minutes_of_the_summed_durations():
    assert row(RESPIRATORY, day(6), [session(0, 1799), session(1, 61)]).minutes == 31
    assert row(RESPIRATORY, day(6), [session(0, 59)]).minutes == 0


def test_means_ignore_missing_values_and_round_to_one_decimal():
    sessions = [
        session(0, watts=40, hr_mean=100, symptom=3),
        session(1, watts=45, hr_mean=None, symptom=4),
        session(2, watts=None, hr_mean=101, symptom=4),
    ]
    week = row(RESPIRATORY, day(6), sessions)
    assert week.mean_watts == 42.5
    assert week.mean_hr == 100.5
    assert week.mean_symptom == 3.7  # 11 / 3
    assert row(RESPIRATORY, day(6), [session(0)]).mean_watts is None


def test_sessions_before_the_start_are_ignored():
    rows = weekly_progress(RESPIRATORY, START, day(6), [session(-1), session(-7), session(0)])
    assert [(r.week, r.sessions) for r in rows] == [(1, 1)]


def test_sessions_in_weeks_after_today_are_ignored():
    rows = weekly_progress(RESPIRATORY, START, day(3), [session(1), session(7), session(30)])
    assert [(r.week, r.sessions) for r in rows] == [(1, 1)]


def test_sessions_later_today_in_the_current_week_are_ignored():
    # today is day 1 of week 1; a session dated day 3 (still week 1) is in the future.
    rows = weekly_progress(RESPIRATORY, START, day(1), [session(0), session(3)])
    assert [(r.week, r.sessions) for r in rows] == [(1, 1)]


@PROPERTY
@given(
    today_offset=st.integers(min_value=-10, max_value=400),
    offsets=st.lists(st.integers(min_value=-30, max_value=420), max_size=40),
)
def test_every_session_between_start_and_the_current_week_is_counted_once(
    today_offset, offsets
):
    today = day(today_offset)
    rows = weekly_progress(RESPIRATORY, START, today, [session(o) for o in offsets])
    current = min(week_of(START, today), RESPIRATORY.total_weeks)
    assert [r.week for r in rows] == list(range(1, current + 1))
    counted = [o for o in offsets if o <= today_offset]  # sessions after today are ignored
    for r in rows:
        assert r.sessions == sum(1 for o in counted if week_of(START, day(o)) == r.week)
    assert sum(r.sessions for r in rows) == sum(
        1 for o in counted if 1 <= week_of(START, day(o)) <= current)


# --- Bands -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "status"),
    [(0, "below"), (3, "below"), (4, "within"), (5, "within"), (6, "within"), (7, "above"),
     (10, "above")],
)
def test_respiratory_band_is_four_to_six_sessions_a_week(count, status):
    sessions = [session(i % 7) for i in range(count)]
    week = row(RESPIRATORY, day(6), sessions)
    assert (week.target_min, week.target_max) == (4, 6)
    assert week.sessions == count
    assert week.status == status


@pytest.mark.parametrize(("count", "status"),
                         [(1, "below"), (2, "within"), (3, "within"), (4, "above")])
def test_low_back_pain_band_is_two_to_three_sessions_a_week(count, status):
    week = row(LOW_BACK_PAIN, day(6), [session(i) for i in range(count)])
    assert (week.target_min, week.target_max) == (2, 3)
    assert week.status == status


# --- Trend -----------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[], [5.0], [None], [None, None], [None, 4.0, None]])
def test_trend_is_none_under_two_points(values):
    assert trend(values) is None


@pytest.mark.parametrize(
    ("values", "slope"),
    [
        ([1, 3], 2.0),
        ([1, 3, 5, 7], 2.0),
        ([10, 8, 6], -2.0),
        ([4, 4, 4, 4], 0.0),
        ([1, None, 5], 2.0),            # the gap still counts as a week
        ([None, 2, None, 6, None], 2.0),
        ([0, 0, 1], 0.5),
        ([0, 0, 0, 0, 0, 0, 1], 0.107),  # 3 / 28, rounded to 3 decimals
    ],
)
def test_trend_is_the_least_squares_slope_per_week(values, slope):
    assert trend(values) == slope


@PROPERTY
@given(
    slope=st.integers(min_value=-20, max_value=20),
    intercept=st.integers(min_value=-100, max_value=100),
    present=st.lists(st.booleans(), min_size=2, max_size=30).filter(lambda p: sum(p) >= 2),
)
def test_trend_of_a_linear_series_with_gaps_is_its_exact_slope(slope, intercept, present):
    values = [slope * x + intercept if keep else None for x, keep in enumerate(present)]
    assert trend(values) == slope


@PROPERTY
@given(
    values=st.lists(st.one_of(st.none(), st.floats(-1000, 1000)), min_size=2, max_size=30)
    .filter(lambda v: sum(x is not None for x in v) >= 2),
    shift=st.floats(-1000, 1000),
)
def test_trend_ignores_a_constant_shift_and_flips_with_time(values, shift):
    base = trend(values)
    shifted = trend([None if v is None else v + shift for v in values])
    assert shifted == pytest.approx(base, abs=2e-3)
    assert trend(values[::-1]) == pytest.approx(-base, abs=2e-3)
