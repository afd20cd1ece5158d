"""What the home and history screens show, computed from the cache and the local store.

Counts merge what the server knows (the cached progress) with what is still
on the tablet only, so the picture is right offline too. Week numbers,
targets and weekly figures come from :mod:`shared`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mobile.i18n import N_, _, language, ngettext
from mobile.store import BOOKLET_ENTRY, PENDING, REFUSED, SESSION, OutboxItem
from shared.enums import ContactKind, SymptomScore
from shared.programmes import get_template
from shared.progress import SessionFigures, WeekProgress, weekly_progress
from shared.timeline import PARIS, week_of

CONTACT_LABELS = {
    ContactKind.INCLUSION_VISIT: N_("Inclusion visit at home"),
    ContactKind.WEEKLY_CALL: N_("Phone call from your referent"),
    ContactKind.HOME_VISIT: N_("Visit of your referent at home"),
    ContactKind.CLOSING_VISIT: N_("End-of-programme visit at home"),
    ContactKind.SPECIALIST_CONSULTATION: N_("Consultation with the lung specialist"),
    ContactKind.FOLLOW_UP_CALL: N_("Follow-up phone call"),
    ContactKind.FOLLOW_UP_CONSULTATION: N_("Follow-up consultation"),
    ContactKind.REINFORCEMENT_VISIT: N_("Support visit at home"),
    ContactKind.MICRO_PROJECT_CALL: N_("Phone call about your project"),
    ContactKind.SYNTHESIS: N_("Review of your programme"),
}
# Syntheses as the patient reads them: a review of where they stand, in neutral words.
REVIEW_TITLES = {
    "initial": N_("Review of your start in the programme"),
    "mid_term": N_("Mid-programme review"),
    "final": N_("End-of-programme review"),
    "month_12": N_("Review after one year"),
}

WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))
MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
          N_("December"))


@dataclass(frozen=True)
class WeekTarget:
    """Sessions done this programme week against the prescribed band."""

    week: int
    done: int
    target_min: int
    target_max: int


def long_date(day: date) -> str:
    """``jeudi 5 mars`` / ``Thursday 5 March``."""
    text = f"{_(WEEKDAYS[day.weekday()])} {day.day} {_(MONTHS[day.month - 1])}"
    return text.lower() if language() == "fr" else text


def start_date(plan: dict[str, Any]) -> date:
    """The programme's first day."""
    return date.fromisoformat(plan["start_date"])


def session_day(item: OutboxItem) -> date:
    """The local day of a logged session."""
    return datetime.fromisoformat(item.payload["started_at"]).astimezone(PARIS).date()


def this_week(plan: dict[str, Any], progress: dict[str, Any] | None,
              sessions: list[OutboxItem], today: date) -> WeekTarget:
    """Sessions this week: the server's count plus those not sent yet."""
    week = week_of(start_date(plan), today)
    mine = [s for s in sessions if s.state != REFUSED
            and week_of(start_date(plan), session_day(s)) == week]
    unsent = sum(1 for s in mine if s.state == PENDING)
    server = next((w["sessions"] for w in (progress or {}).get("weeks", [])
                   if w["week"] == week), 0)
    # The cached progress may predate the last sends: never show fewer than the tablet holds.
    done = max(server + unsent, len(mine))
    return WeekTarget(week, done, plan["targets"]["sessions_min"],
                      plan["targets"]["sessions_max"])


def history(plan: dict[str, Any], progress: dict[str, Any] | None,
            sessions: list[OutboxItem], today: date) -> list[WeekProgress]:
    """One row per week so far: the server's figures, or the tablet's when it knows more."""
    template = get_template(plan["programme"]["code"], plan.get("intervention_weeks"))
    symptom = "pain_eva" if template.symptom_score == SymptomScore.PAIN else "dyspnoea"
    local = weekly_progress(template, start_date(plan), today, [
        SessionFigures(day=session_day(s), duration_s=s.payload["duration_s"],
                       watts=s.payload.get("watts"), hr_mean=s.payload.get("hr_mean"),
                       symptom=s.payload.get(symptom))
        for s in sessions if s.state != REFUSED and s.kind == SESSION])
    server = {w["week"]: w for w in (progress or {}).get("weeks", [])}
    rows = []
    for row in local:
        remote = server.get(row.week)
        if remote is not None and remote["sessions"] >= row.sessions:
            row = WeekProgress(
                week=row.week, sessions=remote["sessions"], target_min=remote["target_min"],
                target_max=remote["target_max"], minutes=remote["minutes"],
                mean_watts=remote["mean_watts"], mean_hr=remote["mean_hr"],
                mean_symptom=remote["mean_symptom"])
        rows.append(row)
    return rows


