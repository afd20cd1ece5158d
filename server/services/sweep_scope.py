"""Which running enrolments a sweep over the whole file judges: all, or what changed.

With the same facts, the rules answer differently from one day to the next
only on the first day of a programme week and on a silence step
(``shared.rules.evaluate``). So the daily sweep judges again only:
- the enrolments whose row or patient changed since the last sweep (every
  UPDATE through SQLAlchemy marks ``facts_changed_at``: what the tablet sent,
  a state, a prescription, heart-rate limits);
- those with a health event not reported, a reinforcement visit recorded, a
  flag a person acted on, or a contact the sweep just marked missed;
- when the day moved on, those starting a programme week or reaching a
  silence step today.

It judges every running enrolment when there is no earlier sweep to start
from, when the last one was not today or yesterday, when the rules or
templates changed since it, and at least once every ``FULL_EVERY`` days, so
that nothing a future writer forgets to mark stays unjudged for long.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Date, and_, literal, or_, select, union

from server.clock import get_clock
from server.extensions import db
from server.models import Enrolment, HealthEvent, Patient, ScheduledContact, SweepRun
from server.models.flags import Flag, FlagEvent
from server.services.sqlfuncs import days_between
from server.services.sweep_read import reinforcement_visits
from shared.programmes import TEMPLATES
from shared.rules import RULES, silence_steps

FULL_EVERY = timedelta(days=7)
# A write committed just after the last sweep read the file may carry a mark a little
# before that sweep's start: judge what changed from this long before it.
IN_FLIGHT = timedelta(minutes=15)


def rules_fingerprint() -> str:
    """A digest of every threshold and template the rules apply (their reprs are their data)."""
    text = repr(sorted(RULES.items())) + repr(sorted(TEMPLATES.items()))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Scope:
    """What one sweep over the whole file judges: everything, or what changed since ``since``."""

    full: bool
    since: datetime | None = None
    moved_on: bool = False  # the last sweep was yesterday's: the day's steps count too

    def changed(self, today: date, missed: Iterable[int]) -> ColumnElement[bool] | None:
        """The condition on ``Enrolment`` selecting what to judge, given the enrolments
        whose contacts were just marked missed; None: all.

        A union of lookups, each answered by an index, so that a sweep with little
        to judge reads little; only the day's steps scan the enrolments.
        """
        if self.full:
            return None
        since = self.since
        of_patients = (select(Enrolment.id).where(Enrolment.patient_id.in_(
            select(Patient.id).where(Patient.facts_changed_at >= since).union(
                select(Flag.patient_id).join(FlagEvent, FlagEvent.flag_id == Flag.id)
                .where(FlagEvent.actor_id.is_not(None), FlagEvent.at >= since)))))
        lookups = [
            select(Enrolment.id).where(Enrolment.facts_changed_at >= since),
            of_patients,
            select(HealthEvent.enrolment_id).where(HealthEvent.flag_id.is_(None)),
            reinforcement_visits().where(ScheduledContact.done_at >= since),
        ]
        if missed := sorted(set(missed)):
            lookups.append(select(Enrolment.id).where(Enrolment.id.in_(missed)))
        if self.moved_on:
            lookups.append(select(Enrolment.id).where(or_(*_steps_reached(today))))
        return Enrolment.id.in_(union(*lookups))


def _steps_reached(today: date) -> list[ColumnElement[bool]]:
    """Enrolments starting a programme week today, or reaching a silence step today."""
    tz = get_clock().tz
    reached = [days_between(literal(today, Date), Enrolment.start_date) % 7 == 0]
    for days in sorted({step for rules in RULES.values() for step in silence_steps(rules)}):
        # Silent for ``days`` days: last heard from on that local day, or started that day
        # and not heard from since (the silence counts from the start).
        day = today - timedelta(days=days)
        opens = datetime.combine(day, time(0), tz)
        closes = opens + timedelta(days=1)
        reached.append(or_(
            and_(Enrolment.last_received_at >= opens, Enrolment.last_received_at < closes),
            and_(Enrolment.start_date == day, or_(Enrolment.last_received_at.is_(None),
                                                  Enrolment.last_received_at < closes))))
    return reached


def plan(today: date, full: bool = False) -> Scope:
    """What today's sweep over the whole file judges, from the sweeps before it (all of
    it when ``full``)."""
    if full:
        return Scope(full=True)
    last_full = (select(SweepRun.day).where(SweepRun.full).order_by(SweepRun.id.desc())
                 .limit(1).scalar_subquery())
    last = db.session.execute(
        select(SweepRun.day, SweepRun.started_at, SweepRun.rules, last_full.label("full_day"))
        .order_by(SweepRun.id.desc()).limit(1)).first()
    if (last is None or last.rules != rules_fingerprint()
            or not last.day <= today <= last.day + timedelta(days=1)
            or last.full_day is None or today - last.full_day >= FULL_EVERY):
        return Scope(full=True)
    return Scope(full=False, since=last.started_at - IN_FLIGHT, moved_on=today > last.day)


def record(today: date, started_at: datetime, scope: Scope, examined: int) -> None:
    """Note a sweep over the whole file (in its transaction): the next one starts from it."""
    db.session.add(SweepRun(day=today, started_at=started_at, full=scope.full,
                            rules=rules_fingerprint(), examined=examined))
