"""Weekly activity kept at ingest: what the sweep reads instead of the raw sessions."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import ActivityWeek, BookletItem, Enrolment
from server.services import activity_weeks
from shared.enums import Role
from shared.programmes import get_template
from tests.conftest import TODAY

START = TODAY - timedelta(days=14)  # today is the first day of week 3


@pytest.fixture
def patient(factories):
    return factories.active_patient(factories.user(Role.REFERENT), start=START)


def weeks_of(patient) -> dict[int, ActivityWeek]:
    rows = db.session.scalars(select(ActivityWeek).where(
        ActivityWeek.enrolment_id == patient.enrolments[-1].id))
    return {row.week: row for row in rows}


def figures(row: ActivityWeek) -> dict[str, Any]:
    return {"week_start": row.week_start, "sessions": row.sessions,
            "dyspnoea": histogram(row), "pain_sum": row.pain_sum,
            "pain_count": row.pain_count, "booklet_credit": row.booklet_credit,
            "hr_max_peak": row.hr_max_peak, "hr_rest_low": row.hr_rest_low,
            "hr_rest_high": row.hr_rest_high}


_STAGGER = itertools.count()


def histogram(row: ActivityWeek) -> dict[int, int]:
    """The week's sessions by dyspnoea score, the levels nobody scored left out."""
    counts = {level: getattr(row, f"dyspnoea_{level}") for level in range(11)}
    return {level: count for level, count in counts.items() if count}


def session_item(clock, day, **overrides: Any) -> dict[str, Any]:
    """A session as the tablet sends it, at 10:00 local time on ``day``."""
    started = (datetime.combine(day, time(10, 0), tzinfo=clock.tz)
               + timedelta(minutes=40 * (next(_STAGGER) % 12)))  # never overlapping
    return {"id": str(uuid.uuid4()), "started_at": started.isoformat(), "duration_s": 1800,
            "watts": 40, "hr_rest": 70, "hr_mean": 100, "hr_max": 120, "dyspnoea": 3,
            "source": "manual", **overrides}


def test_sessions_sent_by_the_tablet_are_counted_in_their_programme_week(
        client, auth, patient, clock):
    items = [session_item(clock, START, dyspnoea=7, hr_max=150, hr_rest=60),
             session_item(clock, START + timedelta(days=6), dyspnoea=8, hr_rest=80),
             session_item(clock, START + timedelta(days=7), dyspnoea=2)]
    response = client.post("/api/v1/me/sessions", json={"items": items},
                           headers=auth.device(patient))
    assert response.status_code == 200
    weeks = weeks_of(patient)
    assert figures(weeks[1]) == {
        "week_start": START, "sessions": 2, "dyspnoea": {7: 1, 8: 1}, "pain_sum": 0,
        "pain_count": 0, "booklet_credit": 0.0, "hr_max_peak": 150, "hr_rest_low": 60,
        "hr_rest_high": 80}
    assert (weeks[2].week_start, weeks[2].sessions, histogram(weeks[2])) == (
        START + timedelta(days=7), 1, {2: 1})


def test_a_batch_sent_twice_leaves_the_same_weeks(client, auth, patient, clock):
    items = [session_item(clock, START + timedelta(days=d)) for d in (0, 2, 8)]
    for _ in range(2):
        client.post("/api/v1/me/sessions", json={"items": items},
                    headers=auth.device(patient))
    assert {w: row.sessions for w, row in weeks_of(patient).items()} == {1: 2, 2: 1}


def test_booklet_entries_credit_their_week_half_for_partly_done(
        client, auth, patient, plan_of):
    headers = auth.device(patient)
    exercise = plan_of(headers)["booklet"][0]["id"]
    entries = [{"id": str(uuid.uuid4()), "item_id": exercise,
                "day": (START + timedelta(days=d)).isoformat(), "status": status}
               for d, status in ((7, "done"), (8, "partial"), (9, "not_done"), (10, "done"))]
    assert client.post("/api/v1/me/booklet-entries", json={"items": entries},
                       headers=headers).status_code == 200
    week = weeks_of(patient)[2]
    assert (week.sessions, week.booklet_credit) == (0, 2.5)


def test_weeks_keep_the_scores_of_every_template_and_leave_out_unscored_sessions(factories):
    # A measure, not a judgement: whether 9/10 is high for this template is the rules' call,
    # made when the week is read.
    referent = factories.user(Role.REFERENT)
    low_back = factories.active_patient(referent, start=START, programme="low_back_pain_home",
                                        first_name="Lea")
    factories.sessions(low_back, [START], dyspnoea=9, pain_eva=4)
    factories.sessions(low_back, [START + timedelta(days=1)], dyspnoea=None, pain_eva=6)
    week = weeks_of(low_back)[1]
    assert (week.sessions, histogram(week), week.pain_sum, week.pain_count) == (2, {9: 1}, 10, 2)


def test_a_late_week_one_session_moves_the_pain_baseline(factories):
    patient = factories.active_patient(factories.user(Role.REFERENT), start=START,
                                       programme="low_back_pain_home")
    factories.sessions(patient, [START, START + timedelta(days=1)], pain_eva=3)
    enrolment = patient.enrolments[-1]
    assert enrolment.pain_baseline == 3.0
    factories.sessions(patient, [START + timedelta(days=2)], pain_eva=6)  # sent offline, late
    db.session.refresh(enrolment)
    assert enrolment.pain_baseline == 4.0
    factories.sessions(patient, [START + timedelta(days=8)], pain_eva=9)  # week 2: no effect
    db.session.refresh(enrolment)
    assert enrolment.pain_baseline == 4.0


def test_rebuild_gives_the_rows_that_ingest_kept(client, auth, patient, factories, clock):
    other = factories.active_patient(factories.user(Role.REFERENT), start=START,
                                     programme="low_back_pain_home", first_name="Paul")
    factories.sessions(other, [START, START + timedelta(days=9)], pain_eva=5, dyspnoea=8)
    client.post("/api/v1/me/sessions", json={"items": [
        session_item(clock, START + timedelta(days=d), hr_max=110 + d) for d in (1, 3, 12)]},
        headers=auth.device(patient))
    kept = {(w.enrolment_id, w.week): figures(w) for w in db.session.scalars(
        select(ActivityWeek))}
    baselines = dict(db.session.execute(select(Enrolment.id, Enrolment.pain_baseline)).all())
    activity_weeks.rebuild()
    db.session.commit()
    db.session.expire_all()
    assert {(w.enrolment_id, w.week): figures(w)
            for w in db.session.scalars(select(ActivityWeek))} == kept
    assert dict(db.session.execute(select(Enrolment.id, Enrolment.pain_baseline)).all()) \
        == baselines
    assert len(kept) == 4


def test_the_booklet_volume_is_kept_on_the_enrolment_at_the_start(patient):
    enrolment = patient.enrolments[-1]
    template = get_template(enrolment.programme_code)
    items = db.session.scalars(select(BookletItem).where(
        BookletItem.enrolment_id == enrolment.id)).all()
    assert enrolment.booklet_per_week == sum(i.per_week for i in items) \
        == sum(e.per_week for e in template.booklet) > 0
