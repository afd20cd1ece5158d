"""Patient reminders and the referents' daily digest, as rows of the notification outbox.

Reminders: a patient with no ergocycle session for 3 days gets one in-app
reminder (and no more than one every 3 days); a call due tomorrow gives an
in-app message and an SMS. Digest: one e-mail per referent with work today,
with the counts of calls due, overdue and open flags by severity. Running a
job twice for the same day enqueues nothing new.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from server.clock import FixedClock
from server.extensions import db
from server.models import Enrolment, ErgoSession, Notification, Patient, ScheduledContact
from server.models.flags import Flag, open_key
from server.models.notifications import NotificationChannel, NotificationStatus
from server.services import activity_weeks
from server.services.reminders import send_digests, send_patient_reminders
from shared.enums import (
    ContactKind,
    ContactStatus,
    EnrolmentState,
    FlagStatus,
    Role,
    SessionSource,
)
from shared.rules import FlagKind, Severity
from tests.conftest import TODAY, Factories

PARIS = ZoneInfo("Europe/Paris")
TOMORROW = TODAY + timedelta(days=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware instant at a local (Paris) time."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def log_session(patient: Patient, day: date) -> ErgoSession:
    """An ergocycle session the tablet sent, on a local ``day``."""
    enrolment = patient.enrolments[-1]
    session = ErgoSession(
        client_id=uuid.uuid4(), payload_digest="0" * 64, received_at=at(day, 19),
        patient_id=patient.id, enrolment_id=enrolment.id, started_at=at(day, 18), day=day,
        duration_s=1800, source=SessionSource.MANUAL)
    db.session.add(session)
    db.session.flush()
    activity_weeks.refresh(enrolment, [day])
    db.session.commit()
    return session


def plan_only(patient: Patient, *planned: tuple[ContactKind, datetime]) -> list[ScheduledContact]:
    """Cancel the patient's timeline but the contacts given, re-planned at those instants."""
    contacts = db.session.scalars(
        select(ScheduledContact).where(ScheduledContact.enrolment_id == patient.enrolments[-1].id)
        .order_by(ScheduledContact.id)).all()
    for contact in contacts:
        contact.status = ContactStatus.CANCELLED
    chosen: list[ScheduledContact] = []
    for kind, due in planned:
        contact = next(c for c in contacts if c.kind == kind and c not in chosen)
        contact.status, contact.due_at = ContactStatus.PLANNED, due
        contact.window_opens = due - timedelta(days=2)
        contact.window_closes = due + timedelta(days=2)
        chosen.append(contact)
    db.session.commit()
    return chosen


def open_flag(patient: Patient, kind: FlagKind, severity: int,
              status: FlagStatus = FlagStatus.OPEN) -> Flag:
    now = at(TODAY, 6)
    closed = status in (FlagStatus.RESOLVED, FlagStatus.CLEARED)
    flag = Flag(patient_id=patient.id, enrolment_id=patient.enrolments[-1].id, kind=kind,
                severity=severity, status=status,
                open_key=None if closed else open_key(patient.id, kind), evidence={},
                opened_at=now, updated_at=now, closed_at=now if closed else None)
    db.session.add(flag)
    db.session.commit()
    return flag


def outbox(**where: object) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(db.session.scalars(query))


def count_outbox() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)) or 0


# --- No session for 3 days ------------------------------------------------------------------


def test_patient_silent_for_three_days_gets_one_in_app_reminder(factories: Factories) -> None:
    """Last session 3 days ago: reminded; 2 days ago or today: not; started 2 days ago: not."""
    referent = factories.user(Role.REFERENT)
    silent = factories.active_patient(referent, first_name="Silent")
    recent = factories.active_patient(referent, first_name="Recent")
    today = factories.active_patient(referent, first_name="Today")
    newcomer = factories.active_patient(referent, start=TODAY - timedelta(days=2),
                                        first_name="Newcomer")
    factories.patient(referent, first_name="Requested")  # not started: never reminded
    log_session(silent, TODAY - timedelta(days=3))
    log_session(recent, TODAY - timedelta(days=2))
    log_session(today, TODAY)

    result = send_patient_reminders(TODAY)

    reminders = outbox(kind="reminder_no_session")
    assert [(n.patient_id, n.channel, n.status) for n in reminders] == [
        (silent.id, NotificationChannel.IN_APP, NotificationStatus.SENT)]
    assert reminders[0].user_id is None and reminders[0].address is None
    assert "3" in reminders[0].body
    assert result == {"reminders": 1, "enqueued": 1}
    assert newcomer.id not in {n.patient_id for n in outbox()}


