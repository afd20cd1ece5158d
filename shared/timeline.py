"""The programme timeline: from a start date, every contact with its due time and window.

Pure and deterministic. Days are calendar days in the programme's time zone
(Europe/Paris); due times and windows are aware datetimes in that zone, so a
call planned at 10:00 stays at 10:00 local across DST changes. Windows are
half-open: ``window_opens <= t < window_closes``.

Programme week 1 starts on the start day (the W0 inclusion visit); the
intervention's last day is ``start + 7 * intervention_weeks - 1``; the
follow-up months count from the day after it, on calendar months (31 January
+ 1 month = 28 or 29 February).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.enums import Channel, ContactKind, Phase, SynthesisKind
from shared.programmes import ProgrammeTemplate
from shared.synthesis import SPECS, WRITING_DAYS

PARIS = ZoneInfo("Europe/Paris")
DUE_HOUR = time(10, 0)
FOLLOW_UP_CALL_TOLERANCE_DAYS = 7
FOLLOW_UP_CONSULTATION_TOLERANCE_DAYS = 14
SYNTHESIS_WINDOW_DAYS = 14
MICRO_PROJECT_WEEKS = 4


@dataclass(frozen=True)
class ProgrammeDates:
    """Key calendar days of one enrolment (all inclusive)."""

    start: date
    intervention_end: date
    follow_up_start: date
    end: date


@dataclass(frozen=True)
class PlannedContact:
    """One contact of the timeline; ``key`` is stable and unique within an enrolment."""

    key: str
    kind: ContactKind
    phase: Phase
    channel: Channel
    due_at: datetime
    window_opens: datetime
    window_closes: datetime
    week: int | None = None
    month: int | None = None

    @property
    def due_date(self) -> date:
        """The local calendar day the contact is due."""
        return self.due_at.date()


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, clamped to the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def programme_dates(template: ProgrammeTemplate, start: date) -> ProgrammeDates:
    """Start, end of intervention, start of follow-up and end of programme."""
    intervention_end = start + timedelta(days=7 * template.intervention_weeks - 1)
    return ProgrammeDates(
        start=start,
        intervention_end=intervention_end,
        follow_up_start=intervention_end + timedelta(days=1),
        end=start + timedelta(days=7 * template.total_weeks - 1),
    )


def week_of(start: date, day: date) -> int:
    """Programme week of ``day``: 1 for the first seven days, 0 before the start."""
    if day < start:
        return 0
    return (day - start).days // 7 + 1


def weeks_touched(start: date, since: date, until: date) -> range:
    """The programme weeks a span of days ``since``..``until`` (both included) touches:
    those of a suspension, for the file's timeline and the indicators alike."""
    return range(week_of(start, since), week_of(start, until) + 1)


def phase_on(template: ProgrammeTemplate, start: date, day: date) -> Phase:
    """Phase of the programme on a given local day."""
    dates = programme_dates(template, start)
    if day < dates.start:
        return Phase.BEFORE_START
    if day <= dates.intervention_end:
        return Phase.INTERVENTION
    if day <= dates.end:
        return Phase.FOLLOW_UP
    return Phase.ENDED


def local_midnight(day: date, tz: ZoneInfo = PARIS) -> datetime:
    """Start of a local day as an aware datetime."""
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def _contact(
    key: str, kind: ContactKind, phase: Phase, channel: Channel, due: date,
    first: date, last: date, tz: ZoneInfo, *, week: int | None = None, month: int | None = None,
) -> PlannedContact:
    return PlannedContact(
        key=key, kind=kind, phase=phase, channel=channel,
        due_at=datetime.combine(due, DUE_HOUR, tzinfo=tz),
        window_opens=local_midnight(first, tz),
        window_closes=local_midnight(last + timedelta(days=1), tz),
        week=week, month=month,
    )


def _week_days(start: date, week: int) -> tuple[date, date]:
    first = start + timedelta(days=7 * (week - 1))
    return first, first + timedelta(days=6)


def _intervention_contacts(
    template: ProgrammeTemplate, start: date, tz: ZoneInfo
) -> list[PlannedContact]:
    phase = Phase.INTERVENTION
    contacts = [
        _contact("visit:w0", ContactKind.INCLUSION_VISIT, phase, Channel.HOME, start,
                 start, start + timedelta(days=2), tz, week=0),
    ]
    if template.specialist_consultations:
        # The first consultation prescribes the programme, before it starts (seed 003
        # l.4552-4561): it is on the timeline as done when the programme starts.
        contacts.append(_contact(
            "specialist:w0", ContactKind.SPECIALIST_CONSULTATION, Phase.BEFORE_START,
            Channel.CLINIC, start - timedelta(days=7),
            start - timedelta(days=template.prescribing_consultation_days_before),
            start - timedelta(days=1), tz, week=0))
    for week in template.weekly_call_weeks():
        first, last = _week_days(start, week)
        contacts.append(_contact(
            f"call:w{week}", ContactKind.WEEKLY_CALL, phase, Channel.PHONE,
            first + timedelta(days=4), first, last, tz, week=week))
    visit_weeks = (template.mid_week, template.intervention_weeks) if template.home_visits else ()
    for week in visit_weeks:
        first, last = _week_days(start, week)
        kind = (ContactKind.CLOSING_VISIT if week == template.intervention_weeks
                else ContactKind.HOME_VISIT)
        contacts.append(_contact(
            f"visit:w{week}", kind, phase, Channel.HOME, last - timedelta(days=2),
            first, last, tz, week=week))
        if template.specialist_consultations:
            contacts.append(_contact(
                f"specialist:w{week}", ContactKind.SPECIALIST_CONSULTATION, phase,
                Channel.CLINIC, first + timedelta(days=2), first, last, tz, week=week))
    return contacts


