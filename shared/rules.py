"""Rupture and safety rules: thresholds as data, evaluation as pure functions.

Every threshold lives in ``RuleSet`` (one per programme template, in
``RULES``); the server's sweep gathers each running enrolment's figures into
``PatientFacts`` with set-based queries and asks ``evaluate`` which flags fire.
Sources (PROGRAMME.md, "Rupture and flags" and "Remote follow-up phase";
seed 003 l.4113-4135 and l.4150-4265):
- the adherence minimum is the template's weekly minimum (4 respiratory,
  2 low back pain);
- "significant activity" in follow-up is the template's minimum: 3 sessions
  a week for the respiratory programme (indicator, l.5130-5140), 2 for the
  low back pain one (its own rhythm, seed 002 l.98);
- the low back pain programme is booklet-centred (seed 000 l.1166-1168): its
  adherence and rupture count active days (an ergocycle session or booklet
  exercises done), and booklet pain counts for the pain rule;
- intercurrent events during the intervention go to the physician at once;
- a rupture heard at the template's committee calls (+3 and +6 months,
  l.4188-4228) opens a committee review and proposes a reinforcement visit
  in follow-up month 4 or 7 (l.4231-4239; a second rupture after one:
  reorientation); elsewhere, and when the tablet's logs show it, the rupture
  is the referent's flag: encouragement and the activity project revisited;
- while the physician suspends an enrolment no adherence, silence, booklet or
  rupture flag is raised (PROGRAMME.md, product decisions); health events and
  heart rate are still watched.
The other thresholds (silence 5 days, dyspnoea 7/10 twice a week, pain +2,
booklet 50 %, 3 unreachable attempts) are product choices stated here only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from shared.enums import HealthEventKind, Phase
from shared.programmes import LOW_BACK_PAIN, RESPIRATORY, ProgrammeTemplate
from shared.timeline import add_months, programme_dates


class FlagKind(StrEnum):
    """What a flag is about; one open flag per patient and kind."""

    ADHERENCE = "adherence"
    SILENCE = "silence"
    HEALTH_EVENT = "health_event"
    HEART_RATE = "heart_rate"
    PAIN_RISE = "pain_rise"
    DYSPNOEA = "dyspnoea"
    BOOKLET = "booklet"
    FOLLOW_UP_RUPTURE = "follow_up_rupture"
    MISSED_CONTACT = "missed_contact"


class Severity:
    """Severity levels, higher is more urgent (the queue sorts on it)."""

    LOW = 1
    MODERATE = 2
    HIGH = 3
    CRITICAL = 4


# Kinds that close by themselves when their condition clears; the others
# (health events, heart rate, ruptures under committee review, missed calls)
# wait for a person's decision.
AUTO_CLOSING = frozenset({
    FlagKind.ADHERENCE, FlagKind.SILENCE, FlagKind.PAIN_RISE, FlagKind.DYSPNOEA,
    FlagKind.BOOKLET,
})

EVENT_SEVERITY: dict[HealthEventKind, int] = {
    HealthEventKind.HOSPITALISATION: Severity.CRITICAL,
    HealthEventKind.CHEST_PAIN: Severity.CRITICAL,
    HealthEventKind.EXACERBATION: Severity.HIGH,
    HealthEventKind.FALL: Severity.HIGH,
    HealthEventKind.UNSCHEDULED_CONSULTATION: Severity.HIGH,
    HealthEventKind.PAIN_FLARE: Severity.MODERATE,
    HealthEventKind.OTHER: Severity.MODERATE,
}


@dataclass(frozen=True)
class RuleSet:
    """The thresholds of every rule for one programme template."""

    adherence_min_sessions: int
    silence_days: int = 5
    dyspnoea_high: int = 7
    dyspnoea_high_sessions: int = 2
    pain_rise: int = 2
    booklet_min_ratio: float = 0.5
    follow_up_min_sessions: int = 3
    follow_up_weeks: int = 3
    unreachable_attempts: int = 3
    reminder_no_session_days: int = 3
    watch_pain: bool = False
    watch_dyspnoea: bool = False

    def as_evidence(self, *names: str) -> dict[str, Any]:
        """The named thresholds, copied into a flag's evidence."""
        return {name: getattr(self, name) for name in names}


