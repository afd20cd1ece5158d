"""Prefill and steppers of the session screen: plain Python, no window."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mobile.entry import scale_value, session_start, step_value
from mobile.forms import session_form
from shared.enums import SessionSource

PLAN = {"programme": {"symptom_score": "dyspnoea"},
        "prescription": {"session_minutes": 30, "watts": 40}}
NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("french")


def test_the_weeks_prescription_fills_duration_and_power_and_heart_rates_stay_empty():
    start = session_start(PLAN, [{"hr_mean": 100, "hr_max": 118}, {"hr_mean": 104}])
    assert (start.values["duration_min"], start.values["watts"]) == (30, 40)
    assert start.values["hr_mean"] is None and start.values["hr_max"] is None
    # The latest session that had each value gives the usual one.
    assert start.usual == {"hr_mean": 104, "hr_max": 118}
    assert start.prescribed_minutes == 30 and not start.recorded
    assert (start.main_symptom, start.other_symptom) == ("dyspnoea", "pain_eva")


def test_a_prefilled_session_saved_as_is_is_the_prescription():
    start = session_start(PLAN, [])
    values = {**start.values, "effort": 5, "dyspnoea": 4}
    result = session_form(start.texts(values), date(2026, 3, 2), NOW, SessionSource.MANUAL)
    assert result.ok, result.errors
    assert result.payload["duration_s"] == 1800 and result.payload["watts"] == 40
    assert "hr_mean" not in result.payload and "pain_eva" not in result.payload


def test_a_device_summary_wins_over_the_prescription():
    start = session_start(PLAN, [{"hr_mean": 90}],
                          recorded={"duration_s": 1710, "hr_mean": 108, "hr_max": 126})
    assert start.recorded
    assert (start.values["duration_min"], start.values["watts"]) == (28, 40)
    assert (start.values["hr_mean"], start.values["hr_max"]) == (108, 126)


def test_back_pain_programmes_ask_pain_first_and_no_plan_still_opens():
    start = session_start({"programme": {"symptom_score": "pain"}, "prescription": None}, [])
    assert (start.main_symptom, start.other_symptom) == ("pain_eva", "dyspnoea")
    assert start.values["duration_min"] == 30 and start.values["watts"] is None
    assert session_start(None, []).values["duration_min"] == 30


def test_steppers_start_from_the_usual_value_and_stay_within_the_valid_range():
    assert step_value("hr_mean", None, 1, usual=104) == 104  # first tap shows the usual
    assert step_value("hr_mean", 104, 1) == 105
    assert step_value("hr_mean", 250, 1) == 250
    assert step_value("duration_min", 30, 1) == 35 and step_value("duration_min", 5, -1) == 1
    assert step_value("watts", 0, -1) == 0
    assert step_value("hr_max", None, -1) == (25 + 250) // 2  # no usual: the middle


def test_a_scale_tap_chooses_and_a_second_tap_clears():
    assert scale_value(None, 4) == 4
    assert scale_value(4, 6) == 6
    assert scale_value(6, 6) is None
    with pytest.raises(ValueError):
        scale_value(None, 11)
