"""The programme's indicators (``shared.indicators``), computed set-based over the whole file.

Eight queries answer every indicator of every programme for a calendar year,
whatever the number of patients: the enrolments' journey (their first
passage into follow-up, completion, stop and reorientation, from
``enrolment_transitions``), quality-of-life scores and endurance tests at W0
and W12, follow-up activity per calendar quarter (``activity_weeks``),
follow-up contacts by channel, hospital days reported at contacts, and
health events. Each query returns one row per enrolment (or per enrolment
and part), and the verdicts are the shared rules' (``shared.outcomes``, the
endurance MCID, the template's follow-up minimum, ``pipeline.delay_days``),
so the figures read as the patient file does.

Each figure keeps its population: the enrolments of its denominator and
those counted in its numerator. The list of the patients behind a figure is
that population, never a second definition of it.

Years and instants: a year runs from 1 January to 31 December in the
programme's time zone (``server.clock``); an event belongs to the year of
its local day.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import BigInteger, ColumnElement, Select, any_, bindparam, case, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from server.clock import get_clock
from server.extensions import db
from server.i18n import gettext as _
from server.models import (
    ActivityWeek,
    EnduranceTest,
    Enrolment,
    EnrolmentTransition,
    HealthEvent,
    IndicatorSnapshot,
    Patient,
    QuestionnaireResponse,
    ScheduledContact,
    User,
)
from server.services import access
from server.services.audit import record_access
from server.services.errors import Forbidden
from server.services.pipeline import delay_days
from server.services.transactions import read_use_case, use_case
from shared.enrolment import Action, suspensions
from shared.enums import (
    Channel,
    ContactKind,
    ContactStatus,
    EnrolmentState,
    HealthEventKind,
    Role,
)
from shared.indicators import (
    CODES,
    FIRST_YEAR,
    INDICATORS,
    QUALITY_OF_LIFE,
    QUARTERS,
    Indicator,
    Unit,
)
from shared.instruments import get_instrument
from shared.outcomes import Verdict, compare, compare_endurance
from shared.programmes import TEMPLATES, ProgrammeTemplate, get_template
from shared.timeline import weeks_touched

YEARS = (2020, 2100)
# The list of the patients behind a figure, a page at a time: a figure of a 100,000-patient
# file holds tens of thousands of them, and each one shown is an audit row.
PER_PAGE = 50
# Far beyond any file's last page, low enough that the offset stays a small integer.
MAX_PAGE = 100_000
NUMERATOR, DENOMINATOR = "numerator", "denominator"
# The longest home part a template allows (``ProgrammeTemplate.with_intervention_weeks``):
# an intervention that ended in the year began at most this long before it.
LONGEST_INTERVENTION = timedelta(weeks=16)
STOPPED = (EnrolmentState.INTERRUPTED, EnrolmentState.REORIENTED)
# Parts of a figure that breaks down: calendar quarters, kinds of incident.
PART_KEYS: dict[str, tuple[str, ...]] = {
    "activity_kept": tuple(str(q) for q in QUARTERS),
    "incidents": tuple(kind.value for kind in HealthEventKind),
}


class IndicatorArgs(Schema):
    """The year and programme of the table (query string of the page, its exports and API)."""

    year = fields.Integer(load_default=None, validate=validate.Range(*YEARS))
    programme = fields.String(load_default=None, validate=validate.OneOf(list(TEMPLATES)))


class PatientsArgs(IndicatorArgs):
    """Which figure's patients: its code, numerator or denominator, and its part if any."""

    indicator = fields.String(required=True, validate=validate.OneOf(CODES))
    part = fields.String(load_default=DENOMINATOR, validate=validate.OneOf(
        (NUMERATOR, DENOMINATOR)))
    key = fields.String(load_default=None, validate=validate.Length(max=40))
    # A page past the last one shows the last one (the figure may have shrunk since the link).
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE),
                          metadata={"description": f"1 for the first {PER_PAGE} patients."})

    @validates_schema
    def _known_key(self, data: dict[str, Any], **kwargs: Any) -> None:
        keys = PART_KEYS.get(data.get("indicator", ""), ())
        if data.get("key") is not None and data["key"] not in keys:
            raise ValidationError(_("Must be one of: %(keys)s.", keys=", ".join(keys) or "-"),
                                  "key")


