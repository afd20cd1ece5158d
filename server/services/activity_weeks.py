"""Weekly activity per enrolment (``ActivityWeek``), recomputed from the raw rows.

Whoever stores sessions or booklet entries calls ``refresh`` for the days
they touched, in the same transaction; bulk loaders call ``rebuild``. A row
is always recomputed from the raw data, never incremented, so a late item, a
retried batch or a second refresh gives the same row. The enrolment's pain
baseline (its week-1 mean) is kept with week 1's row.

Rows hold measures, not judgements: dyspnoea scores as a histogram over the
0-10 scale, to which readers apply the rules' threshold of the day
(``dyspnoea_at_or_over``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Delete,
    Executable,
    Insert,
    Select,
    Update,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.sql.expression import ColumnElement

from server.extensions import db
from server.models import ActivityWeek, BookletEntry, Enrolment, ErgoSession
from server.services.sqlfuncs import add_days, days_between
from shared.enums import BookletStatus
from shared.ranges import SCORE_0_10
from shared.timeline import week_of

DYSPNOEA_LEVELS = range(int(SCORE_0_10.low), int(SCORE_0_10.high) + 1)
DYSPNOEA_COLUMNS = tuple(f"dyspnoea_{level}" for level in DYSPNOEA_LEVELS)
COLUMNS = ("enrolment_id", "week", "week_start", "sessions", "pain_sum", "pain_count",
           "booklet_credit", "hr_max_peak", "hr_rest_low", "hr_rest_high", "active_days",
           *DYSPNOEA_COLUMNS)


def dyspnoea_at_or_over(threshold: int) -> ColumnElement[int]:
    """A week's sessions scored ``threshold`` or more of dyspnoea, from its histogram."""
    levels = [getattr(ActivityWeek, f"dyspnoea_{level}") for level in DYSPNOEA_LEVELS
              if level >= threshold]
    total: ColumnElement[int] = levels[0]
    for column in levels[1:]:
        total = total + column
    return total


def _week(day: Any) -> ColumnElement[int]:
    return days_between(day, Enrolment.start_date) // 7 + 1


def _week_rows(sessions: ColumnElement[bool], entries: ColumnElement[bool]) -> Select[Any]:
    """One row per enrolment and week of the sessions and booklet entries selected."""
    session_week = _week(ErgoSession.day)
    entry_week = _week(BookletEntry.day)
    credit = case((BookletEntry.status == BookletStatus.DONE, literal_column("1.0")),
                  (BookletEntry.status == BookletStatus.PARTIAL, literal_column("0.5")),
                  else_=literal_column("0.0"))
    exercised = BookletEntry.status.in_((BookletStatus.DONE, BookletStatus.PARTIAL))
    raw = union_all(
        select(ErgoSession.enrolment_id.label("enrolment_id"), session_week.label("week"),
               add_days(Enrolment.start_date, (session_week - 1) * 7).label("week_start"),
               literal_column("1").label("session"),
               ErgoSession.pain_eva.label("pain"), ErgoSession.hr_max.label("hr_max"),
               ErgoSession.hr_rest.label("hr_rest"), literal_column("0.0").label("credit"),
               ErgoSession.day.label("active_day"),
               *[case((ErgoSession.dyspnoea == level, 1), else_=0).label(name)
                 for level, name in zip(DYSPNOEA_LEVELS, DYSPNOEA_COLUMNS, strict=True)])
        .join(Enrolment, Enrolment.id == ErgoSession.enrolment_id).where(sessions),
        # Pain noted with the booklet counts as the sessions' does (booklet-centred
        # programmes report pain there, seed 000 l.1166-1168).
        select(BookletEntry.enrolment_id, entry_week,
               add_days(Enrolment.start_date, (entry_week - 1) * 7), literal_column("0"),
               BookletEntry.pain_eva, null(), null(), credit,
               case((exercised, BookletEntry.day), else_=null()),
               *[literal_column("0")] * len(DYSPNOEA_LEVELS))
        .join(Enrolment, Enrolment.id == BookletEntry.enrolment_id).where(entries),
    ).subquery()
    return (
        select(raw.c.enrolment_id, raw.c.week, raw.c.week_start, func.sum(raw.c.session),
               func.coalesce(func.sum(raw.c.pain), 0), func.count(raw.c.pain),
               func.sum(raw.c.credit), func.max(raw.c.hr_max), func.min(raw.c.hr_rest),
               func.max(raw.c.hr_rest), func.count(func.distinct(raw.c.active_day)),
               *[func.sum(raw.c[name]) for name in DYSPNOEA_COLUMNS])
        .group_by(raw.c.enrolment_id, raw.c.week, raw.c.week_start))


