"""Outcomes: change against the MCID in the domain's direction; endurance against 101 s / 33 %."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.endurance import MCID_SECONDS, endurance_change_is_important, load_watts
from shared.instruments import get_instrument
from shared.instruments.timepoints import EVERY_WEEK, M12, W0, W6, W12, window_on, windows
from shared.outcomes import Verdict, compare, compare_endurance
from shared.programmes import LOW_BACK_PAIN, RESPIRATORY


def test_crq_gain_of_half_a_point_is_an_improvement():
    dyspnoea = get_instrument("crq").domain("dyspnoea")
    assert compare(dyspnoea, 3.0, 3.5).verdict == Verdict.IMPROVED
    assert compare(dyspnoea, 3.0, 3.4).verdict == Verdict.UNCHANGED
    assert compare(dyspnoea, 4.0, 3.5).verdict == Verdict.WORSE
    assert compare(dyspnoea, 4.0, None).verdict == Verdict.NOT_MEASURED
    assert compare(dyspnoea, 3.0, 3.5).change == pytest.approx(0.5)


def test_lower_is_better_on_the_oswestry():
    odi = get_instrument("oswestry").domain("disability")
    assert compare(odi, 40, 28).verdict == Verdict.IMPROVED
    assert compare(odi, 28, 40).verdict == Verdict.WORSE
    assert compare(odi, 40, 35).verdict == Verdict.UNCHANGED


def test_dallas_has_no_threshold_and_says_so():
    daily = get_instrument("dallas").domain("daily_activities")
    assert compare(daily, 60, 20).verdict == Verdict.NO_THRESHOLD


def test_endurance_mcid_is_101_seconds_or_a_third_of_baseline():
    assert compare_endurance(400, 501).verdict == Verdict.IMPROVED   # +101 s
    assert compare_endurance(400, 500).verdict == Verdict.UNCHANGED  # +100 s, 25 %
    assert compare_endurance(180, 240).verdict == Verdict.IMPROVED   # +60 s = 33 %
    assert compare_endurance(400, 290).verdict == Verdict.WORSE
    assert compare_endurance(None, 290).verdict == Verdict.NOT_MEASURED
    assert compare_endurance(400, 501).mcid == MCID_SECONDS


@given(st.integers(0, 3600), st.integers(0, 3600), st.integers(0, 3600))
def test_endurance_verdict_is_monotonic_in_the_later_time(before, after, later):
    low, high = sorted((after, later))
    assert endurance_change_is_important(before, low) <= endurance_change_is_important(
        before, high)


def test_load_is_the_percentage_of_peak_power():
    assert load_watts(75, 80) == 60


def test_timepoint_windows_follow_the_visits():
    start = date(2026, 1, 5)
    assert window_on((W0, W12, M12), RESPIRATORY, start, date(2026, 1, 1)).timepoint == "W0"
    w12 = window_on((W0, W12, M12), RESPIRATORY, start, date(2026, 3, 25))
    assert (w12.timepoint, w12.first) == ("W12", date(2026, 3, 23))  # week 12's first day
    assert window_on((W0, W12, M12), RESPIRATORY, start, date(2026, 2, 20)) is None
    short = RESPIRATORY.with_intervention_weeks(10)
    assert window_on((W12,), short, start, date(2026, 3, 9)).timepoint == "W12"
    assert window_on((W6,), LOW_BACK_PAIN, start, date(2026, 2, 9)).timepoint == "W6"
    weekly = windows((EVERY_WEEK,), RESPIRATORY, start)
    assert len(weekly) == RESPIRATORY.total_weeks
    assert window_on((EVERY_WEEK,), RESPIRATORY, start, date(2026, 1, 12)).timepoint == "week:2"
