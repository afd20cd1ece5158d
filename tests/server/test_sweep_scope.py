"""The daily sweep judges what changed and what the day moved on, and misses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from server.clock import FixedClock
from server.extensions import db
from server.models import ScheduledContact, SweepRun
from server.models.flags import Flag
from server.services import sweep_scope
from server.services.enrolments import apply_transition
from server.services.flags import resolve
from server.services.sweep import sweep
from shared.enrolment import Action
from shared.enums import ContactStatus
from shared.rules import FlagKind
from tests.conftest import TODAY

FIRST = TODAY - timedelta(days=21)  # the first day of the scripted weeks


def on(clock: FixedClock, day: date) -> None:
    clock.set(FixedClock.on_day(day).now())


def test_each_days_sweep_of_what_changed_leaves_nothing_for_a_full_sweep_to_do(
        factories, referent, physician, clock, client, auth):
    # Three weeks of a small file, one thing happening most days through the services and
    # the API. Each day the daily sweep judges what changed; a full sweep of the same day
    # right after must find nothing left to open, update, clear or mark missed.
    on(clock, FIRST)
    patients = [factories.active_patient(referent, physician=physician,
                                         start=FIRST - timedelta(days=3 + offset))
                for offset in range(7)]  # every weekday starts a programme week
    back = factories.active_patient(referent, physician=physician, programme="low_back_pain_home",
                                    start=FIRST - timedelta(days=9))
    steady, drifting, unsafe, resolved, lowered, paused, reporting = patients
    # No flag is left open on the first day: every rule would fire on a silent start.
    for patient in (*patients, back):
        factories.sessions(patient, [FIRST - timedelta(days=d) for d in (1, 2, 3)])

    def resolve_adherence() -> None:
        flag = db.session.scalars(select(Flag).where(
            Flag.patient_id == resolved.id, Flag.kind == FlagKind.ADHERENCE,
            Flag.open_key.is_not(None))).first()
        if flag is not None:  # the referent closes it while the week is still short
            resolve(referent, flag.id, "Parlé avec la patiente, elle reprend lundi.")

    def lower_ceiling() -> None:
        lowered.hr_ceiling = 110  # its recent sessions peaked at 120
        db.session.commit()

    def report_event(day: date) -> None:
        event = {"id": str(uuid.uuid4()), "kind": "fall", "occurred_on": day.isoformat()}
        response = client.post("/api/v1/me/health-events", headers=auth.device(reporting),
                               json={"items": [event]})
        assert response.status_code == 200, response.get_json()

    def transition(action: Action) -> Callable[[], None]:
        return lambda: apply_transition(factories.enrolment(paused), physician, action, {
            "reason": "exacerbation", "review_on": TODAY + timedelta(weeks=4)})

    script: dict[int, list[Callable[[date], object]]] = {
        1: [lambda d: factories.sessions(steady, [d])],
        2: [lambda d: factories.sessions(unsafe, [d], hr_max=150)],
        4: [lambda d: resolve_adherence(), lambda d: lower_ceiling()],
        6: [lambda d: transition(Action.SUSPEND)()],
        8: [lambda d: factories.sessions(steady, [d - timedelta(days=1), d])],
        9: [lambda d: report_event(d)],
        11: [lambda d: resolve_adherence(), lambda d: factories.sessions(back, [d])],
        13: [lambda d: transition(Action.RESUME)()],
        16: [lambda d: factories.sessions(drifting, [d], dyspnoea=8),
             lambda d: factories.sessions(drifting, [d], dyspnoea=9)],
        18: [lambda d: factories.sessions(unsafe, [d], hr_max=145)],
    }
    examined = []
    for i in range(21):
        day = FIRST + timedelta(days=i)
        on(clock, day)
        for action in script.get(i, []):
            action(day)
        daily = sweep(day)
        assert daily.full == (i == 0), i
        examined.append(daily.patients_examined)
        check = sweep(day, full=True)
        assert check.writes() == (0, 0, 0, 0, 0), (day, check.as_dict(), daily.as_dict())
        assert check.patients_examined == len(patients) + 1
    # It judged fewer than the whole file on most days, and every rule had work to do.
    assert sum(1 for n in examined[1:] if n < len(patients) + 1) >= 15, examined
    kinds = set(db.session.scalars(select(Flag.kind)))
    assert {FlagKind.ADHERENCE, FlagKind.SILENCE, FlagKind.HEART_RATE, FlagKind.HEALTH_EVENT,
            FlagKind.MISSED_CONTACT, FlagKind.DYSPNOEA} <= kinds


def test_the_next_days_sweep_judges_only_the_week_that_starts(factories, referent, clock):
    # Seven patients, one starting a programme week each weekday, all heard from yesterday.
    clock.set(datetime.combine(TODAY - timedelta(days=1), time(9), clock.tz))
    patients = [factories.active_patient(referent, start=TODAY - timedelta(days=7 + offset))
                for offset in range(7)]
    clock.set(datetime.combine(TODAY - timedelta(days=1), time(18), clock.tz))
    for patient in patients:
        factories.sessions(patient, [TODAY - timedelta(days=1)])
    on(clock, TODAY)
    assert sweep(TODAY).patients_examined == 7
    assert (sweep(TODAY).full, sweep(TODAY).patients_examined) == (False, 0)
    on(clock, TODAY + timedelta(days=1))
    tomorrow = sweep(TODAY + timedelta(days=1))
    # The one started on a Tuesday begins its week, and those whose call window closed are
    # flagged; nobody reached a silence step.
    missed = set(db.session.scalars(select(ScheduledContact.enrolment_id).where(
        ScheduledContact.status == ContactStatus.MISSED,
        ScheduledContact.window_closes > clock.now() - timedelta(days=1))))
    starting = {factories.enrolment(patients[6]).id}
    assert tomorrow.full is False
    assert tomorrow.patients_examined == len(starting | missed) < 7


def test_a_silence_step_reached_today_is_judged(factories, referent, clock):
    clock.set(datetime.combine(TODAY - timedelta(days=4), time(20), clock.tz))
    patient = factories.active_patient(referent, start=TODAY - timedelta(days=10))
    factories.sessions(patient, [TODAY - timedelta(days=4)])
    on(clock, TODAY)
    assert FlagKind.SILENCE not in {f.kind for f in db.session.scalars(select(Flag))}
    sweep(TODAY)
    on(clock, TODAY + timedelta(days=1))
    summary = sweep(TODAY + timedelta(days=1))  # five days without news
    assert (summary.full, summary.patients_examined, summary.by_kind) == (
        False, 1, {"silence": 1})


def test_a_full_sweep_comes_after_a_gap_a_change_of_rules_or_a_week(
        factories, referent, clock, monkeypatch):
    factories.active_patient(referent)
    days = [TODAY + timedelta(days=i) for i in range(9)]
    fulls = []
    for day in days:
        on(clock, day)
        fulls.append(sweep(day).full)
    # The first day, then every seventh day at the latest.
    assert fulls == [True, False, False, False, False, False, False, True, False]
    on(clock, days[-1] + timedelta(days=2))
    assert sweep(days[-1] + timedelta(days=2)).full  # a day without a sweep
    monkeypatch.setattr(sweep_scope, "rules_fingerprint", lambda: "f" * 64)
    assert sweep(days[-1] + timedelta(days=2)).full  # rules that differ from the last run's
    assert [r.full for r in db.session.scalars(select(SweepRun).order_by(SweepRun.id))][-2:] == [
        True, True]


def test_the_rules_fingerprint_is_the_same_in_every_process(app):
    # Scheduler processes compare it with the last run's: a set in a template, whose repr
    # follows the string hash seed, would make every sweep a full one.
    code = "from server.services.sweep_scope import rules_fingerprint; print(rules_fingerprint())"
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}
    assert digests == {sweep_scope.rules_fingerprint() + "\n"}