@dataclass
class Population:
    """The enrolments behind a figure: its denominator (enrolment -> patient) and numerator."""

    members: dict[int, int] = field(default_factory=dict)
    hits: set[int] = field(default_factory=set)

    def add(self, enrolment_id: int, patient_id: int, hit: bool) -> None:
        """Count an enrolment in the denominator, and in the numerator when ``hit``."""
        self.members[enrolment_id] = patient_id
        if hit:
            self.hits.add(enrolment_id)

    def share(self) -> float | None:
        """The numerator as a percentage of the denominator (None when it is empty)."""
        return round(100 * len(self.hits) / len(self.members), 1) if self.members else None


@dataclass(frozen=True)
class Part:
    """One line of a figure that breaks down (a quarter, a kind of incident)."""

    key: str
    numerator: int
    denominator: int
    value: float | None


@dataclass(frozen=True)
class Figure:
    """One indicator of one programme for one year, against its target."""

    indicator: Indicator
    value: float | None
    numerator: int | None  # None for a count
    denominator: int | None
    target: float | None
    met: bool | None
    parts: tuple[Part, ...] = ()
    # Figures the value is made of (days before and after, contacts by channel).
    extra: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgrammeIndicators:
    """A programme's indicator table for a year."""

    programme: str
    year: int
    # Which of the seed's years this is: 0 for N, 1 for N+1, 2 for N+2 and after; None before.
    year_index: int | None
    figures: list[Figure]

    @property
    def title_fr(self) -> str:
        """The programme's French title."""
        return TEMPLATES[self.programme].title_fr

    @property
    def title_en(self) -> str:
        """The programme's English title."""
        return TEMPLATES[self.programme].title_en


@dataclass(frozen=True)
class Indicators:
    """The indicator tables of a year, one per programme asked for, as computed then."""

    year: int
    programmes: list[ProgrammeIndicators]
    computed_at: datetime | None = None


@dataclass(frozen=True)
class PatientRow:
    """A patient behind a figure, as the list shows them."""

    patient_id: int
    enrolment_id: int
    name: str
    state: EnrolmentState
    start_date: date | None