RULES: dict[str, RuleSet] = {
    RESPIRATORY.code: RuleSet(
        adherence_min_sessions=RESPIRATORY.sessions_per_week_min,
        follow_up_min_sessions=RESPIRATORY.follow_up_min_sessions, watch_dyspnoea=True),
    LOW_BACK_PAIN.code: RuleSet(
        adherence_min_sessions=LOW_BACK_PAIN.sessions_per_week_min,
        follow_up_min_sessions=LOW_BACK_PAIN.follow_up_min_sessions, watch_pain=True),
}

# How far back the sweep reads sessions: the current week and the three before it.
LOOKBACK_DAYS = 28


class WeekFigures(NamedTuple):
    """What the patient logged in one programme week.

    A named tuple, not a frozen dataclass: the sweep builds up to three per
    running enrolment, and a tuple is built in a third of the time.
    """

    sessions: int = 0
    high_dyspnoea: int = 0
    pain_mean: float | None = None
    booklet_done: float = 0.0
    # Days with an ergocycle session or booklet exercises done (booklet-centred programmes).
    active_days: int = 0


NOTHING_LOGGED = WeekFigures()


@dataclass(slots=True)
class PatientFacts:
    """Everything the rules read about one running enrolment, as of ``today``."""

    enrolment_id: int
    patient_id: int
    template: ProgrammeTemplate
    start: date
    today: date
    days_silent: int
    weeks: dict[int, WeekFigures] = field(default_factory=dict)
    booklet_prescribed: int = 0
    pain_baseline: float | None = None
    unsafe_sessions: list[dict[str, Any]] = field(default_factory=list)
    new_events: list[dict[str, Any]] = field(default_factory=list)
    reinforcement_done: bool = False
    # Sessions a week of the W12 activity project: the follow-up target when set.
    activity_project: int | None = None
    suspended: bool = False
    week: int = field(init=False)  # the current programme week (1 on the start day)

    def __post_init__(self) -> None:
        # A field, not a property: the rules read it many times per patient.
        self.week = (self.today - self.start).days // 7 + 1

    @property
    def phase(self) -> Phase:
        """Intervention or follow-up today."""
        if self.week <= self.template.intervention_weeks:
            return Phase.INTERVENTION
        return Phase.FOLLOW_UP

    def figures(self, week: int) -> WeekFigures:
        """The figures of a programme week (zeros when nothing was logged)."""
        return self.weeks.get(week) or NOTHING_LOGGED

    def activity(self, week: int) -> int:
        """What the week counts against the minimum: sessions, or active days when the
        programme is booklet-centred."""
        figures = self.figures(week)
        return figures.active_days if self.template.counts_booklet_days else figures.sessions


@dataclass(frozen=True)
class Firing:
    """A rule that fired: the flag it asks for, with its evidence."""

    kind: FlagKind
    severity: int
    evidence: dict[str, Any]
    escalate: bool = False
    committee: bool = False


def _adherence(f: PatientFacts, rules: RuleSet) -> Firing | None:
    last = f.week - 1
    if not 1 <= last <= f.template.intervention_weeks:
        return None
    counts = {w: f.activity(w) for w in (last - 1, last) if w >= 1}
    minimum = rules.adherence_min_sessions
    if counts[last] >= minimum:
        return None
    two_in_a_row = last - 1 in counts and counts[last - 1] < minimum
    severity = Severity.HIGH if counts[last] == 0 or two_in_a_row else Severity.MODERATE
    return Firing(FlagKind.ADHERENCE, severity, {
        "week": last, "sessions": counts[last], "previous_week_sessions": counts.get(last - 1),
        **rules.as_evidence("adherence_min_sessions")})


def silence_steps(rules: RuleSet) -> tuple[int, int]:
    """The days of silence at which the silence flag opens, then turns high."""
    return rules.silence_days, 2 * rules.silence_days