def test_patient_who_never_logged_a_session_is_reminded_three_days_after_start(
        factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    started_3 = factories.active_patient(referent, start=TODAY - timedelta(days=3))
    factories.active_patient(referent, start=TODAY - timedelta(days=2))

    send_patient_reminders(TODAY)

    assert [n.patient_id for n in outbox(kind="reminder_no_session")] == [started_3.id]


def test_no_session_reminders_twice_the_same_day_enqueue_nothing_new(
        factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    silent = factories.active_patient(referent)
    log_session(silent, TODAY - timedelta(days=5))

    first = send_patient_reminders(TODAY)
    rows = [(n.id, n.dedupe_key) for n in outbox()]
    second = send_patient_reminders(TODAY)

    assert first["enqueued"] == 1
    assert second == {"reminders": 1, "enqueued": 0}
    assert [(n.id, n.dedupe_key) for n in outbox()] == rows


def test_silent_patient_is_reminded_once_every_three_days_not_on_consecutive_days(
        factories: Factories) -> None:
    """Day after day of silence: reminded on silent days 3, 6 and 9, never two days running.

    A new silence (after a session) starts its own count.
    """
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent, start=TODAY - timedelta(days=30))
    last = TODAY - timedelta(days=20)
    log_session(patient, last)

    def reminded_on(offsets: range) -> list[int]:
        """The days (after ``last``) on which a daily run enqueued a no-session reminder."""
        days = []
        for offset in offsets:
            before = len(outbox(kind="reminder_no_session"))
            send_patient_reminders(last + timedelta(days=offset))
            days += [offset] * (len(outbox(kind="reminder_no_session")) - before)
        return days

    assert reminded_on(range(1, 12)) == [3, 6, 9]
    # A session on day 12, then silence again: the count starts from that session.
    log_session(patient, last + timedelta(days=12))
    assert reminded_on(range(12, 19)) == [15, 18]


# --- A call due tomorrow --------------------------------------------------------------------


def test_call_due_tomorrow_gives_an_in_app_message_and_an_sms(factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    called = factories.active_patient(referent, first_name="Called")
    later = factories.active_patient(referent, first_name="Later")
    visited = factories.active_patient(referent, first_name="Visited")
    done = factories.active_patient(referent, first_name="Done")
    for patient in (called, later, visited, done):
        log_session(patient, TODAY)  # no "no session" reminder in the way
    (call,) = plan_only(called, (ContactKind.WEEKLY_CALL, at(TOMORROW, 10, 30)))
    plan_only(later, (ContactKind.WEEKLY_CALL, at(TODAY + timedelta(days=2), 0)))
    plan_only(visited, (ContactKind.HOME_VISIT, at(TOMORROW, 10)))  # a visit, not a call
    (recorded,) = plan_only(done, (ContactKind.WEEKLY_CALL, at(TOMORROW, 9)))
    recorded.status = ContactStatus.DONE
    db.session.commit()

    result = send_patient_reminders(TODAY)

    messages = outbox(kind="reminder_call")
    assert [(n.patient_id, n.channel) for n in messages] == [
        (called.id, NotificationChannel.IN_APP), (called.id, NotificationChannel.SMS)]
    in_app, sms = messages
    assert in_app.status == NotificationStatus.SENT and in_app.address is None
    assert sms.status == NotificationStatus.PENDING and sms.address == called.phone
    assert sms.next_attempt_at is not None
    for message in messages:
        assert "03/03" in message.body and "10h30" in message.body
        assert message.dedupe_key.startswith(f"reminder:call:{call.id}:")
    assert result == {"reminders": 2, "enqueued": 2}
    assert outbox(kind="reminder_no_session") == []


def test_call_tomorrow_reminders_twice_the_same_day_enqueue_nothing_new(
        factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    log_session(patient, TODAY)
    plan_only(patient, (ContactKind.WEEKLY_CALL, at(TOMORROW, 14)))

    assert send_patient_reminders(TODAY)["enqueued"] == 2
    assert send_patient_reminders(TODAY) == {"reminders": 2, "enqueued": 0}
    assert count_outbox() == 2


def test_call_tomorrow_for_a_patient_without_phone_is_in_app_only(factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    patient.phone = ""
    log_session(patient, TODAY)
    plan_only(patient, (ContactKind.WEEKLY_CALL, at(TOMORROW, 11)))

    send_patient_reminders(TODAY)

    assert [n.channel for n in outbox(kind="reminder_call")] == [NotificationChannel.IN_APP]


def test_call_tomorrow_follows_local_days_on_the_dst_night(
        factories: Factories, clock: FixedClock) -> None:
    """Sunday 2026-03-29 lasts 23 hours in Paris: its calls are those of that local day."""
    saturday, sunday, monday = date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)
    clock.set(at(saturday, 17))
    referent = factories.user(Role.REFERENT)
    patients = [factories.active_patient(referent, start=saturday - timedelta(days=14),
                                         first_name=name)
                for name in ("Midnight", "Late", "Monday", "Saturday")]
    for patient in patients:
        log_session(patient, saturday)
    first, last, monday_call, saturday_call = patients
    plan_only(first, (ContactKind.WEEKLY_CALL, at(sunday, 0)))
    plan_only(last, (ContactKind.WEEKLY_CALL, at(sunday, 23, 30)))
    plan_only(monday_call, (ContactKind.WEEKLY_CALL, at(monday, 0)))
    plan_only(saturday_call, (ContactKind.WEEKLY_CALL, at(saturday, 23, 59)))

    send_patient_reminders(saturday)

    in_app = outbox(kind="reminder_call", channel=NotificationChannel.IN_APP)
    assert [n.patient_id for n in in_app] == [first.id, last.id]
    assert "00h00" in in_app[0].body and "23h30" in in_app[1].body
    assert all("29/03" in n.body for n in in_app)


# --- The referents' daily digest ------------------------------------------------------------


def test_digest_lists_counts_per_referent_and_goes_only_to_referents_with_work(
        factories: Factories, clock: FixedClock) -> None:
    clock.set(at(TODAY, 7))
    busy = factories.user(Role.REFERENT, email="busy@example.org", locale="en")
    flagged_only = factories.user(Role.REFERENT, email="flags@example.org", locale="en")
    idle = factories.user(Role.REFERENT, email="idle@example.org")
    away = factories.user(Role.REFERENT, email="away@example.org")
    factories.user(Role.REFERENT, email="nobody@example.org")  # no patient at all
    p1 = factories.active_patient(busy, first_name="One")
    p2 = factories.active_patient(busy, first_name="Two")
    p3 = factories.active_patient(flagged_only, first_name="Three")
    p4 = factories.active_patient(idle, first_name="Four")
    p5 = factories.active_patient(away, first_name="Five")
    plan_only(p1, (ContactKind.WEEKLY_CALL, at(TODAY, 10)),
              (ContactKind.WEEKLY_CALL, at(TODAY - timedelta(days=1), 10)))
    plan_only(p2, (ContactKind.HOME_VISIT, at(TODAY, 15)),
              (ContactKind.WEEKLY_CALL, at(TODAY + timedelta(days=1), 0)))  # tomorrow
    plan_only(p3, (ContactKind.WEEKLY_CALL, at(TODAY + timedelta(days=3), 10)))
    plan_only(p4, (ContactKind.WEEKLY_CALL, at(TODAY + timedelta(days=4), 10)))
    plan_only(p5, (ContactKind.WEEKLY_CALL, at(TODAY, 11)))
    away.active = False  # a deactivated account gets nothing
    open_flag(p1, FlagKind.ADHERENCE, Severity.HIGH)
    open_flag(p2, FlagKind.SILENCE, Severity.MODERATE, FlagStatus.ACKNOWLEDGED)
    open_flag(p2, FlagKind.ADHERENCE, Severity.HIGH, FlagStatus.ESCALATED)
    open_flag(p1, FlagKind.BOOKLET, Severity.LOW, FlagStatus.CLEARED)  # closed: not counted
    open_flag(p3, FlagKind.SILENCE, Severity.MODERATE)
    open_flag(p4, FlagKind.BOOKLET, Severity.LOW, FlagStatus.RESOLVED)  # closed: no work
    db.session.commit()

    result = send_digests(TODAY)

    digests = outbox(kind="digest")
    assert {(n.user_id, n.address) for n in digests} == {
        (busy.id, "busy@example.org"), (flagged_only.id, "flags@example.org")}
    assert all(n.channel == NotificationChannel.EMAIL and n.status == NotificationStatus.PENDING
               and n.patient_id is None for n in digests)
    by_user = {n.user_id: n for n in digests}
    assert by_user[busy.id].subject == "Reprise: your day of 02/03/2026"
    assert by_user[busy.id].body.splitlines() == [
        "2 calls or visits due today.",
        "1 overdue.",
        "3 open flags (severity 3: 2, severity 2: 1)",
        "Open Reprise to work your queue.",
    ]
    assert by_user[flagged_only.id].body.splitlines() == [
        "0 calls or visits due today.",
        "0 overdue.",
        "1 open flag (severity 2: 1)",
        "Open Reprise to work your queue.",
    ]
    assert result == {"digests": 2, "enqueued": 2}


def test_digest_twice_the_same_day_enqueues_nothing_new_and_next_day_sends_again(
        factories: Factories, clock: FixedClock) -> None:
    clock.set(at(TODAY, 7))
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    plan_only(patient, (ContactKind.WEEKLY_CALL, at(TODAY, 10)))

    assert send_digests(TODAY) == {"digests": 1, "enqueued": 1}
    assert send_digests(TODAY) == {"digests": 1, "enqueued": 0}
    assert count_outbox() == 1

    clock.set(at(TOMORROW, 7))
    assert send_digests(TOMORROW) == {"digests": 1, "enqueued": 1}
    assert [n.dedupe_key for n in outbox(kind="digest")] == [
        f"digest:{referent.id}:{TODAY.isoformat()}", f"digest:{referent.id}:{TOMORROW.isoformat()}"]


def test_digest_ignores_patients_whose_enrolment_is_not_running(
        factories: Factories, clock: FixedClock) -> None:
    clock.set(at(TODAY, 7))
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    plan_only(patient, (ContactKind.WEEKLY_CALL, at(TODAY, 10)))
    enrolment = db.session.get(Enrolment, patient.enrolments[-1].id)
    assert enrolment is not None
    enrolment.state = EnrolmentState.COMPLETED
    db.session.commit()

    assert send_digests(TODAY) == {"digests": 0, "enqueued": 0}
    assert count_outbox() == 0


def test_reminders_speak_the_patients_language(factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    french = factories.active_patient(referent, start=TODAY - timedelta(days=3))
    english = factories.active_patient(referent, start=TODAY - timedelta(days=3),
                                       first_name="John", locale="en")

    send_patient_reminders(TODAY)

    bodies = {n.patient_id: n.body for n in outbox(kind="reminder_no_session")}
    assert bodies[french.id].startswith("Aucune séance d'ergocycle enregistrée depuis 3 jours")
    assert bodies[english.id].startswith("No ergocycle session recorded for 3 days")


def test_yesterdays_reminders_caught_up_this_morning_do_not_announce_todays_calls(
        factories: Factories) -> None:
    """The scheduler was down at 17:00 yesterday; catch-up runs yesterday's reminders at
    08:00: a call due today is not "tomorrow" any more, and tomorrow's waits for 17:00."""
    referent = factories.user(Role.REFERENT)
    today_call = factories.active_patient(referent, first_name="Today")
    log_session(today_call, TODAY)
    plan_only(today_call, (ContactKind.WEEKLY_CALL, at(TODAY, 14)))
    factories.clock.set(at(TODAY, 8))

    send_patient_reminders(TODAY - timedelta(days=1))

    assert outbox(kind="reminder_call") == []
