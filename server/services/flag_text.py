"""One line of evidence per flag, in the reader's language: what the queue and e-mails show."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_decimal

from server.clock import get_clock
from server.i18n import format_day, lazy_gettext
from server.i18n import gettext as _
from shared.rules import FlagKind

# Flags by kind: one name wherever a flag is shown (queue, file, e-mail).
KIND_LABELS = {
    FlagKind.ADHERENCE: lazy_gettext("Sessions below target"),
    FlagKind.SILENCE: lazy_gettext("No data from the tablet"),
    FlagKind.HEALTH_EVENT: lazy_gettext("Health event"),
    FlagKind.HEART_RATE: lazy_gettext("Heart rate outside limits"),
    FlagKind.PAIN_RISE: lazy_gettext("Pain rising"),
    FlagKind.DYSPNOEA: lazy_gettext("Repeated high breathlessness"),
    FlagKind.BOOKLET: lazy_gettext("Booklet exercises below half"),
    FlagKind.FOLLOW_UP_RUPTURE: lazy_gettext("Follow-up activity rupture"),
    FlagKind.MISSED_CONTACT: lazy_gettext("Missed contact"),
}

# Where a flag stands, and what the physician decided on it.
STATUS_LABELS = {
    "open": lazy_gettext("open"), "acknowledged": lazy_gettext("acknowledged"),
    "escalated": lazy_gettext("escalated"), "committee": lazy_gettext("committee"),
    "resolved": lazy_gettext("resolved"), "cleared": lazy_gettext("cleared"),
    "closed": lazy_gettext("closed"),
}
DECISION_LABELS = {
    "continue": lazy_gettext("Continue"), "suspend": lazy_gettext("Suspend"),
    "interrupt": lazy_gettext("Interrupt"),
    "reinforcement_visit": lazy_gettext("Reinforcement visit"),
    "reorientation_physio": lazy_gettext("Reorientation: physiotherapy"),
    "reorientation_ssr": lazy_gettext("Reorientation: SSR stay"),
}

# Health events by kind, for the evidence line and the staff pages alike.
EVENT_LABELS = {
    "hospitalisation": lazy_gettext("Hospitalisation"),
    "unscheduled_consultation": lazy_gettext("Unscheduled consultation"),
    "exacerbation": lazy_gettext("Exacerbation"),
    "fall": lazy_gettext("Fall"),
    "chest_pain": lazy_gettext("Chest pain"),
    "pain_flare": lazy_gettext("Pain flare"),
    "other": lazy_gettext("Other"),
}


def kind_label(kind: FlagKind | str) -> str:
    """The name of a kind of flag."""
    return str(KIND_LABELS[FlagKind(kind)])


def describe(kind: FlagKind | str, evidence: dict[str, Any]) -> str:
    """The evidence of a flag in one line, with its figures and thresholds."""
    kind = FlagKind(kind)
    e = evidence
    if kind == FlagKind.ADHERENCE:
        return _("Week %(week)d: %(sessions)d session(s), minimum %(minimum)d.",
                 week=e["week"], sessions=e["sessions"], minimum=e["adherence_min_sessions"])
    if kind == FlagKind.SILENCE:
        since = date.fromisoformat(e["silent_since"])
        return _("Nothing received since %(day)s: %(days)d days (alert from %(limit)d).",
                 day=_day(e["silent_since"]), days=(get_clock().today() - since).days,
                 limit=e["silence_days"])
    if kind == FlagKind.HEALTH_EVENT:
        return _("Reported: %(events)s.", events=", ".join(
            f"{EVENT_LABELS.get(ev['kind'], ev['kind'])} ({_day(ev['day'])})"
            for ev in e["events"]))
    if kind == FlagKind.HEART_RATE:
        last = e["sessions"][-1]
        line = _("%(count)d session(s) outside limits, last on %(day)s: max %(hr_max)s bpm "
                 "(ceiling %(ceiling)s), rest %(hr_rest)s bpm.",
                 count=len(e["sessions"]), day=_day(last["day"]),
                 hr_max=_or_dash(last["hr_max"]), ceiling=_or_dash(last["hr_ceiling"]),
                 hr_rest=_or_dash(last["hr_rest"]))
        above = last.get("hr_above_ceiling_s")
        if above:
            line += " " + _("%(minutes)s min above the ceiling.",
                            minutes=format_decimal(round(above / 60, 1)))
        return line
    if kind == FlagKind.PAIN_RISE:
        return _("Week %(week)d: mean pain %(mean)s/10 against %(baseline)s at the start.",
                 week=e["week"], mean=e["pain_mean"], baseline=e["baseline"])
    if kind == FlagKind.DYSPNOEA:
        return _("Week %(week)d: breathlessness %(limit)d/10 or more in %(count)d sessions.",
                 week=e["week"], limit=e["dyspnoea_high"], count=e["high_scores"])
    if kind == FlagKind.BOOKLET:
        return _("Week %(week)d: %(done)s of %(prescribed)d prescribed exercises done.",
                 week=e["week"], done=_number(e["done"]), prescribed=e["prescribed"])
    if kind == FlagKind.FOLLOW_UP_RUPTURE:
        if e.get("source") == "call":
            return _("Follow-up call: %(done)s sessions a week for a project of %(project)s.",
                     done=_or_dash(e.get("sessions_per_week")),
                     project=_or_dash(e.get("project_sessions_per_week")))
        return _("Sessions per week %(counts)s, under %(minimum)d for %(weeks)d weeks.",
                 counts=" / ".join(str(c) for c in e["sessions"]),
                 minimum=e.get("project_sessions_per_week") or e["follow_up_min_sessions"],
                 weeks=e["follow_up_weeks"])
    return _("%(count)d contact(s) not recorded, last due %(due)s.",
             count=len(e["contacts"]), due=_day(e["contacts"][-1]["due"][:10]))


def _day(iso: str) -> str:
    """An ISO day of the evidence as the reader writes dates (2 mars 2026)."""
    return format_day(date.fromisoformat(iso), "d MMM yyyy")


def _or_dash(value: Any) -> str:
    return "-" if value is None else str(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