def _silence(f: PatientFacts, rules: RuleSet) -> Firing | None:
    opens, high = silence_steps(rules)
    if f.days_silent < opens:
        return None
    severity = Severity.HIGH if f.days_silent >= high else Severity.MODERATE
    # The day it started, not its length: the evidence stays the same from one day to the
    # next, and the flag changes only when its severity does.
    since = f.today - timedelta(days=f.days_silent)
    return Firing(FlagKind.SILENCE, severity, {
        "silent_since": since.isoformat(), **rules.as_evidence("silence_days")})


def _symptoms(f: PatientFacts, rules: RuleSet) -> list[Firing]:
    last = f.week - 1
    if last < 1:
        return []
    week = f.figures(last)
    fired = []
    if rules.watch_dyspnoea and week.high_dyspnoea >= rules.dyspnoea_high_sessions:
        fired.append(Firing(FlagKind.DYSPNOEA, Severity.MODERATE, {
            "week": last, "high_scores": week.high_dyspnoea,
            **rules.as_evidence("dyspnoea_high", "dyspnoea_high_sessions")}))
    if (rules.watch_pain and last >= 2 and f.pain_baseline is not None
            and week.pain_mean is not None
            and week.pain_mean - f.pain_baseline >= rules.pain_rise):
        fired.append(Firing(FlagKind.PAIN_RISE, Severity.MODERATE, {
            "week": last, "pain_mean": round(week.pain_mean, 1),
            "baseline": round(f.pain_baseline, 1), **rules.as_evidence("pain_rise")}))
    return fired


def _booklet(f: PatientFacts, rules: RuleSet) -> Firing | None:
    last = f.week - 1
    if f.booklet_prescribed == 0 or not 1 <= last <= f.template.intervention_weeks:
        return None
    ratio = f.figures(last).booklet_done / f.booklet_prescribed
    if ratio >= rules.booklet_min_ratio:
        return None
    return Firing(FlagKind.BOOKLET, Severity.LOW, {
        "week": last, "done": f.figures(last).booklet_done, "prescribed": f.booklet_prescribed,
        "ratio": round(ratio, 2), **rules.as_evidence("booklet_min_ratio")})


def _follow_up(f: PatientFacts, rules: RuleSet) -> Firing | None:
    last = f.week - 1
    first = last - rules.follow_up_weeks + 1
    # The seed's rupture is activity below the patient's project; without one, the
    # programme's "significant activity" (3 sessions a week respiratory, 2 low back pain).
    target = (f.activity_project if f.activity_project is not None
              else rules.follow_up_min_sessions)
    if first <= f.template.intervention_weeks or f.activity(last) >= target:
        return None
    counts = [f.activity(w) for w in range(first, last + 1)]
    if max(counts) >= target:
        return None
    return rupture_firing(f.template, f.start, f.today, f.reinforcement_done, {
        "source": "self_logged", "weeks": list(range(first, last + 1)), "sessions": counts,
        "project_sessions_per_week": f.activity_project,
        **rules.as_evidence("follow_up_min_sessions", "follow_up_weeks")}, committee=False)


def rupture_firing(template: ProgrammeTemplate, start: date, today: date,
                   reinforcement_done: bool, evidence: dict[str, Any], *,
                   committee: bool) -> Firing:
    """A follow-up rupture, with the seed's proposal.

    At a committee call the committee reviews it: after a reinforcement visit
    the proposal is a reorientation (physio or SSR stay), otherwise a
    reinforcement visit in follow-up month 4 or 7. Elsewhere it is the
    referent's flag: encourage and revisit the activity project.
    """
    if not committee:
        return Firing(FlagKind.FOLLOW_UP_RUPTURE, Severity.MODERATE,
                      {**evidence, "proposal": "encourage_and_revisit_project"})
    if reinforcement_done:
        proposal: dict[str, Any] = {"proposal": "reorientation"}
    else:
        visit = reinforcement_visit_day(template, start, today)
        proposal = ({"proposal": "reinforcement_visit", "visit_day": visit.isoformat()}
                    if visit else {"proposal": "committee_review"})
    return Firing(FlagKind.FOLLOW_UP_RUPTURE, Severity.HIGH, {**evidence, **proposal},
                  committee=True)


