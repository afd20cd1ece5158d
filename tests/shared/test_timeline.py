"""The programme timeline: properties over start dates, templates and lengths, and examples.

Start dates run over 2020-2035 so that every weekday, leap years and both
daylight-saving changes of Europe/Paris are crossed.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.enums import Channel, ContactKind, Phase
from shared.programmes import LOW_BACK_PAIN, RESPIRATORY, TEMPLATES, get_template
from shared.timeline import (
    FOLLOW_UP_CALL_TOLERANCE_DAYS,
    FOLLOW_UP_CONSULTATION_TOLERANCE_DAYS,
    PARIS,
    SYNTHESIS_WINDOW_DAYS,
    PlannedContact,
    add_months,
    build_timeline,
    local_midnight,
    phase_on,
    programme_dates,
    reinforcement_contacts,
    week_of,
)

PROPERTY = settings(max_examples=200, deadline=None)

starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
intervention_lengths = st.integers(min_value=8, max_value=14)
base_templates = st.sampled_from([RESPIRATORY, LOW_BACK_PAIN])
templates = st.builds(
    lambda template, weeks: template.with_intervention_weeks(weeks),
    base_templates, intervention_lengths,
)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def last_sunday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - calendar.SUNDAY) % 7)


def paris_summer_time_at_ten(day: date) -> bool:
    """EU rule, computed independently of zoneinfo: summer time from the last Sunday
    of March to the last Sunday of October (both changes happen before 10:00)."""
    return last_sunday(day.year, 3) <= day < last_sunday(day.year, 10)


def by_key(contacts: list[PlannedContact]) -> dict[str, PlannedContact]:
    return {c.key: c for c in contacts}


def elapsed(opens: datetime, closes: datetime) -> timedelta:
    """Real elapsed time (aware datetimes of the same tzinfo subtract as wall time)."""
    return closes.astimezone(UTC) - opens.astimezone(UTC)


# --- Properties of the whole timeline -------------------------------------------------


@PROPERTY
@given(template=templates, start=starts)
def test_every_window_lies_inside_the_programme(template, start):
    dates = programme_dates(template, start)
    programme_opens = local_midnight(dates.start)
    programme_closes = local_midnight(dates.end + DAY)
    for contact in build_timeline(template, start):
        if contact.phase == Phase.BEFORE_START:
            # The consultation that prescribed the programme: wholly before it.
            assert contact.window_closes <= programme_opens, contact
            continue
        assert programme_opens <= contact.window_opens, contact
        assert contact.window_closes <= programme_closes, contact


@PROPERTY
@given(template=templates, start=starts)
def test_due_time_lies_inside_its_half_open_window(template, start):
    for contact in build_timeline(template, start):
        assert contact.window_opens <= contact.due_at < contact.window_closes, contact
        assert contact.window_opens < contact.window_closes, contact


@PROPERTY
@given(template=templates, start=starts)
def test_no_contact_is_due_outside_the_programme(template, start):
    dates = programme_dates(template, start)
    for contact in build_timeline(template, start):
        if contact.key == "specialist:w0":
            continue  # the prescribing consultation, before the start (seed 003 l.4552)
        assert dates.start <= contact.due_date <= dates.end, contact
        assert phase_on(template, start, contact.due_date) not in (
            Phase.BEFORE_START, Phase.ENDED), contact


@PROPERTY
@given(template=templates, start=starts)
def test_phase_field_matches_the_phase_of_the_due_day(template, start):
    for contact in build_timeline(template, start):
        assert contact.phase == phase_on(template, start, contact.due_date), contact


@PROPERTY
@given(template=templates, start=starts)
def test_every_intervention_contact_is_due_before_every_follow_up_contact(template, start):
    timeline = build_timeline(template, start)
    intervention = [c for c in timeline if c.phase == Phase.INTERVENTION]
    follow_up = [c for c in timeline if c.phase == Phase.FOLLOW_UP]
    assert intervention and follow_up
    assert {c.phase for c in timeline} - {Phase.BEFORE_START} == {Phase.INTERVENTION,
                                                                    Phase.FOLLOW_UP}
    assert max(c.due_at for c in intervention) < min(c.due_at for c in follow_up)


@PROPERTY
@given(template=templates, start=starts)
def test_windows_stay_inside_their_own_phase(template, start):
    boundary = local_midnight(programme_dates(template, start).follow_up_start)
    for contact in build_timeline(template, start):
        if contact.phase in (Phase.BEFORE_START, Phase.INTERVENTION):
            assert contact.window_closes <= boundary, contact
        else:
            assert contact.window_opens >= boundary, contact


@PROPERTY
@given(template=templates, start=starts)
def test_keys_are_unique(template, start):
    keys = [c.key for c in build_timeline(template, start)]
    assert len(keys) == len(set(keys))


@PROPERTY
@given(template=templates, start=starts)
def test_timeline_is_deterministic(template, start):
    assert build_timeline(template, start) == build_timeline(template, start)


@PROPERTY
@given(template=templates, start=starts)
def test_timeline_is_sorted_in_due_order(template, start):
    timeline = build_timeline(template, start)
    order = [(c.due_at.astimezone(UTC), c.key) for c in timeline]
    assert order == sorted(order)


@PROPERTY
@given(template=templates, start=starts)
def test_due_at_is_ten_oclock_paris_with_the_seasonal_offset(template, start):
    for contact in build_timeline(template, start):
        due = contact.due_at
        assert due.tzinfo is PARIS
        assert due.time() == time(10, 0)
        expected = 2 * HOUR if paris_summer_time_at_ten(due.date()) else HOUR
        assert due.utcoffset() == expected, contact
        # The same instant read back in Paris is still 10:00 (no gap, no fold).
        assert due.astimezone(UTC).astimezone(PARIS).time() == time(10, 0)


@PROPERTY
@given(template=templates, start=starts)
def test_windows_are_whole_local_days_even_across_dst(template, start):
    for contact in build_timeline(template, start):
        opens, closes = contact.window_opens, contact.window_closes
        assert opens.tzinfo is PARIS and closes.tzinfo is PARIS
        assert opens.time() == time(0, 0) and closes.time() == time(0, 0)
        wall_days = (closes.date() - opens.date()).days
        assert wall_days >= 1
        assert closes - opens == timedelta(days=wall_days)  # wall-time difference
        # Real duration: 24 h a day, minus the hour lost in spring, plus the one won in autumn.
        shift = opens.utcoffset() - closes.utcoffset()
        assert elapsed(opens, closes) == timedelta(days=wall_days) + shift


@PROPERTY
@given(template=templates, start=starts)
def test_follow_up_calls_and_consultations_land_on_calendar_months(template, start):
    dates = programme_dates(template, start)
    timeline = build_timeline(template, start)
    tolerances = {
        ContactKind.FOLLOW_UP_CALL: FOLLOW_UP_CALL_TOLERANCE_DAYS,
        ContactKind.FOLLOW_UP_CONSULTATION: FOLLOW_UP_CONSULTATION_TOLERANCE_DAYS,
    }
    monthly = [c for c in timeline if c.kind in tolerances]
    expected_months = sorted(template.follow_up_call_months
                             + template.follow_up_consultation_months)
    assert sorted(c.month for c in monthly) == expected_months
    for contact in monthly:
        due = min(add_months(dates.follow_up_start, contact.month), dates.end)
        tolerance = timedelta(days=tolerances[contact.kind])
        assert contact.due_date == due, contact
        assert contact.window_opens == local_midnight(max(due - tolerance,
                                                          dates.follow_up_start))
        assert contact.window_closes == local_midnight(min(due + tolerance, dates.end) + DAY)


@PROPERTY
@given(template=templates, start=starts)
def test_synthesis_is_due_on_the_last_day_with_a_two_week_window(template, start):
    dates = programme_dates(template, start)
    (synthesis,) = [c for c in build_timeline(template, start) if c.key == "synthesis:m12"]
    assert synthesis.kind == ContactKind.SYNTHESIS and synthesis.month == 12
    assert synthesis.due_date == dates.end
    assert synthesis.window_closes == local_midnight(dates.end + DAY)
    assert (synthesis.window_closes.date() - synthesis.window_opens.date()).days == (
        SYNTHESIS_WINDOW_DAYS)


@PROPERTY
@given(template=templates, start=starts)
def test_syntheses_follow_the_visit_they_report_on(template, start):
    dates = programme_dates(template, start)
    contacts = by_key(build_timeline(template, start))
    visits = {"synthesis:w0": ("visit:w0", 0),
              "synthesis:w6": (f"visit:w{template.mid_week}", template.mid_week),
              "synthesis:w12": (f"visit:w{template.intervention_weeks}",
                                template.intervention_weeks)}
    for key, (visit_key, week) in visits.items():
        synthesis, visit = contacts[key], contacts[visit_key]
        assert synthesis.kind == ContactKind.SYNTHESIS and synthesis.week == week
        # Written after the visit, due a week after the end of its week, within two weeks.
        assert synthesis.due_at > visit.due_at
        assert synthesis.window_closes > synthesis.due_at > synthesis.window_opens
        assert (synthesis.window_closes.date() - synthesis.due_date).days == 8
    assert contacts["synthesis:w12"].phase == Phase.FOLLOW_UP
    assert contacts["synthesis:w12"].window_opens == local_midnight(dates.follow_up_start)


@PROPERTY
@given(template=templates, start=starts)
def test_intervention_contacts_fall_in_their_programme_week(template, start):
    for contact in build_timeline(template, start):
        # Syntheses are written after the visit they report on (test below).
        if contact.phase != Phase.INTERVENTION or contact.kind == ContactKind.SYNTHESIS:
            continue
        if contact.week == 0:
            assert contact.due_date == start, contact
        else:
            assert week_of(start, contact.due_date) == contact.week, contact
            first = start + timedelta(days=7 * (contact.week - 1))
            assert contact.window_opens == local_midnight(first)
            assert contact.window_closes == local_midnight(first + timedelta(days=7))


@PROPERTY
@given(template=templates, start=starts)
def test_visits_are_at_w0_mid_term_and_last_week(template, start):
    weeks = template.intervention_weeks
    mid = (weeks + 1) // 2
    contacts = by_key(build_timeline(template, start))
    assert contacts["visit:w0"].kind == ContactKind.INCLUSION_VISIT
    assert contacts[f"visit:w{mid}"].kind == ContactKind.HOME_VISIT
    assert contacts[f"visit:w{weeks}"].kind == ContactKind.CLOSING_VISIT
    visits = {c.key for c in contacts.values() if c.channel == Channel.HOME}
    assert visits == {"visit:w0", f"visit:w{mid}", f"visit:w{weeks}"}
    calls = sorted(c.week for c in contacts.values() if c.kind == ContactKind.WEEKLY_CALL)
    assert tuple(calls) == template.weekly_call_weeks()


# --- DST examples ---------------------------------------------------------------------


def test_spring_dst_change_puts_calls_on_both_offsets():
    # 2026-03-29 is the last Sunday of March: summer time starts that night.
    contacts = by_key(build_timeline(RESPIRATORY, date(2026, 3, 1)))
    before, after = contacts["call:w4"], contacts["call:w5"]
    assert before.due_at.date() == date(2026, 3, 26)
    assert before.due_at.utcoffset() == HOUR
    assert after.due_at.date() == date(2026, 4, 2)
    assert after.due_at.utcoffset() == 2 * HOUR
    assert before.due_at.time() == after.due_at.time() == time(10, 0)
    assert before.due_at.astimezone(UTC).hour == 9
    assert after.due_at.astimezone(UTC).hour == 8


def test_week_window_across_spring_change_is_seven_days_of_167_hours():
    call = by_key(build_timeline(RESPIRATORY, date(2026, 3, 1)))["call:w5"]
    assert call.window_opens == datetime(2026, 3, 29, tzinfo=PARIS)
    assert call.window_closes == datetime(2026, 4, 5, tzinfo=PARIS)
    assert call.window_opens.utcoffset() == HOUR
    assert call.window_closes.utcoffset() == 2 * HOUR
    assert elapsed(call.window_opens, call.window_closes) == timedelta(hours=167)


def test_week_window_across_autumn_change_is_seven_days_of_169_hours():
    # 2026-10-25 is the last Sunday of October; week 4 of a 2026-10-04 start covers it.
    call = by_key(build_timeline(RESPIRATORY, date(2026, 10, 4)))["call:w4"]
    assert call.window_opens == datetime(2026, 10, 25, tzinfo=PARIS)
    assert call.window_closes == datetime(2026, 11, 1, tzinfo=PARIS)
    assert elapsed(call.window_opens, call.window_closes) == timedelta(hours=169)
    assert call.due_at.utcoffset() == HOUR


# --- Follow-up months at month ends ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "follow_up_start", "expected"),
    [
        # follow-up starts on 31 January 2027: +1 month is 28 February
        (date(2026, 11, 8), date(2027, 1, 31),
         {1: date(2027, 2, 28), 2: date(2027, 3, 31), 3: date(2027, 4, 30),
          6: date(2027, 7, 31), 9: date(2027, 10, 31)}),
        # leap year: 31 January 2028 + 1 month is 29 February
        (date(2027, 11, 8), date(2028, 1, 31),
         {1: date(2028, 2, 29), 2: date(2028, 3, 31), 3: date(2028, 4, 30),
          6: date(2028, 7, 31), 9: date(2028, 10, 31)}),
        # 31 August + 1 month is 30 September
        (date(2026, 6, 8), date(2026, 8, 31),
         {1: date(2026, 9, 30), 2: date(2026, 10, 31), 3: date(2026, 11, 30),
          6: date(2027, 2, 28), 9: date(2027, 5, 31)}),
    ],
)
def test_follow_up_calls_at_month_ends_are_clamped_to_the_shorter_month(
    start, follow_up_start, expected
):
    assert programme_dates(RESPIRATORY, start).follow_up_start == follow_up_start
    contacts = by_key(build_timeline(RESPIRATORY, start))
    got = {m: contacts[f"call:m{m}"].due_date for m in expected}
    assert got == expected


def test_low_back_pain_consultations_at_month_ends():
    contacts = by_key(build_timeline(LOW_BACK_PAIN, date(2026, 11, 8)))
    assert contacts["call:m5"].due_date == date(2027, 6, 30)
    assert contacts["consultation:m3"].due_date == date(2027, 4, 30)
    assert contacts["consultation:m6"].due_date == date(2027, 7, 31)


def test_last_follow_up_call_window_is_cut_at_the_programme_end():
    contacts = by_key(build_timeline(RESPIRATORY, date(2026, 3, 1)))
    end = programme_dates(RESPIRATORY, date(2026, 3, 1)).end
    assert end == date(2027, 2, 27)
    call = contacts["call:m9"]
    assert call.due_date == date(2027, 2, 24)
    assert call.window_opens == datetime(2027, 2, 17, tzinfo=PARIS)
    assert call.window_closes == datetime(2027, 2, 28, tzinfo=PARIS)  # not 3 March


# --- add_months -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 10, 31), 4, date(2027, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 10), -1, date(2025, 12, 10)),
    ],
)
def test_add_months_examples(day, months, expected):
    assert add_months(day, months) == expected


month_counts = st.integers(min_value=-120, max_value=120)


@PROPERTY
@given(day=starts, months=month_counts)
def test_add_months_never_exceeds_the_month_length(day, months):
    result = add_months(day, months)
    assert 1 <= result.day <= calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(day.day, calendar.monthrange(result.year, result.month)[1])


@PROPERTY
@given(day=starts, months=month_counts)
def test_add_months_moves_to_the_right_calendar_month(day, months):
    result = add_months(day, months)
    assert result.month == (day.month - 1 + months) % 12 + 1
    assert result.year * 12 + result.month == day.year * 12 + day.month + months


@PROPERTY
@given(day=starts.filter(lambda d: d.day <= 28), months=month_counts)
def test_add_months_keeps_a_day_up_to_the_28th(day, months):
    assert add_months(day, months).day == day.day


@PROPERTY
@given(day=starts, months=st.integers(min_value=0, max_value=120))
def test_add_months_is_strictly_increasing_in_months(day, months):
    assert add_months(day, 0) == day
    assert add_months(day, months) < add_months(day, months + 1)


# --- week_of, phase_on and programme_dates ------------------------------------------


def test_week_of_examples():
    start = date(2026, 3, 2)
    assert week_of(start, start) == 1
    assert week_of(start, start - DAY) == 0
    assert week_of(start, start - timedelta(days=400)) == 0
    assert week_of(start, start + timedelta(days=6)) == 1
    assert week_of(start, start + timedelta(days=7)) == 2
    assert week_of(start, start + timedelta(days=83)) == 12
    assert week_of(start, start + timedelta(days=84)) == 13


@PROPERTY
@given(start=starts, offset=st.integers(min_value=-1000, max_value=1000))
def test_week_of_counts_seven_day_weeks_from_the_start(start, offset):
    day = start + timedelta(days=offset)
    week = week_of(start, day)
    if offset < 0:
        assert week == 0
    else:
        assert week == offset // 7 + 1
        assert week_of(start, day + timedelta(days=7)) == week + 1
    assert week_of(start, day + DAY) >= week


@PROPERTY
@given(template=templates, start=starts)
def test_programme_dates_follow_the_template_lengths(template, start):
    dates = programme_dates(template, start)
    assert dates.start == start
    assert (dates.intervention_end - start).days + 1 == 7 * template.intervention_weeks
    assert dates.follow_up_start == dates.intervention_end + DAY
    assert (dates.end - dates.follow_up_start).days + 1 == 7 * template.follow_up_weeks
    assert (dates.end - start).days + 1 == 7 * template.total_weeks
    assert week_of(start, dates.intervention_end) == template.intervention_weeks
    assert week_of(start, dates.end) == template.total_weeks


@PROPERTY
@given(template=templates, start=starts)
def test_phase_on_changes_exactly_at_the_boundaries(template, start):
    dates = programme_dates(template, start)
    assert phase_on(template, start, start - timedelta(days=365)) == Phase.BEFORE_START
    assert phase_on(template, start, start - DAY) == Phase.BEFORE_START
    assert phase_on(template, start, start) == Phase.INTERVENTION
    assert phase_on(template, start, dates.intervention_end) == Phase.INTERVENTION
    assert phase_on(template, start, dates.follow_up_start) == Phase.FOLLOW_UP
    assert phase_on(template, start, dates.end) == Phase.FOLLOW_UP
    assert phase_on(template, start, dates.end + DAY) == Phase.ENDED
    assert phase_on(template, start, dates.end + timedelta(days=365)) == Phase.ENDED


@PROPERTY
@given(template=templates, start=starts, offset=st.integers(min_value=-30, max_value=400))
def test_phase_on_never_goes_backwards(template, start, offset):
    order = [Phase.BEFORE_START, Phase.INTERVENTION, Phase.FOLLOW_UP, Phase.ENDED]
    day = start + timedelta(days=offset)
    today = order.index(phase_on(template, start, day))
    tomorrow = order.index(phase_on(template, start, day + DAY))
    assert today <= tomorrow <= today + 1


def test_phase_on_example_for_a_twelve_week_programme():
    start = date(2026, 3, 2)
    assert phase_on(RESPIRATORY, start, date(2026, 5, 24)) == Phase.INTERVENTION
    assert phase_on(RESPIRATORY, start, date(2026, 5, 25)) == Phase.FOLLOW_UP
    assert phase_on(RESPIRATORY, start, date(2027, 2, 28)) == Phase.FOLLOW_UP
    assert phase_on(RESPIRATORY, start, date(2027, 3, 1)) == Phase.ENDED


# --- Templates ------------------------------------------------------------------------


def test_respiratory_timeline_has_the_seed_003_schedule():
    contacts = by_key(build_timeline(RESPIRATORY, date(2026, 3, 2)))
    weekly = {f"call:w{w}" for w in range(1, 13)}
    visits = {"visit:w0", "visit:w6", "visit:w12"}
    specialists = {"specialist:w0", "specialist:w6", "specialist:w12"}
    follow_up = {f"call:m{m}" for m in (1, 2, 3, 6, 9)}
    syntheses = {"synthesis:w0", "synthesis:w6", "synthesis:w12", "synthesis:m12"}
    assert set(contacts) == weekly | visits | specialists | follow_up | syntheses
    assert all(contacts[k].kind == ContactKind.WEEKLY_CALL for k in weekly)
    assert all(contacts[k].channel == Channel.PHONE for k in weekly | follow_up)
    assert all(contacts[k].kind == ContactKind.SPECIALIST_CONSULTATION for k in specialists)
    assert all(contacts[k].channel == Channel.CLINIC for k in specialists)
    assert all(contacts[k].channel == Channel.HOME for k in visits)
    assert all(contacts[k].kind == ContactKind.FOLLOW_UP_CALL for k in follow_up)
    assert contacts["synthesis:m12"].channel == Channel.OFFICE
    assert contacts["visit:w0"].due_date == date(2026, 3, 2)
    # The first pneumologist consultation prescribes the programme, before it starts
    # (seed 003 l.4552-4561), not on the start day.
    assert contacts["specialist:w0"].due_date == date(2026, 2, 23)
    assert contacts["specialist:w0"].phase == Phase.BEFORE_START
    assert contacts["specialist:w0"].window_closes == datetime(2026, 3, 2, tzinfo=PARIS)
    assert RESPIRATORY.weekly_call_weeks() == tuple(range(1, 13))


def test_low_back_pain_calls_weekly_for_four_weeks_then_every_other_week():
    assert LOW_BACK_PAIN.weekly_call_weeks() == (1, 2, 3, 4, 6, 8, 10, 12)
    assert LOW_BACK_PAIN.with_intervention_weeks(14).weekly_call_weeks() == (
        1, 2, 3, 4, 6, 8, 10, 12, 14)
    assert LOW_BACK_PAIN.with_intervention_weeks(13).weekly_call_weeks() == (
        1, 2, 3, 4, 6, 8, 10, 12)


def test_low_back_pain_timeline_has_no_specialist_and_two_consultations():
    contacts = by_key(build_timeline(LOW_BACK_PAIN, date(2026, 3, 2)))
    expected = (
        {f"call:w{w}" for w in (1, 2, 3, 4, 6, 8, 10, 12)}
        | {"visit:w0", "visit:w6", "visit:w12"}
        | {f"call:m{m}" for m in (1, 2, 3, 5)}
        | {"consultation:m3", "consultation:m6"}
        | {"synthesis:w0", "synthesis:w6", "synthesis:w12", "synthesis:m12"}
    )
    assert set(contacts) == expected
    assert contacts["consultation:m3"].kind == ContactKind.FOLLOW_UP_CONSULTATION
    assert contacts["consultation:m3"].channel == Channel.OFFICE
    assert not [c for c in contacts.values()
                if c.kind == ContactKind.SPECIALIST_CONSULTATION]


def test_shortened_respiratory_programme_after_an_ssr_stay():
    template = RESPIRATORY.with_intervention_weeks(10)
    contacts = by_key(build_timeline(template, date(2026, 3, 2)))
    assert {k for k in contacts if k.startswith("call:w")} == {
        f"call:w{w}" for w in range(1, 11)}
    assert {k for k in contacts if k.startswith("visit:")} == {
        "visit:w0", "visit:w5", "visit:w10"}
    assert contacts["visit:w10"].kind == ContactKind.CLOSING_VISIT
    assert programme_dates(template, date(2026, 3, 2)).follow_up_start == date(2026, 5, 11)


@pytest.mark.parametrize("weeks", [3, 17, 0, -1])
@pytest.mark.parametrize("template", [RESPIRATORY, LOW_BACK_PAIN], ids=lambda t: t.code)
def test_with_intervention_weeks_refuses_lengths_outside_4_to_16(template, weeks):
    with pytest.raises(ValueError, match="between 4 and 16"):
        template.with_intervention_weeks(weeks)


@pytest.mark.parametrize("weeks", [4, 10, 16])
def test_with_intervention_weeks_changes_only_the_home_part(weeks):
    template = RESPIRATORY.with_intervention_weeks(weeks)
    assert template.intervention_weeks == weeks
    assert template.follow_up_weeks == RESPIRATORY.follow_up_weeks
    assert template.total_weeks == weeks + RESPIRATORY.follow_up_weeks
    assert template.code == RESPIRATORY.code
    assert RESPIRATORY.intervention_weeks == 12  # the shared template is untouched


def test_with_intervention_weeks_none_or_same_returns_the_template_itself():
    assert RESPIRATORY.with_intervention_weeks(None) is RESPIRATORY
    assert RESPIRATORY.with_intervention_weeks(12) is RESPIRATORY


def test_get_template_by_code_and_unknown_code():
    assert TEMPLATES == {"respiratory_home": RESPIRATORY, "low_back_pain_home": LOW_BACK_PAIN}
    assert get_template("respiratory_home") is RESPIRATORY
    assert get_template("low_back_pain_home", 10).intervention_weeks == 10
    with pytest.raises(ValueError, match="unknown programme"):
        get_template("cardiac")


# --- Reinforcement ----------------------------------------------------------------------


@st.composite
def reinforcement_cases(draw):
    template = draw(templates)
    start = draw(starts)
    dates = programme_dates(template, start)
    span = (dates.end - dates.follow_up_start).days
    visit_day = dates.follow_up_start + timedelta(days=draw(st.integers(0, span)))
    return template, start, visit_day


@PROPERTY
@given(case=reinforcement_cases())
def test_reinforcement_is_a_visit_and_up_to_four_weekly_calls_inside_follow_up(case):
    template, start, visit_day = case
    dates = programme_dates(template, start)
    contacts = reinforcement_contacts(template, start, visit_day)
    visit, calls = contacts[0], contacts[1:]
    assert visit.kind == ContactKind.REINFORCEMENT_VISIT
    assert visit.channel == Channel.HOME
    assert visit.due_date == visit_day
    assert visit.key == f"reinforcement:{visit_day.isoformat()}"
    assert len(calls) == min(4, (dates.end - visit_day).days // 7)
    for n, call in enumerate(calls, start=1):
        assert call.kind == ContactKind.MICRO_PROJECT_CALL
        assert call.channel == Channel.PHONE
        assert call.week == n
        assert call.due_date == visit_day + timedelta(days=7 * n)
    opens, closes = local_midnight(dates.follow_up_start), local_midnight(dates.end + DAY)
    for contact in contacts:
        assert contact.phase == Phase.FOLLOW_UP
        assert phase_on(template, start, contact.due_date) == Phase.FOLLOW_UP
        assert opens <= contact.window_opens <= contact.due_at < contact.window_closes <= closes
        assert contact.due_at.time() == time(10, 0)
    keys = [c.key for c in contacts]
    assert len(keys) == len(set(keys))
    timeline_keys = {c.key for c in build_timeline(template, start)}
    assert not timeline_keys & set(keys)


def test_reinforcement_at_follow_up_start_has_four_calls():
    start = date(2026, 3, 2)
    dates = programme_dates(RESPIRATORY, start)
    contacts = reinforcement_contacts(RESPIRATORY, start, dates.follow_up_start)
    assert [c.key for c in contacts] == [
        "reinforcement:2026-05-25",
        "micro_project:2026-05-25:w1", "micro_project:2026-05-25:w2",
        "micro_project:2026-05-25:w3", "micro_project:2026-05-25:w4",
    ]
    assert contacts[0].window_closes == datetime(2026, 5, 29, tzinfo=PARIS)
    assert contacts[1].window_opens == datetime(2026, 5, 30, tzinfo=PARIS)
    assert contacts[1].window_closes == datetime(2026, 6, 4, tzinfo=PARIS)


@pytest.mark.parametrize(("days_before_end", "calls"), [(0, 0), (6, 0), (7, 1), (15, 2),
                                                         (27, 3), (28, 4), (100, 4)])
def test_reinforcement_calls_stop_at_the_programme_end(days_before_end, calls):
    start = date(2026, 3, 2)
    end = programme_dates(RESPIRATORY, start).end
    contacts = reinforcement_contacts(RESPIRATORY, start, end - timedelta(days=days_before_end))
    assert len(contacts) == 1 + calls
    assert all(c.window_closes <= local_midnight(end + DAY) for c in contacts)


def test_reinforcement_visit_on_the_last_day_has_a_one_day_window():
    start = date(2026, 3, 2)
    end = programme_dates(RESPIRATORY, start).end
    (visit,) = reinforcement_contacts(RESPIRATORY, start, end)
    assert visit.window_opens == local_midnight(end)
    assert visit.window_closes == local_midnight(end + DAY)


@pytest.mark.parametrize("where", ["before_start", "start", "intervention_end", "after_end"])
def test_reinforcement_visit_outside_follow_up_is_refused(where):
    start = date(2026, 3, 2)
    dates = programme_dates(RESPIRATORY, start)
    visit_day = {
        "before_start": start - DAY,
        "start": start,
        "intervention_end": dates.intervention_end,
        "after_end": dates.end + DAY,
    }[where]
    with pytest.raises(ValueError, match="outside the follow-up phase"):
        reinforcement_contacts(RESPIRATORY, start, visit_day)