def _follow_up_contacts(
    template: ProgrammeTemplate, dates: ProgrammeDates, tz: ZoneInfo
) -> list[PlannedContact]:
    phase = Phase.FOLLOW_UP
    contacts = []
    specs = [
        (f"call:m{m}", ContactKind.FOLLOW_UP_CALL, Channel.PHONE, m,
         FOLLOW_UP_CALL_TOLERANCE_DAYS) for m in template.follow_up_call_months
    ] + [
        (f"consultation:m{m}", ContactKind.FOLLOW_UP_CONSULTATION, Channel.OFFICE, m,
         FOLLOW_UP_CONSULTATION_TOLERANCE_DAYS) for m in template.follow_up_consultation_months
    ]
    for key, kind, channel, months, tolerance in specs:
        due = min(add_months(dates.follow_up_start, months), dates.end)
        first = max(due - timedelta(days=tolerance), dates.follow_up_start)
        last = min(due + timedelta(days=tolerance), dates.end)
        contacts.append(_contact(key, kind, phase, channel, due, first, last, tz, month=months))
    if SynthesisKind.MONTH_12 in template.syntheses:
        contacts.append(_contact(
            SPECS[SynthesisKind.MONTH_12].contact_key, ContactKind.SYNTHESIS, phase,
            Channel.OFFICE, dates.end, dates.end - timedelta(days=SYNTHESIS_WINDOW_DAYS - 1),
            dates.end, tz, month=12))
    return contacts


def _synthesis_contacts(template: ProgrammeTemplate, dates: ProgrammeDates,
                        tz: ZoneInfo) -> list[PlannedContact]:
    """The initial, mid-term and final syntheses: written after the visit they report on
    (inclusion, W6, W12), due a week later and sent within ``WRITING_DAYS``."""
    visits = {SynthesisKind.INITIAL: (0, dates.start),
              SynthesisKind.MID_TERM: (template.mid_week, dates.start + timedelta(
                  days=7 * template.mid_week - 1)),
              SynthesisKind.FINAL: (template.intervention_weeks, dates.intervention_end)}
    contacts = []
    for kind, (week, visit_day) in visits.items():
        if kind not in template.syntheses:
            continue
        due, first = visit_day + timedelta(days=7), visit_day
        phase = Phase.INTERVENTION
        if kind == SynthesisKind.FINAL:
            # Written after the closing visit, so in the follow-up phase (windows stay in one).
            phase, first = Phase.FOLLOW_UP, dates.follow_up_start
        contacts.append(_contact(
            SPECS[kind].contact_key, ContactKind.SYNTHESIS, phase, Channel.OFFICE, due,
            first, visit_day + timedelta(days=WRITING_DAYS), tz, week=week))
    return contacts


def build_timeline(
    template: ProgrammeTemplate, start: date, tz: ZoneInfo = PARIS
) -> list[PlannedContact]:
    """Every planned contact of an enrolment starting on ``start``, in due order."""
    dates = programme_dates(template, start)
    contacts = (_intervention_contacts(template, start, tz)
                + _follow_up_contacts(template, dates, tz)
                + _synthesis_contacts(template, dates, tz))
    return sorted(contacts, key=lambda c: (c.due_at, c.key))


def reinforcement_contacts(
    template: ProgrammeTemplate, start: date, visit_day: date, tz: ZoneInfo = PARIS
) -> list[PlannedContact]:
    """A reinforcement home visit and the weekly calls of its 4-week micro-project.

    Only contacts that fall inside the follow-up phase are returned; the visit
    itself must be planned inside it.
    """
    dates = programme_dates(template, start)
    if not dates.follow_up_start <= visit_day <= dates.end:
        raise ValueError(
            f"reinforcement visit on {visit_day} is outside the follow-up phase "
            f"({dates.follow_up_start} to {dates.end})")
    phase = Phase.FOLLOW_UP
    tag = visit_day.isoformat()
    contacts = [_contact(
        f"reinforcement:{tag}", ContactKind.REINFORCEMENT_VISIT, phase, Channel.HOME,
        visit_day, visit_day, min(visit_day + timedelta(days=3), dates.end), tz)]
    for n in range(1, MICRO_PROJECT_WEEKS + 1):
        due = visit_day + timedelta(days=7 * n)
        if due > dates.end:
            break
        contacts.append(_contact(
            f"micro_project:{tag}:w{n}", ContactKind.MICRO_PROJECT_CALL, phase, Channel.PHONE,
            due, due - timedelta(days=2), min(due + timedelta(days=2), dates.end), tz, week=n))
    return contacts
