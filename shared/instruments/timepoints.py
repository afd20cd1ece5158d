"""When instruments are due: timepoints of a programme resolved to calendar windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.instruments.model import Timepoint
from shared.programmes import ProgrammeTemplate
from shared.timeline import programme_dates

WEEKLY = "weekly"

# Seed 003: CRQ and endurance at the W0 inclusion visit and the W12 closing visit
# (l.3945-3946, l.4071-4072), satisfaction at W6 and W12 (l.3999-4014, l.4057-4083);
# the 12-month synthesis (l.4258) measures again. Windows: the baseline may be filled
# the week before the start and during the first two weeks; the others around their visit.
W0 = Timepoint("W0", 0, opens_days=7, closes_days=13)
W6 = Timepoint("W6", 6, opens_days=0, closes_days=13)
W12 = Timepoint("W12", 12, opens_days=0, closes_days=20)
M12 = Timepoint("M12", 52, opens_days=27, closes_days=0)
EVERY_WEEK = Timepoint(WEEKLY, 1, opens_days=0, closes_days=6)


@dataclass(frozen=True)
class Window:
    """One occurrence of a timepoint: its code and first and last local days (inclusive)."""

    timepoint: str
    first: date
    last: date

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls in the window."""
        return self.first <= day <= self.last


def anchor_day(timepoint: Timepoint, template: ProgrammeTemplate, start: date) -> date:
    """The day a (non-weekly) timepoint falls on for this enrolment's template."""
    dates = programme_dates(template, start)
    if timepoint.code == "W0":
        return start
    if timepoint.code == "W6":
        return start + timedelta(days=7 * (template.mid_week - 1))
    if timepoint.code == "W12":
        return start + timedelta(days=7 * (template.intervention_weeks - 1))
    if timepoint.code == "M12":
        return dates.end
    raise ValueError(f"unknown timepoint {timepoint.code!r}")


def windows(timepoints: tuple[Timepoint, ...], template: ProgrammeTemplate,
            start: date) -> list[Window]:
    """Every window of these timepoints over the whole programme, in date order."""
    out: list[Window] = []
    for tp in timepoints:
        if tp.code == WEEKLY:
            out.extend(Window(f"week:{week}", start + timedelta(days=7 * (week - 1)),
                              start + timedelta(days=7 * week - 1))
                       for week in range(1, template.total_weeks + 1))
        else:
            day = anchor_day(tp, template, start)
            out.append(Window(tp.code, day - timedelta(days=tp.opens_days),
                              day + timedelta(days=tp.closes_days)))
    return sorted(out, key=lambda w: w.first)


def window_on(timepoints: tuple[Timepoint, ...], template: ProgrammeTemplate, start: date,
              day: date) -> Window | None:
    """The window ``day`` falls in (the latest one opened when two overlap), if any."""
    open_ = [w for w in windows(timepoints, template, start) if w.contains(day)]
    return open_[-1] if open_ else None
