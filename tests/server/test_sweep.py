"""The daily sweep over the database: flags opened, updated, cleared, escalated, once."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from server.extensions import db
from server.models import HealthEvent, Notification, ScheduledContact
from server.models.flags import Flag, FlagEvent
from server.services.flag_text import describe
from server.services.sweep import sweep
from shared.enums import ContactStatus, FlagStatus, HealthEventKind
from shared.rules import RULES, FlagKind
from tests.conftest import TODAY

PARIS = ZoneInfo("Europe/Paris")
START = TODAY - timedelta(days=14)  # today is the first day of week 3


def week_days(week: int, count: int, start: date = START) -> list[date]:
    """``count`` days of programme ``week``."""
    first = start + timedelta(days=7 * (week - 1))
    return [first + timedelta(days=i) for i in range(count)]


def flags_of(patient) -> dict[FlagKind, Flag]:
    flags = db.session.scalars(select(Flag).where(Flag.patient_id == patient.id))
    return {f.kind: f for f in flags}


def test_a_short_week_opens_one_adherence_flag_with_its_evidence(factories, referent):
    patient = factories.active_patient(referent)
    factories.sessions(patient, week_days(1, 5) + week_days(2, 3))
    summary = sweep(TODAY)
    flag = flags_of(patient)[FlagKind.ADHERENCE]
    assert (flag.status, flag.severity, flag.owner_id) == (FlagStatus.OPEN, 2, referent.id)
    assert flag.evidence == {"week": 2, "sessions": 3, "previous_week_sessions": 5,
                             "adherence_min_sessions": 4}
    assert summary.by_kind["adherence"] == 1 and summary.patients_examined == 1
    assert [e.action for e in flag.events] == ["opened"]


def test_running_the_sweep_twice_for_a_day_changes_nothing_the_second_time(
        factories, referent, physician):
    drifting = factories.active_patient(referent, physician=physician)
    factories.sessions(drifting, week_days(2, 1, START), hr_max=150)
    factories.active_patient(referent)  # silent since the start: no session at all
    first = sweep(TODAY)
    assert first.flags_opened >= 3
    rows = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    before = (rows(Flag), rows(FlagEvent), rows(Notification))
    evidence = {f.id: (f.evidence, f.status, f.severity) for f in db.session.scalars(select(Flag))}
    second = sweep(TODAY)
    assert (second.flags_opened, second.flags_updated, second.flags_closed,
            second.escalated) == (0, 0, 0, 0)
    assert (rows(Flag), rows(FlagEvent), rows(Notification)) == before
    db.session.expire_all()
    assert {f.id: (f.evidence, f.status, f.severity)
            for f in db.session.scalars(select(Flag))} == evidence


def test_recovered_adherence_closes_its_flag_with_the_reason(factories, referent, clock):
    patient = factories.active_patient(referent)
    factories.sessions(patient, week_days(1, 5) + week_days(2, 2))
    sweep(TODAY)
    # Week 3 goes well: the next Monday's sweep finds the condition cleared.
    factories.sessions(patient, week_days(3, 5))
    summary = sweep(TODAY + timedelta(days=7))
    flag = flags_of(patient)[FlagKind.ADHERENCE]
    assert flag.status == FlagStatus.CLEARED and flag.open_key is None
    assert flag.close_reason == "condition_cleared" and summary.flags_closed == 1
    assert [e.action for e in flag.events] == ["opened", "cleared"]
    assert flag.events[-1].actor_id is None


def test_firing_again_updates_the_open_flag_instead_of_opening_another(factories, referent):
    patient = factories.active_patient(referent)
    factories.sessions(patient, week_days(1, 5) + week_days(2, 3))
    sweep(TODAY)
    summary = sweep(TODAY + timedelta(days=7))  # week 3: nothing at all
    flags = db.session.scalars(select(Flag).where(Flag.kind == FlagKind.ADHERENCE)).all()
    assert len(flags) == 1 and summary.flags_updated >= 1
    assert flags[0].evidence["week"] == 3 and flags[0].severity == 3


def test_health_event_during_the_intervention_goes_to_the_physician_at_once(
        factories, referent, physician, client, auth):
    patient = factories.active_patient(referent, physician=physician)
    response = client.post("/api/v1/me/health-events", headers=auth.device(patient), json={
        "items": [{"id": "6f1c3a52-7f0e-4d55-9b38-1a2b3c4d5e6f", "kind": "hospitalisation",
                   "occurred_on": (TODAY - timedelta(days=1)).isoformat()}]})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    flag = flags_of(patient)[FlagKind.HEALTH_EVENT]
    assert (flag.status, flag.severity, flag.escalated_to_id) == (
        FlagStatus.ESCALATED, 4, physician.id)
    mail = db.session.scalars(select(Notification).where(Notification.user_id == physician.id))
    assert [m.kind for m in mail] == ["escalation"]
    event_row = db.session.scalars(select(HealthEvent)).one()
    assert event_row.flag_id == flag.id
    # Health-event flags close only by a person's decision: later sweeps leave it open.
    sweep(TODAY + timedelta(days=7))
    db.session.refresh(flag)
    assert flag.status == FlagStatus.ESCALATED


def test_a_health_event_before_the_start_day_reaches_the_physician_and_the_sweep_runs_on(
        factories, referent, physician, client, auth, clock):
    # The programme starts tomorrow and the tablet sends an event dated that day (a planned
    # admission, a tablet's clock ahead): the physician hears of it before the patient
    # starts training, and the day's sweep still examines everyone else.
    tomorrow = TODAY + timedelta(days=1)
    patient = factories.active_patient(referent, start=tomorrow, physician=physician)
    response = client.post("/api/v1/me/health-events", headers=auth.device(patient), json={
        "items": [{"id": "0d6c4b3a-2f1e-4c5d-8b7a-6e5f4d3c2b1a", "kind": "fall",
                   "occurred_on": tomorrow.isoformat()}]})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    flag = flags_of(patient)[FlagKind.HEALTH_EVENT]
    assert (flag.status, flag.escalated_to_id) == (FlagStatus.ESCALATED, physician.id)
    assert db.session.scalars(select(HealthEvent)).one().flag_id == flag.id
    # The same for an event that the daily sweep finds (stored, not reported yet).
    waiting = factories.active_patient(referent, start=tomorrow, physician=physician)
    started = factories.active_patient(referent)
    enrolment = factories.enrolment(waiting)
    db.session.add(HealthEvent(
        patient_id=waiting.id, enrolment_id=enrolment.id, kind=HealthEventKind.FALL,
        occurred_on=tomorrow, warning_signs=[], client_id=uuid.uuid4(),
        payload_digest="0" * 64, received_at=clock.now()))
    db.session.commit()
    summary = sweep(TODAY)
    assert summary.by_kind["health_event"] == 1
    assert set(flags_of(waiting)) == {FlagKind.HEALTH_EVENT}
    assert FlagKind.SILENCE in flags_of(started)


def test_an_unsafe_heart_rate_is_reported_once_even_after_it_is_resolved(
        factories, referent, physician):
    from server.services.flags import resolve

    patient = factories.active_patient(referent, physician=physician)
    factories.sessions(patient, week_days(2, 5), hr_max=131)
    sweep(TODAY)
    flag = flags_of(patient)[FlagKind.HEART_RATE]
    assert flag.status == FlagStatus.ESCALATED and len(flag.evidence["sessions"]) == 5
    resolve(physician, flag.id, "Ceiling raised to 135 after the stress test.")
    sweep(TODAY + timedelta(days=1))
    heart = [f for f in db.session.scalars(select(Flag).where(
        Flag.kind == FlagKind.HEART_RATE))]
    assert len(heart) == 1 and heart[0].status == FlagStatus.RESOLVED


def test_the_heart_rate_evidence_says_how_long_the_last_session_stayed_above_the_ceiling(
        app):
    session = {"day": "2026-02-20", "hr_max": 142, "hr_ceiling": 130, "hr_rest": 70}
    without = describe(FlagKind.HEART_RATE, {"sessions": [session]})
    assert without == ("1 séance(s) hors limites, la dernière le 20 févr. 2026 : max 142 bpm "
                       "(plafond 130), repos 70 bpm.")
    timed = describe(FlagKind.HEART_RATE,
                     {"sessions": [dict(session, hr_above_ceiling_s=450)]})
    assert timed == without + " 7,5 min au-dessus du plafond."


def test_a_session_at_the_ceiling_raises_nothing(factories, referent):
    patient = factories.active_patient(referent)
    factories.sessions(patient, week_days(1, 5) + week_days(2, 5), hr_max=130)
    sweep(TODAY)
    assert FlagKind.HEART_RATE not in flags_of(patient)


def test_a_call_whose_window_closed_unrecorded_is_missed_and_flagged(factories, referent):
    patient = factories.active_patient(referent)
    factories.sessions(patient, week_days(1, 5) + week_days(2, 5))
    summary = sweep(TODAY)
    missed = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.status == ContactStatus.MISSED)).all()
    assert summary.contacts_missed == len(missed) >= 1
    flag = flags_of(patient)[FlagKind.MISSED_CONTACT]
    assert {c["contact_id"] for c in flag.evidence["contacts"]} == {c.id for c in missed}
    assert all(c.window_closes < datetime.combine(TODAY, time(6), PARIS) for c in missed)


def test_missed_contacts_follow_local_days_across_the_dst_change(factories, referent, clock):
    # Clocks go forward on the night of 28-29 March 2026: 06:00 is then UTC+2.
    start = date(2026, 3, 2)
    clock.set(datetime.combine(start, time(9), PARIS))
    patient = factories.active_patient(referent, start=start)
    contacts = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.window_closes >= datetime(2026, 3, 27, tzinfo=PARIS),
        ScheduledContact.window_closes < datetime(2026, 4, 3, tzinfo=PARIS))).all()
    assert contacts, "a weekly call closes around the DST change"
    clock.set(datetime.combine(date(2026, 3, 29), time(6), PARIS))
    sweep(date(2026, 3, 29))
    db.session.expire_all()
    for contact in db.session.scalars(select(ScheduledContact).where(
            ScheduledContact.id.in_([c.id for c in contacts]))):
        closed = contact.window_closes < datetime(2026, 3, 29, 6, tzinfo=PARIS)
        assert (contact.status == ContactStatus.MISSED) is closed, contact.key
    assert datetime(2026, 3, 29, 6, tzinfo=PARIS).utcoffset() == timedelta(hours=2)
    assert FlagKind.MISSED_CONTACT in flags_of(patient)


def test_silence_counts_days_since_the_tablet_last_sent_anything(factories, referent, clock):
    patient = factories.active_patient(referent)
    clock.set(datetime.combine(TODAY - timedelta(days=5), time(20), PARIS))
    factories.sessions(patient, week_days(1, 5) + week_days(2, 5))
    clock.set(datetime.combine(TODAY, time(6), PARIS))
    sweep(TODAY)
    flag = flags_of(patient)[FlagKind.SILENCE]
    assert flag.evidence["silent_since"] == (TODAY - timedelta(days=5)).isoformat()
    assert describe(flag.kind, flag.evidence) == (
        "Rien reçu depuis le 25 févr. 2026 : 5 jours (alerte à partir de 5).")
    clock.set(datetime.combine(TODAY + timedelta(days=1), time(6), PARIS))
    updated = flag.updated_at
    # (The initial synthesis, still unsent when its two weeks end, is flagged apart.)
    sweep(TODAY + timedelta(days=1))
    db.session.refresh(flag)
    assert flag.updated_at == updated  # one more day, same flag
    assert "6 jours" in describe(flag.kind, flag.evidence)
    clock.set(datetime.combine(TODAY, time(6), PARIS))
    other = factories.active_patient(referent, first_name="Paul")
    clock.set(datetime.combine(TODAY - timedelta(days=4), time(20), PARIS))
    factories.sessions(other, week_days(1, 5) + week_days(2, 5))
    clock.set(datetime.combine(TODAY, time(6), PARIS))
    sweep(TODAY)
    assert FlagKind.SILENCE not in flags_of(other)


def test_patients_out_of_the_programme_are_not_examined(factories, referent):
    factories.patient(referent)  # requested, never started
    assert sweep(TODAY).patients_examined == 0


def count_queries(app, fn) -> int:
    statements = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return len(statements)


def test_the_sweep_is_set_based_its_query_count_does_not_grow_with_patients(
        app, factories, referent, physician):
    def cohort(n: int) -> None:
        for i in range(n):
            patient = factories.active_patient(referent, physician=physician,
                                               first_name=f"P{i}")
            factories.sessions(patient, week_days(2, i % 6), hr_max=120 + 5 * (i % 3),
                               dyspnoea=8)

    cohort(3)
    small = count_queries(app, lambda: sweep(TODAY))
    cohort(12)
    db.session.execute(Flag.__table__.update().values(open_key=None, status="resolved"))
    db.session.commit()
    large = count_queries(app, lambda: sweep(TODAY))
    assert large == small


def test_a_dyspnoea_threshold_changed_in_the_rules_applies_to_weeks_already_stored(
        factories, referent, monkeypatch):
    patient = factories.active_patient(referent)
    factories.sessions(patient, week_days(2, 4), dyspnoea=6)
    sweep(TODAY)
    assert FlagKind.DYSPNOEA not in flags_of(patient)  # 6/10 is under the threshold of 7
    code = patient.enrolments[-1].programme_code
    monkeypatch.setitem(RULES, code, dataclasses.replace(RULES[code], dyspnoea_high=6))
    sweep(TODAY)
    flag = flags_of(patient)[FlagKind.DYSPNOEA]
    assert flag.evidence == {"week": 2, "high_scores": 4, "dyspnoea_high": 6,
                             "dyspnoea_high_sessions": 2}
    monkeypatch.setitem(RULES, code, dataclasses.replace(RULES[code], dyspnoea_high=8))
    assert sweep(TODAY).flags_closed == 1


def test_pain_rising_two_points_over_the_first_week_flags_a_low_back_pain_patient(
        factories, referent):
    rising = factories.active_patient(referent, programme="low_back_pain_home")
    factories.sessions(rising, week_days(1, 2), pain_eva=3)
    factories.sessions(rising, week_days(2, 2), pain_eva=5)
    steady = factories.active_patient(referent, programme="low_back_pain_home",
                                      first_name="Paul")
    factories.sessions(steady, week_days(1, 2), pain_eva=3)
    factories.sessions(steady, week_days(2, 2), pain_eva=4)
    sweep(TODAY)
    assert flags_of(rising)[FlagKind.PAIN_RISE].evidence == {
        "week": 2, "pain_mean": 5.0, "baseline": 3.0, "pain_rise": 2}
    assert FlagKind.PAIN_RISE not in flags_of(steady)
    assert FlagKind.ADHERENCE not in flags_of(rising)  # 2 a week is this template's minimum


def test_a_ceiling_lowered_later_flags_the_recent_sessions_now_above_it(factories, referent):
    start = TODAY - timedelta(days=42)  # today is the first day of week 7
    patient = factories.active_patient(referent, start=start)
    recent = week_days(6, 2, start)
    factories.sessions(patient, recent, hr_max=125)
    factories.sessions(patient, week_days(2, 1, start), hr_max=128)  # over 28 days ago
    sweep(TODAY)
    assert FlagKind.HEART_RATE not in flags_of(patient)
    patient.hr_ceiling = 120
    db.session.commit()
    sweep(TODAY)
    flag = flags_of(patient)[FlagKind.HEART_RATE]
    assert [s["day"] for s in flag.evidence["sessions"]] == [d.isoformat() for d in recent]
    assert {s["hr_ceiling"] for s in flag.evidence["sessions"]} == {120}


def _escalation_mail(factories, referent, physician, client, auth):
    patient = factories.active_patient(referent, physician=physician, last_name="Leroy")
    client.post("/api/v1/me/health-events", headers=auth.device(patient), json={
        "items": [{"id": "6f1c3a52-7f0e-4d55-9b38-1a2b3c4d5e6f", "kind": "hospitalisation",
                   "occurred_on": (TODAY - timedelta(days=1)).isoformat()}]})
    db.session.expire_all()
    flag = flags_of(patient)[FlagKind.HEALTH_EVENT]
    mail = db.session.scalars(select(Notification).where(Notification.user_id == physician.id))
    return flag, mail.one()


def test_escalation_mail_on_ordinary_smtp_names_no_patient_and_no_finding(
        app, factories, referent, physician, client, auth):
    app.config["PUBLIC_URL"] = "https://reprise.example.org"
    flag, mail = _escalation_mail(factories, referent, physician, client, auth)
    text = f"{mail.subject}\n{mail.body}"
    assert "LEROY" not in text.upper() and "Jeanne" not in text
    assert "ospitalisation" not in text
    assert str(flag.id) in mail.subject and "gravité 4" in mail.body
    assert f"https://reprise.example.org/physician/flags/{flag.id}" in mail.body


def test_escalation_mail_on_a_secure_health_messaging_service_carries_the_details(
        app, factories, referent, physician, client, auth):
    app.config["SMTP_SECURE_HEALTH_MESSAGING"] = True
    _flag, mail = _escalation_mail(factories, referent, physician, client, auth)
    assert "LEROY" in mail.subject.upper()