def reinforcement_windows(template: ProgrammeTemplate,
                          start: date) -> list[tuple[int, date, date]]:
    """The follow-up months a reinforcement visit may fall in, with their first and last day.

    The seed places it in follow-up month 4 or 7 (l.4231-4239).
    """
    follow_up_start = programme_dates(template, start).follow_up_start
    return [(month, add_months(follow_up_start, month - 1),
             add_months(follow_up_start, month) - timedelta(days=1))
            for month in template.reinforcement_months]


def reinforcement_visit_day(template: ProgrammeTemplate, start: date,
                            today: date) -> date | None:
    """The day to propose for a reinforcement visit, or None when none fits.

    In one of the template's reinforcement windows; a week's notice at least,
    and its 4 weeks of micro-project calls must fit before the programme ends.
    """
    dates = programme_dates(template, start)
    earliest = today + timedelta(days=7)
    for _month, opens, closes in reinforcement_windows(template, start):
        day = max(earliest, opens)
        if day <= closes and day + timedelta(days=28) <= dates.end:
            return day
    return None


def _heart_rate(f: PatientFacts) -> Firing | None:
    if not f.unsafe_sessions:
        return None
    return Firing(FlagKind.HEART_RATE, Severity.HIGH, {"sessions": f.unsafe_sessions},
                  escalate=True)


def _health_events(f: PatientFacts) -> Firing | None:
    if not f.new_events:
        return None
    severity = max(EVENT_SEVERITY[HealthEventKind(e["kind"])] for e in f.new_events)
    if any(e.get("warning_signs") for e in f.new_events):
        severity = max(severity, Severity.HIGH)
    return Firing(FlagKind.HEALTH_EVENT, severity, {"events": f.new_events},
                  escalate=f.phase == Phase.INTERVENTION)


# Heart rate measured by a strap: this long above the ceiling in one session is a sustained
# excursion (a lone beat above it can be a strap artefact; a minute cannot).
SUSTAINED_ABOVE_CEILING_S = 60


def unsafe_heart_rate(hr_max: int | None, hr_rest: int | None, ceiling: int | None,
                      rest_min: int | None, rest_max: int | None,
                      above_ceiling_s: int | None = None) -> list[str]:
    """Which of a session's heart rates break the patient's prescribed limits.

    ``above_ceiling_s`` (time above the ceiling, from the samples) adds the
    sustained excursion to the evidence the physician reads.
    """
    reasons = []
    if hr_max is not None and ceiling is not None and hr_max > ceiling:
        reasons.append("max_above_ceiling")
    if above_ceiling_s is not None and above_ceiling_s >= SUSTAINED_ABOVE_CEILING_S:
        reasons.append("sustained_above_ceiling")
    if hr_rest is not None and rest_min is not None and hr_rest < rest_min:
        reasons.append("rest_below_band")
    if hr_rest is not None and rest_max is not None and hr_rest > rest_max:
        reasons.append("rest_above_band")
    return reasons


def evaluate(f: PatientFacts) -> list[Firing]:
    """Every flag the rules raise for one enrolment on ``f.today``.

    With the same facts, what it answers changes from one day to the next only
    on the first day of a programme week (every weekly rule, the phase) and on
    a day of ``silence_steps``: the silence evidence holds the day it started,
    not its length. The daily sweep relies on it to judge only those
    enrolments, and the ones whose facts changed.
    """
    rules = RULES[f.template.code]
    # Each rule checks its own phase too; asking only those that can fire keeps the daily
    # sweep over the whole file cheap.
    found: list[Firing | None] = []
    # A pause the physician decided raises no adherence, silence or rupture flag.
    if not f.suspended:
        found.append(_silence(f, rules))
        if 1 <= f.week - 1 <= f.template.intervention_weeks:
            found += (_adherence(f, rules), _booklet(f, rules))
        else:
            found.append(_follow_up(f, rules))
    if f.unsafe_sessions:
        found.append(_heart_rate(f))
    if f.new_events:
        found.append(_health_events(f))
    found += _symptoms(f, rules)
    return [firing for firing in found if firing is not None]