def booklet_today(plan: dict[str, Any], entries: list[OutboxItem], today: date,
                  ) -> list[tuple[dict[str, Any], str | None]]:
    """Each prescribed exercise with its status ticked today (the latest tick wins)."""
    ticked: dict[int, str] = {}
    for entry in entries:
        if entry.kind == BOOKLET_ENTRY and entry.state != REFUSED \
                and entry.payload["day"] == today.isoformat():
            ticked[entry.payload["item_id"]] = entry.payload["status"]
    return [(item, ticked.get(item["id"])) for item in plan.get("booklet", [])]


def next_contact_text(plan: dict[str, Any]) -> str:
    """The next call or visit with its date, or a plain "nothing planned"."""
    contacts = plan.get("next_contacts") or []
    if not contacts:
        return _("No call or visit planned.")
    contact = contacts[0]
    due = datetime.fromisoformat(contact["due_at"]).astimezone(PARIS)
    try:
        what = _(CONTACT_LABELS[ContactKind(contact["kind"])])
    except ValueError:
        what = contact["kind"]
    return _("{what}: {day} around {time}").format(
        what=what, day=long_date(due.date()), time=due.strftime("%H:%M"))


def suspension_text(plan: dict[str, Any]) -> str | None:
    """While the physician pauses the programme: that it is paused, and until when."""
    suspension = plan.get("suspension")
    if not suspension:
        return None
    review = date.fromisoformat(suspension["review_on"])
    return _("Your programme is paused by your doctor. Your care team will call you "
             "around {day}. You can still tell them of a health event.").format(
                 day=long_date(review))


def sync_text(pending: dict[str, int], refused: dict[str, int], state: str) -> str:
    """``2 séances en attente d'envoi``, what must be corrected, or that all is sent."""
    parts = []
    sessions = pending.get(SESSION, 0)
    others = sum(pending.values()) - sessions
    if sessions:
        parts.append(ngettext("{n} session waiting to be sent",
                              "{n} sessions waiting to be sent", sessions).format(n=sessions))
    if others:
        parts.append(ngettext("{n} other entry waiting to be sent",
                              "{n} other entries waiting to be sent", others).format(n=others))
    wrong = sum(refused.values())
    if wrong:
        parts.append(ngettext("{n} entry to correct", "{n} entries to correct", wrong)
                     .format(n=wrong))
    if not parts:
        parts.append(_("Everything is sent."))
    if state == "offline" and (sessions or others):
        parts.append(_("No connection: your entries are safe on the tablet."))
    elif state == "syncing" and (sessions or others):
        parts.append(_("Sending..."))
    return "\n".join(parts)


@dataclass(frozen=True)
class Review:
    """One review of the programme as the tablet shows it."""

    title: str
    when: str
    message: str
    figures: str


def reviews(items: list[dict[str, Any]] | None) -> list[Review]:
    """The reviews sent by the care team (``/me/syntheses``), newest first, translated."""
    out = []
    for item in items or []:
        sent = datetime.fromisoformat(item["sent_at"]).astimezone(PARIS).date()
        figures = ""
        if item.get("sessions") is not None and item.get("weeks"):
            figures = ngettext("{n} session over {weeks} weeks", "{n} sessions over {weeks} weeks",
                               item["sessions"]).format(n=item["sessions"], weeks=item["weeks"])
        out.append(Review(_(REVIEW_TITLES.get(item["kind"], REVIEW_TITLES["final"])),
                          _("Sent on {day}").format(day=long_date(sent)),
                          item.get("message") or "", figures))
    return out
