"""Patient reminders and the referents' daily digest, enqueued in the notification outbox.

Each job is a few set-based queries and one bulk insert; the outbox's
dedupe keys make a re-run for the same day enqueue nothing new.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from flask_babel import force_locale
from sqlalchemy import and_, case, func, select

from server.clock import get_clock
from server.extensions import db
from server.i18n import gettext as _
from server.i18n import ngettext
from server.models import Enrolment, ErgoSession, Patient, ScheduledContact, User
from server.models.flags import OPEN_STATUSES, Flag
from server.models.notifications import NotificationChannel
from server.services.notifications import NewMessage, enqueue_many
from shared.enrolment import RUNNING_STATES
from shared.enums import ContactKind, ContactStatus, EnrolmentState, Role
from shared.rules import RULES
from shared.timeline import local_midnight

CALLS = (ContactKind.WEEKLY_CALL, ContactKind.FOLLOW_UP_CALL, ContactKind.MICRO_PROJECT_CALL)
RUNNING = sorted(RUNNING_STATES)  # a stable order keeps the statements cacheable
LOCALES = ("fr", "en")


def send_patient_reminders(today: date) -> dict[str, Any]:
    """No session for N days (in-app), and a call due tomorrow (in-app and SMS)."""
    messages = _no_session_messages(today) + _call_tomorrow_messages(today)
    created = enqueue_many(messages)
    db.session.commit()
    return {"reminders": len(messages), "enqueued": created}


def _no_session_messages(today: date) -> list[NewMessage]:
    days = min(r.reminder_no_session_days for r in RULES.values())
    # The day the silence started: the last session, or the start if none yet.
    last_session = (select(func.max(ErgoSession.day))
                    .where(ErgoSession.enrolment_id == Enrolment.id)
                    .correlate(Enrolment).scalar_subquery())
    since = func.coalesce(last_session, Enrolment.start_date)
    rows = db.session.execute(
        select(Enrolment.id, Enrolment.patient_id, since.label("since"), Patient.locale)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .where(Enrolment.state == EnrolmentState.ACTIVE,
               Enrolment.start_date <= today - timedelta(days=days),
               since <= today - timedelta(days=days)))
    bodies = {}
    for locale in LOCALES:
        with force_locale(locale):
            bodies[locale] = _("No ergocycle session recorded for %(days)d days. A short "
                               "session today keeps the benefits going. Log it on the tablet "
                               "once done.", days=days)
    # One reminder per `days` days of this silence (on its days 3, 6, 9...): never two
    # days running, and a new silence (after a session) counts from its own start.
    return [NewMessage(channel=NotificationChannel.IN_APP, kind="reminder_no_session",
                       body=bodies.get(row.locale, bodies["fr"]), patient_id=row.patient_id,
                       dedupe_key=f"reminder:no_session:{row.id}:{row.since.isoformat()}:"
                                  f"{(today - row.since).days // days}")
            for row in rows]


def _call_tomorrow_messages(today: date) -> list[NewMessage]:
    tz = get_clock().tz
    # "Tomorrow" is the day after the message goes out: a run caught up late (yesterday's,
    # sent this morning) must not announce for tomorrow a call that is due today.
    sent_on = max(today, get_clock().now().astimezone(tz).date())
    rows = db.session.execute(
        select(ScheduledContact.id, ScheduledContact.due_at, Enrolment.patient_id,
               Patient.phone, Patient.locale)
        .join(Enrolment, Enrolment.id == ScheduledContact.enrolment_id)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .where(ScheduledContact.status == ContactStatus.PLANNED,
               ScheduledContact.kind.in_(CALLS), Enrolment.state.in_(RUNNING),
               ScheduledContact.due_at >= local_midnight(sent_on + timedelta(days=1), tz),
               ScheduledContact.due_at < local_midnight(today + timedelta(days=2), tz)))
    messages = []
    for row in rows:
        with force_locale(row.locale if row.locale in LOCALES else "fr"):
            body = _("Your referent will call you tomorrow, %(day)s, around %(hour)s.",
                     day=row.due_at.astimezone(tz).strftime("%d/%m"),
                     hour=row.due_at.astimezone(tz).strftime("%Hh%M"))
        for channel in (NotificationChannel.IN_APP, NotificationChannel.SMS):
            if channel == NotificationChannel.SMS and not row.phone:
                continue
            messages.append(NewMessage(
                channel=channel, kind="reminder_call", body=body, patient_id=row.patient_id,
                dedupe_key=f"reminder:call:{row.id}:{channel.value}"))
    return messages


def send_digests(today: date) -> dict[str, Any]:
    """One e-mail per referent with work today: calls due, overdue, open flags by severity."""
    tz = get_clock().tz
    now = get_clock().now()
    tomorrow = local_midnight(today + timedelta(days=1), tz)
    # [due today, overdue] per referent. Overdue is counted with a CASE, not grouped on
    # "due_at < :now": PostgreSQL cannot match two bound parameters of SELECT and GROUP BY.
    due: dict[int, list[int]] = {}
    for referent_id, count, overdue in db.session.execute(
            select(Patient.referent_id, func.count(),
                   func.sum(case((ScheduledContact.due_at < now, 1), else_=0)))
            .join(Enrolment, Enrolment.patient_id == Patient.id)
            .join(ScheduledContact, ScheduledContact.enrolment_id == Enrolment.id)
            .where(ScheduledContact.status == ContactStatus.PLANNED,
                   ScheduledContact.due_at < tomorrow, Enrolment.state.in_(RUNNING),
                   Patient.referent_id.is_not(None))
            .group_by(Patient.referent_id)):
        due[referent_id] = [count - int(overdue), int(overdue)]
    flags: dict[int, dict[int, int]] = defaultdict(dict)
    for referent_id, severity, count in db.session.execute(
            select(Patient.referent_id, Flag.severity, func.count())
            .join(Flag, and_(Flag.patient_id == Patient.id, Flag.status.in_(OPEN_STATUSES)))
            .where(Patient.referent_id.is_not(None))
            .group_by(Patient.referent_id, Flag.severity)):
        flags[referent_id][severity] = count
    referents = db.session.scalars(select(User).where(
        User.role == Role.REFERENT, User.active.is_(True),
        User.id.in_(set(due) | set(flags))))
    messages = [_digest(user, today, due.get(user.id, [0, 0]), flags.get(user.id, {}))
                for user in referents]
    created = enqueue_many(messages)
    db.session.commit()
    return {"digests": len(messages), "enqueued": created}


def _digest(user: User, today: date, due: list[int], flags: dict[int, int]) -> NewMessage:
    with force_locale(user.locale):
        lines = [
            ngettext("%(num)d call or visit due today.", "%(num)d calls or visits due today.",
                     due[0]),
            ngettext("%(num)d overdue.", "%(num)d overdue.", due[1]),
            ngettext("%(num)d open flag", "%(num)d open flags", sum(flags.values()))
            + (" (" + ", ".join(_("severity %(level)d: %(count)d", level=level, count=count)
                                for level, count in sorted(flags.items(), reverse=True)) + ")"
               if flags else ""),
            _("Open Reprise to work your queue."),
        ]
        subject = _("Reprise: your day of %(day)s", day=today.strftime("%d/%m/%Y"))
    return NewMessage(channel=NotificationChannel.EMAIL, kind="digest", subject=subject,
                      body="\n".join(lines), user_id=user.id,
                      dedupe_key=f"digest:{user.id}:{today.isoformat()}")