@dataclass(frozen=True)
class PatientsBehind:
    """One page of the patients behind one figure (those the caller may see)."""

    year: int
    programme: str
    indicator: Indicator
    part: str
    key: str | None
    patients: list[PatientRow]  # this page's, in name order
    total: int = 0  # behind the figure and visible to the caller, on every page
    page: int = 1  # the page shown (a page asked past the last one shows the last)
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """How many pages the list has (1 when it is empty)."""
        return max(1, -(-self.total // self.per_page))


# -- the year's bounds ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Year:
    year: int
    first: date
    end: date  # 1 January of the next year
    since: datetime  # their local midnights, in UTC
    until: datetime
    today: date
    tz: tzinfo

    @classmethod
    def of(cls, year: int) -> _Year:
        clock = get_clock()
        first, end = date(year, 1, 1), date(year + 1, 1, 1)

        def midnight(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, tzinfo=clock.tz).astimezone(UTC)

        return cls(year, first, end, midnight(first), midnight(end), clock.today(), clock.tz)

    def holds(self, instant: datetime | None) -> bool:
        """Whether an instant falls in the year (local time)."""
        return instant is not None and self.since <= instant < self.until

    def local_day(self, instant: datetime) -> date:
        """The local calendar day of an instant."""
        return instant.astimezone(self.tz).date()


def _rows(query: Select[Any]) -> list[Any]:
    """A read of many plain rows: through the connection, without the ORM's row handling,
    fetched at once (row by row, the driver's per-row calls cost more than the query)."""
    return list(db.session.connection().execute(query).all())


def _programme_filter(query: Select[Any], programme: str | None) -> Select[Any]:
    return query if programme is None else query.where(Enrolment.programme_code == programme)


# -- the eight queries ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Journey:
    enrolment_id: int
    patient_id: int
    programme: str
    start_date: date
    dossier_completed_at: datetime | None
    intervention_weeks: int
    follow_up_at: datetime | None  # first entry into the follow-up phase
    completed_at: datetime | None
    stopped_at: datetime | None  # interrupted or reoriented
    reoriented: bool
    ended_at: datetime | None  # completed or stopped


def _journeys(year: _Year, programme: str | None) -> list[_Journey]:
    """Started enrolments still running at the start of the year or ended since (query 1)."""
    t = EnrolmentTransition

    def first(*states: EnrolmentState) -> Any:
        return func.min(case((t.to_state.in_(states), t.at)))

    query = (
        select(Enrolment.id, Enrolment.patient_id, Enrolment.programme_code,
               Enrolment.start_date, Enrolment.dossier_completed_at,
               Enrolment.intervention_weeks, first(EnrolmentState.FOLLOW_UP),
               first(EnrolmentState.COMPLETED), first(*STOPPED),
               func.max(case((t.to_state == EnrolmentState.REORIENTED, 1), else_=0)))
        .join(t, t.enrolment_id == Enrolment.id)
        .where(Enrolment.start_date.is_not(None), Enrolment.start_date < year.end,
               (Enrolment.ended_at.is_(None)) | (Enrolment.ended_at >= year.since))
        .group_by(Enrolment.id)
    )
    return [
        _Journey(row[0], row[1], row[2], row[3], row[4],
                 row[5] or TEMPLATES[row[2]].intervention_weeks, row[6], row[7], row[8],
                 bool(row[9]), row[7] or row[8])
        for row in _rows(_programme_filter(query, programme))
    ]


def _entered_follow_up_in(year: _Year) -> Select[Any]:
    return select(EnrolmentTransition.enrolment_id).where(
        EnrolmentTransition.to_state == EnrolmentState.FOLLOW_UP,
        EnrolmentTransition.at >= year.since, EnrolmentTransition.at < year.until)


def _scores(year: _Year) -> dict[int, dict[tuple[str, str], float | None]]:
    """Quality-of-life scores at W0 and W12, the latest of each (query 2)."""
    rows = _rows(
        select(QuestionnaireResponse.enrolment_id, QuestionnaireResponse.instrument,
               QuestionnaireResponse.timepoint, QuestionnaireResponse.score)
        .where(QuestionnaireResponse.instrument.in_(set(QUALITY_OF_LIFE.values())),
               QuestionnaireResponse.timepoint.in_(("W0", "W12")),
               QuestionnaireResponse.enrolment_id.in_(_entered_follow_up_in(year)))
        .order_by(QuestionnaireResponse.answered_at, QuestionnaireResponse.id))
    scores: dict[int, dict[tuple[str, str], float | None]] = defaultdict(dict)
    for enrolment_id, instrument, timepoint, score in rows:  # oldest first: the latest wins
        scores[enrolment_id][str(instrument), timepoint] = score
    return scores


def _endurance(year: _Year) -> dict[int, dict[str, int]]:
    """Endurance times at W0 and W12, the latest of each (query 3)."""
    rows = _rows(
        select(EnduranceTest.enrolment_id, EnduranceTest.timepoint, EnduranceTest.duration_s)
        .where(EnduranceTest.timepoint.in_(("W0", "W12")),
               EnduranceTest.enrolment_id.in_(_entered_follow_up_in(year)))
        .order_by(EnduranceTest.performed_on, EnduranceTest.id))
    times: dict[int, dict[str, int]] = defaultdict(dict)
    for enrolment_id, timepoint, seconds in rows:
        times[enrolment_id][timepoint] = seconds
    return times


def _complete_weeks_before(year: _Year) -> date:
    """Weeks starting before this day are over (and in the year)."""
    return min(year.end, year.today - timedelta(days=6))


def _quarter_starts(year: int) -> list[date]:
    return [date(year, month, 1) for month in (1, 4, 7, 10)] + [date(year + 1, 1, 1)]


def _activity(year: _Year, programme: str | None) -> dict[tuple[int, int], tuple[int, int]]:
    """Sessions and active days of follow-up weeks, per enrolment and quarter (query 4)."""
    starts = _quarter_starts(year.year)
    quarter = case(*[(ActivityWeek.week_start < starts[q], q) for q in QUARTERS[:-1]],
                   else_=QUARTERS[-1])
    intervention = func.coalesce(Enrolment.intervention_weeks, case(
        {code: t.intervention_weeks for code, t in TEMPLATES.items()},
        value=Enrolment.programme_code))
    query = (
        select(ActivityWeek.enrolment_id, quarter, func.sum(ActivityWeek.sessions),
               func.sum(ActivityWeek.active_days))
        .join(Enrolment, Enrolment.id == ActivityWeek.enrolment_id)
        .where(ActivityWeek.week_start >= year.first,
               ActivityWeek.week_start < _complete_weeks_before(year),
               ActivityWeek.week > intervention)
        .group_by(ActivityWeek.enrolment_id, quarter))
    return {(row[0], row[1]): (row[2] or 0, row[3] or 0)
            for row in _rows(_programme_filter(query, programme))}


def _follow_up_contacts(year: _Year, programme: str | None) -> dict[tuple[int, str], int]:
    """Follow-up calls done by phone or video in the year, per enrolment (query 5)."""
    query = (
        select(ScheduledContact.enrolment_id, ScheduledContact.channel, func.count())
        .join(Enrolment, Enrolment.id == ScheduledContact.enrolment_id)
        .where(ScheduledContact.kind == ContactKind.FOLLOW_UP_CALL,
               ScheduledContact.status == ContactStatus.DONE,
               ScheduledContact.channel.in_((Channel.PHONE, Channel.VIDEO)),
               ScheduledContact.done_at >= year.since, ScheduledContact.done_at < year.until)
        .group_by(ScheduledContact.enrolment_id, ScheduledContact.channel))
    return {(row[0], str(row[1])): row[2]
            for row in _rows(_programme_filter(query, programme))}


# Where each contact's hospital days count: the W0 visit reports the 12 months before
# inclusion; the W12 visit and the follow-up calls report the programme's year after.
BEFORE_KINDS = (ContactKind.INCLUSION_VISIT,)
AFTER_KINDS = (ContactKind.CLOSING_VISIT, ContactKind.FOLLOW_UP_CALL)


def _hospital_days(programme: str | None) -> dict[int, tuple[int | None, int | None]]:
    """Days in hospital before and after, per enrolment where recorded (query 6)."""
    before = case((ScheduledContact.kind.in_(BEFORE_KINDS), ScheduledContact.hospital_days))
    after = case((ScheduledContact.kind.in_(AFTER_KINDS), ScheduledContact.hospital_days))
    query = (
        select(ScheduledContact.enrolment_id, func.sum(before), func.sum(after))
        .join(Enrolment, Enrolment.id == ScheduledContact.enrolment_id)
        .where(ScheduledContact.hospital_days.is_not(None))
        .group_by(ScheduledContact.enrolment_id))
    return {row[0]: (row[1], row[2])
            for row in _rows(_programme_filter(query, programme))}


def _paused_weeks(year: _Year, programme: str | None,
                  starts: dict[int, date]) -> dict[int, set[int]]:
    """The programme weeks each enrolment spent suspended, as its file shows them (query 8).

    A suspension not resumed yet runs to today.
    """
    t = EnrolmentTransition
    query = (select(t.enrolment_id, t.action, t.at)
             .join(Enrolment, Enrolment.id == t.enrolment_id)
             .where(t.action.in_((Action.SUSPEND, Action.RESUME)))
             .order_by(t.enrolment_id, t.id))
    paused: dict[int, set[int]] = {}
    for enrolment_id, steps in groupby(_rows(_programme_filter(query, programme)),
                                       key=itemgetter(0)):
        if enrolment_id not in starts:
            continue
        pauses = suspensions((action, year.local_day(at), None) for _id, action, at in steps)
        paused[enrolment_id] = {
            week for pause in pauses
            for week in weeks_touched(starts[enrolment_id], pause.since,
                                      pause.until or year.today)}
    return paused


def _events(year: _Year, programme: str | None) -> dict[int, list[tuple[str, date]]]:
    """Health events of intervention phases that may have ended in the year (query 7)."""
    query = (
        select(HealthEvent.enrolment_id, HealthEvent.kind, HealthEvent.occurred_on)
        .join(Enrolment, Enrolment.id == HealthEvent.enrolment_id)
        .where(HealthEvent.occurred_on >= year.first - LONGEST_INTERVENTION,
               HealthEvent.occurred_on < year.end))
    events: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for enrolment_id, kind, day in _rows(_programme_filter(query, programme)):
        events[enrolment_id].append((str(kind), day))
    return events


# -- populations ---------------------------------------------------------------------------

def _weeks_in(start: date, first_week: int, last_week: int, low: date, high: date) -> range:
    """The programme weeks first..last that start on a day in [low, high)."""
    lowest = max(first_week, -(-(low - start).days // 7) + 1)
    highest = min(last_week, -(-(high - start).days // 7))
    return range(lowest, max(lowest, highest + 1))


# programme -> figure key -> population. Keys "code:part" hold a figure's parts (a quarter,
# a kind of incident); "code:days", "code:before"... hold, in ``members``, the per-enrolment
# values a figure sums instead of patient ids.
Populations = dict[str, dict[str, Population]]


def _populations(year_number: int, programme: str | None) -> Populations:
    """Every figure's population for the year, per programme (the eight queries)."""
    year = _Year.of(year_number)
    journeys = _journeys(year, programme)
    scores, times = _scores(year), _endurance(year)
    activity = _activity(year, programme)
    contacts = _follow_up_contacts(year, programme)
    hospital = _hospital_days(programme)
    events = _events(year, programme)
    paused = _paused_weeks(year, programme, {j.enrolment_id: j.start_date for j in journeys})
    out: Populations = {code: defaultdict(Population)
                        for code in TEMPLATES if programme in (None, code)}
    quarters = _quarter_starts(year.year)
    complete_before = _complete_weeks_before(year)
    for j in journeys:
        pops, template = out[j.programme], _template(j.programme, j.intervention_weeks)
        e, p = j.enrolment_id, j.patient_id
        done = year.holds(j.follow_up_at)
        if done:
            pops["programmes_done"].add(e, p, True)
            qol = get_instrument(QUALITY_OF_LIFE[j.programme])
            mine = scores.get(e, {})
            # The stored score is the overall one: the total, or a one-domain index's domain.
            overall = qol.total or qol.domains[0]
            change = compare(overall, mine.get((qol.code, "W0")), mine.get((qol.code, "W12")))
            if change.verdict not in (Verdict.NOT_MEASURED, Verdict.NO_THRESHOLD):
                pops["quality_of_life"].add(e, p, change.verdict == Verdict.IMPROVED)
            seconds = times.get(e, {})
            change = compare_endurance(seconds.get("W0"), seconds.get("W12"))
            if template.endurance_test and change.verdict != Verdict.NOT_MEASURED:
                pops["endurance"].add(e, p, change.verdict == Verdict.IMPROVED)
        stopped_early = j.follow_up_at is None and year.holds(j.stopped_at)
        if done or stopped_early:
            pops["intervention_validation"].add(e, p, done)
            stop = year.local_day(j.stopped_at) if j.stopped_at and stopped_early else None
            last = j.start_date + timedelta(weeks=j.intervention_weeks)
            kinds = {kind for kind, day in events.get(e, ())
                     if j.start_date <= day < last and (stop is None or day <= stop)}
            pops["incidents"].add(e, p, bool(kinds))
            for kind in kinds:
                pops[f"incidents:{kind}"].add(e, p, True)
        if year.first <= j.start_date < year.end and j.dossier_completed_at is not None:
            days = delay_days(j.dossier_completed_at, j.start_date, year.tz)
            pops["dossier_to_start"].add(e, p, days is not None
                                         and days <= _delay_target(j.programme, year.year))
            pops["dossier_to_start:days"].members[e] = days or 0
        if j.follow_up_at is None or j.follow_up_at >= year.until or (
                j.ended_at is not None and j.ended_at < year.since):
            continue
        # In the follow-up phase at some time in the year.
        pops["follow_up_patients"].add(e, p, True)
        pops["reorientation"].add(e, p, j.reoriented and year.holds(j.stopped_at))
        if year.holds(j.ended_at):
            pops["follow_up_validation"].add(e, p, j.completed_at is not None)
        if year.holds(j.completed_at):
            before, after = hospital.get(e, (None, None))
            if before is not None and after is not None:
                pops["hospital_days"].add(e, p, after < before)
                pops["hospital_days:before"].members[e] = before
                pops["hospital_days:after"].members[e] = after
        for channel in (Channel.PHONE, Channel.VIDEO):
            count = contacts.get((e, channel.value), 0)
            if count:
                pops[f"follow_up_{channel.value}"].add(e, p, True)
                pops[f"follow_up_{channel.value}:contacts"].members[e] = count
        end = year.local_day(j.ended_at) if j.ended_at else None
        weeks_in_year = counted_in_year = 0
        for q in QUARTERS:
            high = min(quarters[q], complete_before, end or quarters[q])
            # Weeks suspended by the physician are not weeks the patient was to train.
            weeks = sum(1 for week in _weeks_in(j.start_date, j.intervention_weeks + 1,
                                                template.total_weeks, quarters[q - 1], high)
                        if week not in paused.get(e, ()))
            if weeks:
                sessions, days = activity.get((e, q), (0, 0))
                counted = days if template.counts_booklet_days else sessions
                pops[f"activity_kept:{q}"].add(
                    e, p, counted >= template.follow_up_min_sessions * weeks)
                weeks_in_year += weeks
                counted_in_year += counted
        if weeks_in_year:
            pops["activity_kept"].add(
                e, p, counted_in_year >= template.follow_up_min_sessions * weeks_in_year)
    return out


@cache
def _template(code: str, weeks: int) -> ProgrammeTemplate:
    return get_template(code, weeks)


@cache
def _delay_target(programme: str, year: int) -> float:
    indicator = _indicator(programme, "dossier_to_start")
    target = indicator.target(programme, year)
    # Before the first year there is no target; the seed's 4 weeks still tells late from not.
    return target if target is not None else indicator.targets[0] or 0


def _indicator(programme: str, code: str) -> Indicator:
    return next(i for i in INDICATORS[programme] if i.code == code)


# -- figures -------------------------------------------------------------------------------

def _figure(programme: str, year: int, indicator: Indicator,
            pops: dict[str, Population]) -> Figure:
    pop = pops.get(indicator.code, Population())
    extra: dict[str, int] = {}
    numerator: int | None = len(pop.hits)
    denominator: int | None = len(pop.members)
    parts: tuple[Part, ...] = ()
    if not indicator.applies:
        value, numerator, denominator = None, None, None
    elif indicator.unit == Unit.COUNT:
        value, numerator = float(len(pop.members)), None
        if indicator.code.startswith("follow_up_") and indicator.code != "follow_up_patients":
            extra["contacts"] = sum(pops.get(f"{indicator.code}:contacts",
                                             Population()).members.values())
    elif indicator.unit == Unit.DAYS:
        days = pops.get("dossier_to_start:days", Population()).members.values()
        value = round(sum(days) / len(pop.members), 1) if pop.members else None
    elif indicator.code == "hospital_days":
        before = sum(pops.get("hospital_days:before", Population()).members.values())
        after = sum(pops.get("hospital_days:after", Population()).members.values())
        extra = {"days_before": before, "days_after": after}
        value = round(100 * (1 - after / before), 1) if before else None
    else:
        value = pop.share()
    for key in PART_KEYS.get(indicator.code, ()):
        part = pops.get(f"{indicator.code}:{key}", Population())
        # An incident's share is of all programmes whose intervention ended, not of its kind.
        whole = pop if indicator.code == "incidents" else part
        if part.members or indicator.code == "activity_kept":
            parts += (Part(key, len(part.hits), len(whole.members),
                           round(100 * len(part.hits) / len(whole.members), 1)
                           if whole.members else None),)
    target = indicator.target(programme, year)
    return Figure(indicator, value, numerator, denominator, target,
                  indicator.met(value, target), parts, extra)


def _require_coordinator(actor: User) -> None:
    # The indicators are the programme's, against its funded targets: a referent's share of
    # them would read as the programme's. Referents see their patients' outcomes on the file.
    if actor.role != Role.COORDINATOR:
        raise Forbidden(_("Your role may not open the indicators."), "forbidden")


def default_year() -> int:
    """The current calendar year (the page's default)."""
    return get_clock().today().year


def selectable_years(year: int) -> list[int]:
    """The years the page offers: from the programmes' first year to this one (or ``year``)."""
    return list(range(min(min(FIRST_YEAR.values()), year), max(default_year(), year) + 1))


def _year_index(programme: str, year: int) -> int | None:
    index = year - FIRST_YEAR[programme]
    return min(index, 2) if index >= 0 else None


def compute(year: int, programme: str | None = None) -> Indicators:
    """The indicator tables of ``year`` (one programme, or all), now: no access check."""
    populations = _populations(year, programme)
    tables = [ProgrammeIndicators(
        code, year, _year_index(code, year),
        [_figure(code, year, indicator, pops) for indicator in INDICATORS[code]])
        for code, pops in populations.items()]
    return Indicators(year, tables, get_clock().now())


# -- snapshots: what the page and the exports read -----------------------------------------

def snapshot(year: int) -> Indicators:
    """Compute ``year`` for every programme and keep it as the year's snapshot."""
    result = compute(year)
    row = IndicatorSnapshot(year=year, computed_at=result.computed_at,
                            tables=[_table_json(t) for t in result.programmes])
    try:
        with db.session.begin_nested():
            db.session.merge(row)
    except IntegrityError:
        pass  # another process stored the same year meanwhile: its figures are as fresh
    return result


def stored(year: int) -> Indicators | None:
    """The year's snapshot, or None when there is none or the indicators changed since."""
    row = db.session.get(IndicatorSnapshot, year)
    if row is None:
        return None
    tables = {t["programme"]: t for t in row.tables}
    if set(tables) != set(TEMPLATES) or any(
            [f["code"] for f in tables[code]["figures"]] != [i.code for i in INDICATORS[code]]
            for code in TEMPLATES):
        return None  # written before a change of the indicators' definitions
    return Indicators(year, [_table_from_json(year, tables[code]) for code in TEMPLATES],
                      row.computed_at)


def refresh_snapshots(day: date) -> dict[str, Any]:
    """The nightly job: this year's and last year's snapshots computed again.

    Last year's too: its last visits and follow-up calls are recorded in the
    first weeks of the new year.
    """
    years = [day.year - 1, day.year]
    for year in years:
        snapshot(year)
    db.session.commit()
    return {"years": years}


def _table_json(table: ProgrammeIndicators) -> dict[str, Any]:
    """A programme's figures as stored: targets and verdicts are the indicators' own, read
    again from ``shared.indicators`` when the snapshot is shown."""
    return {"programme": table.programme, "figures": [
        {"code": f.indicator.code, "value": f.value, "numerator": f.numerator,
         "denominator": f.denominator, "extra": f.extra,
         "parts": [[p.key, p.numerator, p.denominator, p.value] for p in f.parts]}
        for f in table.figures]}


def _table_from_json(year: int, data: dict[str, Any]) -> ProgrammeIndicators:
    programme = data["programme"]
    figures = []
    for item in data["figures"]:
        indicator = _indicator(programme, item["code"])
        target = indicator.target(programme, year)
        figures.append(Figure(indicator, item["value"], item["numerator"], item["denominator"],
                              target, indicator.met(item["value"], target),
                              tuple(Part(*part) for part in item["parts"]), item["extra"]))
    return ProgrammeIndicators(programme, year, _year_index(programme, year), figures)


@read_use_case
def indicator_table(actor: User, year: int | None = None,
                    programme: str | None = None) -> Indicators:
    """The coordinator's indicator tables for a year (default: this one), all programmes
    unless one is asked for, as last computed (computed now if never). Aggregates only:
    no patient record is read, nothing audited."""
    _require_coordinator(actor)
    year = year or default_year()
    result = stored(year) or snapshot(year)
    return Indicators(year, [t for t in result.programmes if programme in (None, t.programme)],
                      result.computed_at)


@use_case
def recompute(actor: User, year: int | None = None) -> Indicators:
    """The coordinator's "compute again now": the year's snapshot replaced."""
    _require_coordinator(actor)
    return snapshot(year or default_year())


def _among(column: Any, ids: set[int]) -> ColumnElement[bool]:
    """``column`` is one of ``ids``: on PostgreSQL one array parameter, whatever their number
    (an IN list of a large figure's tens of thousands of ids nears the protocol's 65,535
    parameters); elsewhere an IN list."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", sorted(ids), type_=ARRAY(BigInteger)))
    return column.in_(ids)


@read_use_case
def patients_behind(actor: User, indicator: str, year: int | None = None,
                    programme: str | None = None, part: str = DENOMINATOR,
                    key: str | None = None, page: int = 1) -> PatientsBehind:
    """One page (``PER_PAGE``, in name order) of the patients behind one figure that ``actor``
    may see, with their total; a page past the last shows the last, one before the first the
    first (the schemas refuse those with a 422 first). Only the patients shown
    are read by name and audited."""
    _require_coordinator(actor)
    year = year or default_year()
    programme = programme or next(iter(TEMPLATES))
    pops = _populations(year, programme)[programme]
    pop = pops.get(f"{indicator}:{key}" if key else indicator, Population())
    ids = pop.hits if part == NUMERATOR else set(pop.members)
    rows: list[PatientRow] = []
    total = 0
    page = max(1, page)
    if ids:
        visible = access.visible_patients(actor).with_only_columns(Patient.id)
        behind = (select(Enrolment.id, Patient.id, Patient.first_name, Patient.last_name,
                         Enrolment.state, Enrolment.start_date)
                  .join(Patient, Patient.id == Enrolment.patient_id)
                  .where(_among(Enrolment.id, ids), Patient.id.in_(visible)))
        total = db.session.scalar(select(func.count()).select_from(behind.subquery())) or 0
        page = min(page, max(1, -(-total // PER_PAGE)))
        for enrolment_id, patient_id, first, last, state, start in db.session.execute(
                behind.order_by(Patient.last_name, Patient.first_name, Enrolment.id)
                .limit(PER_PAGE).offset((page - 1) * PER_PAGE)):
            rows.append(PatientRow(patient_id, enrolment_id, f"{last.upper()} {first}",
                                   state, start))
    else:
        page = 1
    # The figure read, within the audit row's two 40-character fields: "indicators 2025
    # respiratory_home" and "incidents:n:fall" (n numerator, d denominator). Only the page's
    # patients were shown, so only they are named.
    record_access(actor, access.READ, f"indicators {year} {programme}",
                  [r.patient_id for r in rows], f"{indicator}:{part[0]}:{key or ''}")
    return PatientsBehind(year, programme, _indicator(programme, indicator), part, key, rows,
                          total, page, PER_PAGE)


def export_rows(indicators: Indicators) -> list[dict[str, Any]]:
    """The tables as flat rows for the external evaluator: aggregates, no patient identity.

    One row per figure, then one per part of a figure that breaks down (``part`` set);
    each says when the figures were computed.
    """
    computed_at = indicators.computed_at.isoformat() if indicators.computed_at else None
    rows = []
    for table in indicators.programmes:
        for figure in table.figures:
            i = figure.indicator
            base = {"year": table.year, "programme": table.programme,
                    "year_of_programme": None if table.year_index is None
                    else ("N", "N+1", "N+2")[table.year_index],
                    "indicator": i.code, "kind": i.kind, "unit": i.unit.value,
                    "goal": i.goal.value, "applies": i.applies, "seed_lines": i.seed_lines,
                    "seed_note": i.note_en, "computed_at": computed_at}
            rows.append({**base, "part": None, "value": figure.value,
                         "numerator": figure.numerator, "denominator": figure.denominator,
                         "target": figure.target, "met": figure.met,
                         "days_before": figure.extra.get("days_before"),
                         "days_after": figure.extra.get("days_after"),
                         "contacts": figure.extra.get("contacts")})
            rows.extend({**base, "part": part.key, "value": part.value,
                         "numerator": part.numerator, "denominator": part.denominator,
                         "target": None, "met": None, "days_before": None,
                         "days_after": None, "contacts": None} for part in figure.parts)
    return rows


EXPORT_COLUMNS = ("year", "programme", "year_of_programme", "indicator", "part", "kind",
                  "unit", "value", "numerator", "denominator", "target", "goal", "met",
                  "applies", "days_before", "days_after", "contacts", "seed_lines",
                  "seed_note", "computed_at")


def export_csv(rows: list[dict[str, Any]]) -> str:
    """The export rows as CSV, one header line, the columns in ``EXPORT_COLUMNS`` order."""
    out = io.StringIO()
    writer = csv.DictWriter(out, EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
