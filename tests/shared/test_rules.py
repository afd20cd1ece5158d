"""Every rupture and safety rule at its threshold and one step either side."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.enums import HealthEventKind, Phase
from shared.programmes import LOW_BACK_PAIN, RESPIRATORY, ProgrammeTemplate
from shared.rules import (
    RULES,
    FlagKind,
    PatientFacts,
    Severity,
    WeekFigures,
    evaluate,
    reinforcement_visit_day,
    reinforcement_windows,
    rupture_firing,
    unsafe_heart_rate,
)
from shared.timeline import programme_dates

START = date(2026, 1, 5)  # a Monday


def facts(week: int = 3, template: ProgrammeTemplate = RESPIRATORY, days_silent: int = 0,
          weeks: dict[int, WeekFigures] | None = None, **kw) -> PatientFacts:
    """Facts on the first day of programme ``week``; every past week on target by default."""
    full = WeekFigures(sessions=template.sessions_per_week_max, booklet_done=20,
                       active_days=template.sessions_per_week_max)
    figures = {w: full for w in range(1, week)}
    figures.update(weeks or {})
    return PatientFacts(enrolment_id=1, patient_id=1, template=template, start=START,
                        today=START + timedelta(days=7 * (week - 1)), days_silent=days_silent,
                        weeks=figures, booklet_prescribed=kw.pop("booklet_prescribed", 20), **kw)


def kinds(found) -> dict[FlagKind, object]:
    return {f.kind: f for f in found}


def test_a_patient_on_target_raises_nothing():
    assert evaluate(facts()) == []


# --- Intervention adherence --------------------------------------------------------------


@pytest.mark.parametrize(("sessions", "severity"), [(5, None), (4, None), (3, Severity.MODERATE),
                                                    (1, Severity.MODERATE), (0, Severity.HIGH)])
def test_adherence_fires_under_the_weekly_minimum_of_four(sessions, severity):
    found = kinds(evaluate(facts(weeks={2: WeekFigures(sessions=sessions, booklet_done=20)})))
    if severity is None:
        assert FlagKind.ADHERENCE not in found
    else:
        flag = found[FlagKind.ADHERENCE]
        assert flag.severity == severity
        assert flag.evidence == {"week": 2, "sessions": sessions, "previous_week_sessions": 6,
                                 "adherence_min_sessions": 4}


def test_adherence_two_weeks_in_a_row_under_the_minimum_is_more_severe():
    short = WeekFigures(sessions=3, booklet_done=20)
    found = kinds(evaluate(facts(week=4, weeks={2: short, 3: short})))
    assert found[FlagKind.ADHERENCE].severity == Severity.HIGH
    one_week = kinds(evaluate(facts(week=4, weeks={3: short})))
    assert one_week[FlagKind.ADHERENCE].severity == Severity.MODERATE


@pytest.mark.parametrize(("days", "fires"), [(1, True), (2, False), (3, False)])
def test_low_back_pain_minimum_is_two_active_days(days, fires):
    found = kinds(evaluate(facts(template=LOW_BACK_PAIN, weeks={
        2: WeekFigures(sessions=0, booklet_done=20, active_days=days)})))
    assert (FlagKind.ADHERENCE in found) is fires


def test_low_back_pain_counts_booklet_days_not_only_ergocycle_sessions_seed_000():
    # Booklet work on two days and no ergocycle: the prescription is kept (000 l.1166-1168).
    booklet_only = WeekFigures(sessions=0, booklet_done=20, active_days=2)
    assert FlagKind.ADHERENCE not in kinds(evaluate(facts(
        template=LOW_BACK_PAIN, weeks={2: booklet_only})))
    # The respiratory programme counts ergocycle sessions.
    assert FlagKind.ADHERENCE in kinds(evaluate(facts(weeks={2: WeekFigures(
        sessions=0, booklet_done=20, active_days=6)})))


def test_adherence_waits_for_a_whole_week_and_stops_with_the_intervention():
    assert FlagKind.ADHERENCE not in kinds(evaluate(facts(week=1, weeks={})))
    # Week 13 judges week 12, the last of the intervention; week 14 judges nothing.
    short = {12: WeekFigures(sessions=0, booklet_done=20),
             13: WeekFigures(sessions=0, booklet_done=20)}
    assert FlagKind.ADHERENCE in kinds(evaluate(facts(week=13, weeks=short)))
    assert FlagKind.ADHERENCE not in kinds(evaluate(facts(week=14, weeks=short)))


# --- Silence -------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "severity"), [(4, None), (5, Severity.MODERATE),
                                                (9, Severity.MODERATE), (10, Severity.HIGH)])
def test_silence_fires_after_five_days_without_data(days, severity):
    found = kinds(evaluate(facts(days_silent=days)))
    if severity is None:
        assert FlagKind.SILENCE not in found
    else:
        assert found[FlagKind.SILENCE].severity == severity
        since = START + timedelta(days=14 - days)  # today is the first day of week 3
        assert found[FlagKind.SILENCE].evidence == {"silent_since": since.isoformat(),
                                                    "silence_days": 5}


# --- Symptoms --------------------------------------------------------------------------


@pytest.mark.parametrize(("high", "fires"), [(1, False), (2, True), (3, True)])
def test_repeated_high_dyspnoea_fires_from_two_sessions_in_a_week(high, fires):
    found = kinds(evaluate(facts(weeks={2: WeekFigures(sessions=5, high_dyspnoea=high,
                                                          booklet_done=20)})))
    assert (FlagKind.DYSPNOEA in found) is fires


def test_dyspnoea_is_not_watched_for_low_back_pain():
    found = evaluate(facts(template=LOW_BACK_PAIN, weeks={
        2: WeekFigures(sessions=3, high_dyspnoea=3, booklet_done=20)}))
    assert FlagKind.DYSPNOEA not in kinds(found)


@pytest.mark.parametrize(("mean", "fires"), [(4.9, False), (5.0, True), (5.1, True)])
def test_pain_rising_two_points_over_baseline_for_a_week_fires(mean, fires):
    found = kinds(evaluate(facts(template=LOW_BACK_PAIN, pain_baseline=3.0, weeks={
        2: WeekFigures(sessions=3, pain_mean=mean, booklet_done=20)})))
    assert (FlagKind.PAIN_RISE in found) is fires
    if fires:
        assert found[FlagKind.PAIN_RISE].evidence["baseline"] == 3.0


def test_pain_is_not_compared_with_its_own_baseline_week():
    found = evaluate(facts(week=2, template=LOW_BACK_PAIN, pain_baseline=3.0, weeks={
        1: WeekFigures(sessions=3, pain_mean=8, booklet_done=20)}))
    assert FlagKind.PAIN_RISE not in kinds(found)


# --- Booklet -------------------------------------------------------------------------------


@pytest.mark.parametrize(("done", "fires"), [(9.5, True), (10, False), (10.5, False)])
def test_booklet_under_half_of_the_prescribed_exercises_fires(done, fires):
    found = kinds(evaluate(facts(weeks={2: WeekFigures(sessions=5, booklet_done=done)})))
    assert (FlagKind.BOOKLET in found) is fires


# --- Follow-up rupture ---------------------------------------------------------------------


@pytest.mark.parametrize(("counts", "fires"), [
    ((2, 2, 2), True), ((0, 0, 0), True), ((2, 3, 2), False), ((3, 3, 3), False),
])
def test_follow_up_rupture_is_three_weeks_under_three_sessions(counts, fires):
    weeks = {w: WeekFigures(sessions=c) for w, c in zip((20, 21, 22), counts, strict=True)}
    found = kinds(evaluate(facts(week=23, weeks=weeks)))
    assert (FlagKind.FOLLOW_UP_RUPTURE in found) is fires
    if fires:
        rupture = found[FlagKind.FOLLOW_UP_RUPTURE]
        assert rupture.evidence["sessions"] == list(counts)


def test_a_rupture_seen_in_the_tablet_logs_is_the_referents_flag_seed_003_l4188():
    # Only the +3 and +6 month calls send a rupture to the committee (l.4188-4228).
    weeks = {w: WeekFigures(sessions=1) for w in (20, 21, 22)}
    rupture = kinds(evaluate(facts(week=23, weeks=weeks)))[FlagKind.FOLLOW_UP_RUPTURE]
    assert not rupture.committee and rupture.severity == Severity.MODERATE
    assert rupture.evidence["proposal"] == "encourage_and_revisit_project"


@pytest.mark.parametrize(("days", "fires"), [((1, 1, 1), True), ((2, 1, 1), False)])
def test_low_back_pain_follow_up_minimum_is_two_a_week_seed_002(days, fires):
    # A low back pain patient keeping their 2 a week is not in rupture (not the respiratory 3).
    weeks = {w: WeekFigures(sessions=0, active_days=d)
             for w, d in zip((20, 21, 22), days, strict=True)}
    found = kinds(evaluate(facts(template=LOW_BACK_PAIN, week=23, weeks=weeks)))
    assert (FlagKind.FOLLOW_UP_RUPTURE in found) is fires


def test_a_suspended_enrolment_raises_no_adherence_silence_or_rupture_flag():
    short = {w: WeekFigures(sessions=0) for w in range(1, 30)}
    assert kinds(evaluate(facts(week=4, weeks=short, days_silent=20, suspended=True))) == {}
    assert kinds(evaluate(facts(week=23, weeks=short, days_silent=20, suspended=True))) == {}
    event = {"event_id": 1, "kind": "fall", "day": "2026-03-10", "warning_signs": []}
    found = kinds(evaluate(facts(week=4, weeks=short, suspended=True, new_events=[event])))
    assert set(found) == {FlagKind.HEALTH_EVENT}


@pytest.mark.parametrize(("project", "counts", "fires"), [
    (2, (2, 2, 2), False), (2, (1, 1, 1), True), (5, (4, 4, 4), True), (5, (4, 5, 4), False),
])
def test_follow_up_rupture_is_measured_against_the_activity_project(project, counts, fires):
    weeks = {w: WeekFigures(sessions=c) for w, c in zip((20, 21, 22), counts, strict=True)}
    found = kinds(evaluate(facts(week=23, weeks=weeks, activity_project=project)))
    assert (FlagKind.FOLLOW_UP_RUPTURE in found) is fires
    if fires:
        assert found[FlagKind.FOLLOW_UP_RUPTURE].evidence["project_sessions_per_week"] == project


def test_follow_up_rupture_needs_three_whole_follow_up_weeks():
    weeks = {w: WeekFigures(sessions=0) for w in range(12, 16)}
    assert FlagKind.FOLLOW_UP_RUPTURE not in kinds(evaluate(facts(week=15, weeks=weeks)))
    assert FlagKind.FOLLOW_UP_RUPTURE in kinds(evaluate(facts(week=16, weeks=weeks)))


def test_a_committee_rupture_proposes_a_reinforcement_visit_then_a_reorientation():
    first = rupture_firing(RESPIRATORY, START, date(2026, 6, 30), False, {}, committee=True)
    assert first.committee and first.severity == Severity.HIGH
    assert first.evidence["proposal"] == "reinforcement_visit"
    second = rupture_firing(RESPIRATORY, START, date(2026, 6, 30), True, {}, committee=True)
    assert second.evidence["proposal"] == "reorientation"


def test_reinforcement_windows_are_follow_up_months_four_and_seven_seed_003_l4231():
    windows = reinforcement_windows(RESPIRATORY, START)
    assert windows == [(4, date(2026, 6, 30), date(2026, 7, 29)),
                       (7, date(2026, 9, 30), date(2026, 10, 29))]


def test_reinforcement_visit_falls_in_follow_up_month_four_or_seven():
    dates = programme_dates(RESPIRATORY, START)  # follow-up starts 2026-03-30
    assert dates.follow_up_start == date(2026, 3, 30)
    # A rupture at the +3 month call (2026-06-30): month 4 runs 06-30 to 07-29.
    assert reinforcement_visit_day(RESPIRATORY, START, date(2026, 6, 30)) == date(2026, 7, 7)
    # Detected early, the visit waits for month 4.
    assert reinforcement_visit_day(RESPIRATORY, START, date(2026, 5, 10)) == date(2026, 6, 30)
    # Too late for month 4: month 7 (from 2026-09-30).
    assert reinforcement_visit_day(RESPIRATORY, START, date(2026, 7, 25)) == date(2026, 9, 30)
    # Past month 7: no slot is left for a visit and its four weeks of calls.
    assert reinforcement_visit_day(RESPIRATORY, START, date(2026, 10, 25)) is None


def test_reinforcement_months_follow_the_calendar_across_month_ends():
    start = date(2025, 11, 8)
    assert programme_dates(RESPIRATORY, start).follow_up_start == date(2026, 1, 31)
    # Month 4 opens on 30 April (no 31st), not on 1 May.
    assert reinforcement_visit_day(RESPIRATORY, start, date(2026, 4, 20)) == date(2026, 4, 30)
    assert reinforcement_visit_day(RESPIRATORY, start, date(2026, 4, 23)) == date(2026, 4, 30)
    assert reinforcement_visit_day(RESPIRATORY, start, date(2026, 4, 24)) == date(2026, 5, 1)
    # Month 4 ends on 30 May; a rupture on 24 May is too late for it: month 7 (31 July).
    assert reinforcement_visit_day(RESPIRATORY, start, date(2026, 5, 24)) == date(2026, 7, 31)


# --- Health events and heart rate ---------------------------------------------------------


def test_hospitalisation_in_intervention_is_critical_and_escalated():
    event = {"event_id": 1, "kind": HealthEventKind.HOSPITALISATION.value, "day": "2026-01-20",
             "warning_signs": []}
    flag = kinds(evaluate(facts(new_events=[event])))[FlagKind.HEALTH_EVENT]
    assert flag.severity == Severity.CRITICAL and flag.escalate


def test_health_event_in_follow_up_is_not_escalated_at_once():
    event = {"event_id": 1, "kind": "fall", "day": "2026-05-20", "warning_signs": []}
    found = kinds(evaluate(facts(week=20, weeks={w: WeekFigures(sessions=4)
                                                 for w in range(17, 20)}, new_events=[event])))
    assert found[FlagKind.HEALTH_EVENT].escalate is False
    assert facts(week=20).phase == Phase.FOLLOW_UP


def test_warning_signs_raise_a_pain_flare_to_high():
    flare = {"event_id": 1, "kind": "pain_flare", "day": "2026-01-20", "warning_signs": []}
    assert kinds(evaluate(facts(new_events=[flare])))[FlagKind.HEALTH_EVENT].severity == 2
    flare["warning_signs"] = ["fever"]
    assert kinds(evaluate(facts(new_events=[flare])))[FlagKind.HEALTH_EVENT].severity == 3


@pytest.mark.parametrize(("hr_max", "hr_rest", "reasons"), [
    (130, 70, []), (131, 70, ["max_above_ceiling"]), (129, 55, []),
    (120, 54, ["rest_below_band"]), (120, 100, []), (120, 101, ["rest_above_band"]),
    (None, None, []),
])
def test_heart_rate_limits_are_the_ceiling_and_the_resting_band(hr_max, hr_rest, reasons):
    assert unsafe_heart_rate(hr_max, hr_rest, 130, 55, 100) == reasons


@pytest.mark.parametrize(("above_s", "reasons"), [
    (None, ["max_above_ceiling"]), (59, ["max_above_ceiling"]),
    (60, ["max_above_ceiling", "sustained_above_ceiling"]),
])
def test_time_above_the_ceiling_from_the_samples_marks_a_sustained_excursion(above_s, reasons):
    assert unsafe_heart_rate(140, 70, 130, 55, 100, above_s) == reasons


def test_unsafe_sessions_escalate_a_heart_rate_flag():
    session = {"session_id": 9, "day": "2026-01-20", "hr_max": 150, "hr_rest": 70,
               "reasons": ["max_above_ceiling"], "hr_ceiling": 130}
    flag = kinds(evaluate(facts(unsafe_sessions=[session])))[FlagKind.HEART_RATE]
    assert flag.escalate and flag.severity == Severity.HIGH


def test_every_template_has_its_rules():
    assert RULES[RESPIRATORY.code].adherence_min_sessions == 4
    assert RULES[LOW_BACK_PAIN.code].adherence_min_sessions == 2
