"""Weekly activity against the programme's target, from dated sessions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from statistics import fmean

from shared.programmes import ProgrammeTemplate
from shared.timeline import week_of


@dataclass(frozen=True)
class SessionFigures:
    """What the progress view needs of one ergocycle session."""

    day: date
    duration_s: int
    watts: float | None = None
    hr_mean: float | None = None
    symptom: float | None = None


@dataclass(frozen=True)
class WeekProgress:
    """One programme week: count against target and the week's means."""

    week: int
    sessions: int
    target_min: int
    target_max: int
    minutes: int
    mean_watts: float | None
    mean_hr: float | None
    mean_symptom: float | None

    @property
    def status(self) -> str:
        """``below``, ``within`` or ``above`` the target band."""
        if self.sessions < self.target_min:
            return "below"
        return "above" if self.sessions > self.target_max else "within"


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 1) if values else None


def weekly_progress(
    template: ProgrammeTemplate, start: date, today: date, sessions: Iterable[SessionFigures]
) -> list[WeekProgress]:
    """One row per programme week from week 1 to the current week (none before start)."""
    current = min(week_of(start, today), template.total_weeks)
    by_week: dict[int, list[SessionFigures]] = {w: [] for w in range(1, current + 1)}
    for s in sessions:
        if s.day > today:  # a clock set wrong on the tablet must not fill this week in advance
            continue
        week = week_of(start, s.day)
        if week in by_week:
            by_week[week].append(s)
    return [
        WeekProgress(
            week=week,
            sessions=len(items),
            target_min=template.sessions_per_week_min,
            target_max=template.sessions_per_week_max,
            minutes=sum(s.duration_s for s in items) // 60,
            mean_watts=_mean([s.watts for s in items if s.watts is not None]),
            mean_hr=_mean([s.hr_mean for s in items if s.hr_mean is not None]),
            mean_symptom=_mean([s.symptom for s in items if s.symptom is not None]),
        )
        for week, items in by_week.items()
    ]


def trend(values: list[float | None]) -> float | None:
    """Least-squares slope per week of a series, ignoring gaps; None under 2 points."""
    points = [(x, y) for x, y in enumerate(values) if y is not None]
    if len(points) < 2:
        return None
    mx = fmean(x for x, _ in points)
    my = fmean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return round(sum((x - mx) * (y - my) for x, y in points) / den, 3)