def _insert(rows: Select[Any]) -> Insert:
    return insert(ActivityWeek).from_select(list(COLUMNS), rows)


def refresh(enrolment: Enrolment, days: Iterable[date]) -> None:
    """Recompute the weeks of ``enrolment`` that hold ``days`` (after items were stored)."""
    # Ingest refuses days before the start (week 0); nothing before week 1 is counted.
    weeks = {week for week in (week_of(enrolment.start_date, day) for day in days)
             if week >= 1}
    if not weeks:
        return
    first, last = min(weeks), max(weeks)
    delete_weeks, insert_weeks = _refresh_statements()
    # Core execution: the ORM would take a dictionary of parameters for rows to insert.
    connection = db.session.connection()
    connection.execute(delete_weeks, {"enrolment": enrolment.id, "first": first, "last": last})
    connection.execute(insert_weeks, {
        "enrolment": enrolment.id,
        "since": enrolment.start_date + timedelta(weeks=first - 1),
        "until": enrolment.start_date + timedelta(weeks=last)})
    if first == 1:
        db.session.execute(_set_pain_baseline(Enrolment.id == enrolment.id))


@cache
def _refresh_statements() -> tuple[Delete, Insert]:
    """``refresh``'s two statements, built once: building the union of a week's rows took
    longer than running it for one enrolment (bound: enrolment, first, last, since, until)."""
    enrolment, since, until = bindparam("enrolment"), bindparam("since"), bindparam("until")
    return (
        delete(ActivityWeek).where(
            ActivityWeek.enrolment_id == enrolment,
            ActivityWeek.week.between(bindparam("first"), bindparam("last"))),
        _insert(_week_rows(
            and_(ErgoSession.enrolment_id == enrolment, ErgoSession.day >= since,
                 ErgoSession.day < until),
            and_(BookletEntry.enrolment_id == enrolment, BookletEntry.day >= since,
                 BookletEntry.day < until))))


def _set_pain_baseline(which: ColumnElement[bool]) -> Update:
    """The pain baseline of enrolments: the mean pain EVA of their programme week 1.

    Kept with week 1's row, so that week-1 sessions sent late by an offline
    tablet still count.
    """
    week_one = ActivityWeek.__table__.alias("week_one")
    mean = (select(week_one.c.pain_sum * 1.0 / week_one.c.pain_count)
            .where(week_one.c.enrolment_id == Enrolment.id, week_one.c.week == 1,
                   week_one.c.pain_count > 0)
            .scalar_subquery())
    return update(Enrolment).where(which).values(pain_baseline=mean)


def rebuild_statements() -> tuple[Executable, ...]:
    """Every row recomputed from scratch: for bulk loaders and the migration that adds them."""
    return (delete(ActivityWeek),
            _insert(_week_rows(ErgoSession.day >= Enrolment.start_date,
                               BookletEntry.day >= Enrolment.start_date)),
            _set_pain_baseline(Enrolment.start_date.is_not(None)))


def rebuild() -> None:
    """Recompute every row in the session's transaction (after a bulk load)."""
    for statement in rebuild_statements():
        db.session.execute(statement)
