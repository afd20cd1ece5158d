"""The sweep's read of the active file: what the rules need about every running enrolment.

Whatever the number of patients, a few queries: one row per running enrolment
(``ActiveRow``) with its last three weeks' figures from ``activity_weeks``
(kept at ingest), its booklet volume, pain baseline and reinforcement visit;
then the unsafe heart rates and the health events not reported yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Date, Integer, Select, case, cast, func, literal, null, or_, select, true
from sqlalchemy.sql.expression import ColumnElement

from server.clock import get_clock
from server.extensions import db
from server.models import (
    ActivityWeek,
    Enrolment,
    ErgoSession,
    HealthEvent,
    Patient,
    ScheduledContact,
)
from server.services.activity_weeks import dyspnoea_at_or_over
from server.services.row_stream import stream_rows
from shared.enrolment import FOLLOWED_STATES
from shared.enums import ContactKind, ContactStatus, EnrolmentState
from shared.programmes import ProgrammeTemplate, get_template
from shared.rules import LOOKBACK_DAYS, RULES, PatientFacts, WeekFigures, unsafe_heart_rate

# Suspended enrolments are read too: their health events and heart rates are still watched
# (the rules raise no adherence, silence or rupture flag for them). A stable order keeps the
# statements cacheable.
FOLLOWED = sorted(FOLLOWED_STATES)


def scope(query: Select[Any], only: set[int] | None,
          states: list[EnrolmentState] = FOLLOWED) -> Select[Any]:
    """Restrict a query joined to enrolments to the followed ones (and to some patients)."""
    query = query.where(Enrolment.state.in_(states))
    return query.where(Enrolment.patient_id.in_(only)) if only is not None else query


class Running(Protocol):
    """A running enrolment as new flags need it (an ``ActiveRow``, or a row of ``running``)."""

    @property
    def enrolment_id(self) -> int: ...  # noqa: D102 - the fields of a row
    @property
    def patient_id(self) -> int: ...  # noqa: D102
    @property
    def referent_id(self) -> int | None: ...  # noqa: D102
    @property
    def physician_id(self) -> int | None: ...  # noqa: D102


def running(today: date, only: set[int] | None) -> dict[int, Running]:
    """The enrolments (of some patients) running on ``today``, by id."""
    query = scope(
        select(Enrolment.id.label("enrolment_id"), Enrolment.patient_id, Patient.referent_id,
               Patient.physician_id)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .where(Enrolment.start_date <= today), only)
    return {row.enrolment_id: row for row in db.session.execute(query)}


class ActiveRow(NamedTuple):
    """One running enrolment as ``active_file`` selects it, column by column.

    ``active_file`` builds its SELECT by naming each of these fields (an
    ``ActiveRow`` of column expressions), so the query and its reader cannot
    drift apart. Week 1 is the last whole week before the current one.
    """

    enrolment_id: int
    patient_id: int
    programme_code: str
    intervention_weeks: int | None
    start_date: date
    last_received_at: datetime | None
    pain_baseline: float | None
    referent_id: int | None
    physician_id: int | None
    sessions_1: int | None  # None: no row for the week, nothing logged
    sessions_2: int | None
    sessions_3: int | None
    high_dyspnoea_1: int | None  # sessions at or over the template's threshold
    pain_sum_1: int | None
    pain_count_1: int | None
    booklet_credit_1: float | None
    heart_rate_over: bool | None  # some session of the last five weeks beyond the limits
    booklet_per_week: int
    reinforced: bool
    activity_project: int | None  # the W12 activity project, the follow-up target
    suspended: bool  # paused by the physician
    active_days_1: int | None  # days with a session or booklet exercises (booklet-centred)
    active_days_2: int | None
    active_days_3: int | None


def followed(today: date, only: set[int] | None, changed: ColumnElement[bool] | None = None,
             ) -> Iterator[tuple[Running, PatientFacts]]:
    """Each running enrolment with the facts the rules read about it, as they arrive.

    The active file streams from the database: the caller runs the rules on
    one enrolment while the next ones are read. It runs no statement of its
    own until the iterator is exhausted. Enrolments whose heart-rate extremes
    break their limits come last, once their unsafe sessions are read. An
    enrolment that has not started yet is read only when an event awaits
    reporting for it (an event dated its start day, sent the day before).
    ``changed`` narrows the file to the enrolments to judge again
    (``sweep_scope``).
    """
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in db.session.execute(_new_events(only)):
        events[row.enrolment_id].append({
            "event_id": row.id, "kind": row.kind.value, "day": row.occurred_on.isoformat(),
            "warning_signs": list(row.warning_signs or [])})
    facts = _Facts(today, events)
    held: dict[int, tuple[Running, PatientFacts]] = {}
    for query in (active_file(today, only, changed=changed), None):
        if query is None:  # then the enrolments not started yet that await an event
            waiting = events.keys() - facts.seen
            if not waiting:
                break
            query = active_file(today, only, not_started=waiting)
        # Streamed over the whole file; for a few patients (at ingest) a cached statement
        # costs less than compiling one with its values written in.
        rows = (stream_rows(db.session, query) if only is None
                else db.session.connection().execute(query))
        for row in map(ActiveRow._make, rows):
            f = facts.of(row)
            if row.heart_rate_over:
                held[row.enrolment_id] = row, f
            else:
                yield row, f
    for row in db.session.execute(_unsafe_sessions(today, list(held))) if held else ():
        reasons = unsafe_heart_rate(row.hr_max, row.hr_rest, row.hr_ceiling, row.hr_rest_min,
                                    row.hr_rest_max, row.hr_above_ceiling_s)
        held[row.enrolment_id][1].unsafe_sessions.append({
            "session_id": row.id, "day": row.day.isoformat(), "hr_max": row.hr_max,
            "hr_rest": row.hr_rest, "reasons": reasons, "hr_ceiling": row.hr_ceiling,
            "hr_above_ceiling_s": row.hr_above_ceiling_s, "hr_in_zone_s": row.hr_in_zone_s,
            "hr_rest_min": row.hr_rest_min, "hr_rest_max": row.hr_rest_max})
    yield from held.values()


class _Facts:
    """Builds ``PatientFacts`` from ``ActiveRow``s.

    Plain objects, not rows: the rules read their fields a few hundred
    thousand times.
    """

    def __init__(self, today: date, events: dict[int, list[dict[str, Any]]]) -> None:
        self.today = today
        self.events = events
        self.tz = get_clock().tz
        self.templates: dict[tuple[str, int | None], ProgrammeTemplate] = {}
        self.seen: set[int] = set()

    def of(self, row: ActiveRow) -> PatientFacts:
        """The facts of one enrolment (its new events included)."""
        enrolment_id, start, today = row.enrolment_id, row.start_date, self.today
        self.seen.add(enrolment_id)
        last_seen = (row.last_received_at.astimezone(self.tz).date() if row.last_received_at
                     else start)
        template = self.templates.get((row.programme_code, row.intervention_weeks))
        if template is None:
            template = self.templates[row.programme_code, row.intervention_weeks] = (
                get_template(row.programme_code, row.intervention_weeks))
        f = PatientFacts(
            enrolment_id=enrolment_id, patient_id=row.patient_id, template=template,
            start=start, today=today, days_silent=(today - max(last_seen, start)).days,
            booklet_prescribed=row.booklet_per_week, pain_baseline=row.pain_baseline,
            reinforcement_done=bool(row.reinforced), activity_project=row.activity_project,
            suspended=bool(row.suspended), new_events=self.events.get(enrolment_id, []))
        # A week with no row reads None: nothing logged (``PatientFacts.figures`` says so).
        last = f.week - 1
        if row.sessions_1 is not None:
            f.weeks[last] = WeekFigures(
                row.sessions_1, row.high_dyspnoea_1 or 0,
                row.pain_sum_1 / row.pain_count_1 if row.pain_count_1 else None,
                float(row.booklet_credit_1), row.active_days_1 or 0)
        if row.sessions_2 is not None:
            f.weeks[last - 1] = WeekFigures(row.sessions_2, active_days=row.active_days_2 or 0)
        if row.sessions_3 is not None:
            f.weeks[last - 2] = WeekFigures(row.sessions_3, active_days=row.active_days_3 or 0)
        return f


def active_file(today: date, only: set[int] | None,
                not_started: Iterable[int] | None = None,
                changed: ColumnElement[bool] | None = None) -> Select[Any]:
    """One ``ActiveRow`` per running enrolment started by ``today`` (or of ``not_started``),
    of those ``changed`` selects if given.

    The figures come from ``activity_weeks`` (kept at ingest): the three whole
    programme weeks before the current one, and whether the heart-rate extremes
    of the last five weeks break the patient's limits (then it may hold an
    unsafe session not reported yet).
    """
    weeks, joined = _recent_weeks(today, only)
    reinforced = reinforcement_visits().scalar_subquery()
    columns = ActiveRow(
        enrolment_id=Enrolment.id, patient_id=Enrolment.patient_id,
        programme_code=Enrolment.programme_code,
        intervention_weeks=Enrolment.intervention_weeks, start_date=Enrolment.start_date,
        last_received_at=Enrolment.last_received_at, pain_baseline=Enrolment.pain_baseline,
        referent_id=Patient.referent_id, physician_id=Patient.physician_id,
        sessions_1=weeks.c.sessions_1, sessions_2=weeks.c.sessions_2,
        sessions_3=weeks.c.sessions_3,
        high_dyspnoea_1=_high_dyspnoea(weeks),
        pain_sum_1=weeks.c.pain_sum_1, pain_count_1=weeks.c.pain_count_1,
        booklet_credit_1=weeks.c.booklet_credit_1,
        heart_rate_over=_over_limits(weeks.c.peak, weeks.c.rest_low, weeks.c.rest_high),
        booklet_per_week=Enrolment.booklet_per_week,
        reinforced=Enrolment.id.in_(reinforced),
        activity_project=Enrolment.activity_project_sessions,
        suspended=Enrolment.state == EnrolmentState.SUSPENDED,
        active_days_1=weeks.c.active_days_1, active_days_2=weeks.c.active_days_2,
        active_days_3=weeks.c.active_days_3)
    query = scope(
        select(*[column.label(name) for name, column in zip(ActiveRow._fields, columns,
                                                            strict=True)])
        .join(Patient, Patient.id == Enrolment.patient_id)
        .outerjoin(weeks, joined)
        .where(Enrolment.start_date <= today if not_started is None
               else Enrolment.id.in_(sorted(not_started))), only)
    return query if changed is None else query.where(changed)


def _recent_weeks(today: date, only: set[int] | None) -> tuple[Any, ColumnElement[bool]]:
    """Per enrolment, its last three whole weeks side by side, from ``activity_weeks``, and
    the condition joining them to their enrolment.

    Weeks are told apart by their start day alone, whatever the enrolment's
    start: no date arithmetic per row. On PostgreSQL, a LATERAL subquery reads
    each enrolment's five weeks from the primary key: rows then leave the
    database as they are made, while the rules run on the ones before, instead
    of after a sort of the whole file's weeks.
    """
    a = ActivityWeek

    def in_week(k: int, column: Any) -> Any:
        # The k-th whole week before the current one started 7k to 7k + 6 days ago.
        return func.sum(column).filter(a.week_start > today - timedelta(days=7 * k + 7),
                                       a.week_start <= today - timedelta(days=7 * k))

    figures = (
        *[in_week(k, a.sessions).label(f"sessions_{k}") for k in (1, 2, 3)],
        *[in_week(1, dyspnoea_at_or_over(threshold)).label(_at_or_over(threshold))
          for threshold in sorted(set(_dyspnoea_thresholds().values()))],
        in_week(1, a.pain_sum).label("pain_sum_1"),
        in_week(1, a.pain_count).label("pain_count_1"),
        in_week(1, a.booklet_credit).label("booklet_credit_1"),
        *[in_week(k, a.active_days).label(f"active_days_{k}") for k in (1, 2, 3)],
        func.max(a.hr_max_peak).label("peak"), func.min(a.hr_rest_low).label("rest_low"),
        func.max(a.hr_rest_high).label("rest_high"))
    # Five weeks: the 28-day look-back for unsafe sessions starts in the fourth one.
    recent = (a.week_start > today - timedelta(days=LOOKBACK_DAYS + 7), a.week_start <= today)
    if db.session.get_bind().dialect.name == "postgresql":
        # The programme weeks that can hold those five (``week`` is 1 on the start day).
        current = cast(literal(today, Date) - Enrolment.start_date, Integer) // 7 + 1
        return (select(*figures)
                .where(a.enrolment_id == Enrolment.id, a.week > current - 6, *recent)
                .lateral()), true()
    query = select(a.enrolment_id, *figures).where(*recent).group_by(a.enrolment_id)
    if only is not None:
        # For a few patients (at ingest), aggregate only their rows, not the whole file's.
        query = query.where(a.enrolment_id.in_(
            select(Enrolment.id).where(Enrolment.patient_id.in_(only))))
    weeks = query.subquery()
    return weeks, weeks.c.enrolment_id == Enrolment.id


def _dyspnoea_thresholds() -> dict[str, int]:
    """The dyspnoea threshold of each template that watches dyspnoea, by template code."""
    return {code: rules.dyspnoea_high for code, rules in RULES.items() if rules.watch_dyspnoea}


def _at_or_over(threshold: int) -> str:
    return f"dyspnoea_at_or_over_{threshold}"


def _high_dyspnoea(weeks: Any) -> ColumnElement[int]:
    """Last week's sessions at or over the enrolment's template threshold, as of today.

    The threshold is applied here, when reading (``activity_weeks`` keeps the
    scores' histogram): a threshold changed in ``shared.rules`` applies to
    every week already stored.
    """
    whens = [(Enrolment.programme_code == code, weeks.c[_at_or_over(threshold)])
             for code, threshold in _dyspnoea_thresholds().items()]
    return case(*whens) if whens else null()


def _over_limits(hr_max: Any, rest_low: Any, rest_high: Any) -> ColumnElement[bool]:
    """Heart rates beyond the patient's prescribed limits, in SQL (rows joined to patients).

    ``shared.rules.unsafe_heart_rate`` says which limit, for the evidence.
    """
    return or_(hr_max > Patient.hr_ceiling, rest_low < Patient.hr_rest_min,
               rest_high > Patient.hr_rest_max)


def _unsafe_sessions(today: date, enrolment_ids: list[int]) -> Select[Any]:
    """The sessions over their patient's limits that no flag reported yet (28 days)."""
    return (
        select(ErgoSession.id, ErgoSession.enrolment_id, ErgoSession.day, ErgoSession.hr_max,
               ErgoSession.hr_rest, ErgoSession.hr_above_ceiling_s, ErgoSession.hr_in_zone_s,
               Patient.hr_ceiling, Patient.hr_rest_min, Patient.hr_rest_max)
        .join(Patient, Patient.id == ErgoSession.patient_id)
        .where(ErgoSession.enrolment_id.in_(enrolment_ids),
               ErgoSession.day >= today - timedelta(days=LOOKBACK_DAYS - 1),
               ErgoSession.day <= today, ErgoSession.safety_flag_id.is_(None),
               _over_limits(ErgoSession.hr_max, ErgoSession.hr_rest, ErgoSession.hr_rest))
        .order_by(ErgoSession.day, ErgoSession.id))


def _new_events(only: set[int] | None) -> Select[Any]:
    return scope(
        select(HealthEvent.id, HealthEvent.enrolment_id, HealthEvent.kind,
               HealthEvent.occurred_on, HealthEvent.warning_signs)
        .join(Enrolment, Enrolment.id == HealthEvent.enrolment_id)
        .where(HealthEvent.flag_id.is_(None))
        .order_by(HealthEvent.occurred_on, HealthEvent.id), only)


def reinforcement_visits() -> Select[Any]:
    """The enrolments whose reinforcement visit took place (a partial index answers it)."""
    return select(ScheduledContact.enrolment_id).where(
        ScheduledContact.kind == ContactKind.REINFORCEMENT_VISIT,
        ScheduledContact.status == ContactStatus.DONE)


def reinforced_enrolments(only: set[int] | None) -> Select[Any]:
    """The running enrolments (of some patients) whose reinforcement visit took place."""
    return scope(reinforcement_visits().distinct()
                 .join(Enrolment, Enrolment.id == ScheduledContact.enrolment_id), only)
