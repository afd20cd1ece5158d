"""What each started enrolment holds: its layout, what the patient logged, the calls made.

Pure: rows are tuples in the column order of ``COLUMNS``, written later by
``synthetic.write``. The layout at the start (timeline, booklet, week-1
prescription) comes from the same functions as the enrolment service's.
Each kind of record is one step of ``STEPS``, run in order for every
enrolment: a new measure is one more step.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from server.services import samples
from server.services.enrolments import (
    booklet_item_values,
    contact_values,
    default_prescription_values,
)
from shared.enums import (
    BookletStatus,
    Channel,
    ContactKind,
    ContactStatus,
    HealthEventKind,
    Modality,
    Phase,
    SessionSource,
    WarningSign,
)
from shared.programmes import RESPIRATORY
from shared.samples import HeartRateZone
from shared.timeline import build_timeline, reinforcement_contacts, week_of
from synthetic.plan import (
    FADING,
    HOSPITALISED,
    HR_OVER,
    PAIN_RISING,
    SILENT,
    Calendar,
    Options,
    PatientPlan,
    S,
)
from synthetic.texts import BENEFITS, DIFFICULTIES, SESSION_NOTES

_PRESCRIPTION = tuple(default_prescription_values(RESPIRATORY, None))
_BOOKLET_ITEM = tuple(booklet_item_values(RESPIRATORY)[0])
_CONTACT = ("key", "kind", "phase", "channel", "week", "month", "due_at", "window_opens",
            "window_closes")
_RECEIPT = ("client_id", "payload_digest", "received_at")
# Every table the generator writes, parents first, with the columns of its rows.
COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("id", "first_name", "last_name", "birth_date", "sex", "phone", "email",
                 "external_ref", "referent_id", "physician_id", "hr_rest_min", "hr_rest_max",
                 "hr_ceiling", "created_at"),
    "enrolments": ("id", "patient_id", "programme_code", "state", "referral_source",
                   "intervention_weeks", "dossier", "requested_at", "dossier_completed_at",
                   "validated_at", "validated_by_id", "consent_at", "start_date", "ended_at",
                   "end_reason", "last_received_at", "booklet_per_week", "suspended_on",
                   "suspension_review_on", "suspension_reason", "work_status"),
    "enrolment_transitions": ("enrolment_id", "action", "from_state", "to_state", "actor_id",
                              "at", "reason"),
    "booklet_items": ("id", "enrolment_id", *_BOOKLET_ITEM),
    "prescriptions": ("enrolment_id", *_PRESCRIPTION, "created_by_id", "created_at"),
    "scheduled_contacts": ("enrolment_id", *_CONTACT, "status", "attempts", "done_at",
                           "recorded_by_id", "outcome", "notes", "hospital_days"),
    "ergo_sessions": ("id", "patient_id", "enrolment_id", "started_at", "day", "duration_s",
                      "resistance", "watts", "distance_km", "hr_rest", "hr_mean", "hr_max",
                      "dyspnoea", "effort", "pain_eva", "notes", "source", "hr_sample_count",
                      "hr_in_zone_s", "hr_above_ceiling_s", *_RECEIPT),
    "session_series": samples.COLUMNS,
    "booklet_entries": ("patient_id", "enrolment_id", "item_id", "day", "status", "pain_eva",
                        "notes", *_RECEIPT),
    "health_events": ("patient_id", "enrolment_id", "kind", "occurred_on", "description",
                      "warning_signs", *_RECEIPT),
}
# Tables whose ids the generator draws itself (other rows refer to them).
NUMBERED = ("patients", "enrolments", "booklet_items", "ergo_sessions")
HR_SAMPLE_PERIOD_S = 2

Rows = dict[str, list[tuple[Any, ...]]]


@dataclass
class Log:
    """What one enrolment accumulates while its steps run."""

    prescriptions: list[tuple[int, int, int]] = field(default_factory=list)
    items: list[tuple[int, int]] = field(default_factory=list)  # (item id, per week)
    session_days: list[date] = field(default_factory=list)  # sorted
    pains: dict[date, int | None] = field(default_factory=dict)
    last_received: datetime | None = None

    def received(self, instant: datetime) -> datetime:
        """Note ``instant`` as something the tablet sent; return it."""
        if self.last_received is None or instant > self.last_received:
            self.last_received = instant
        return instant


class Cohort:
    """Turns patient plans into rows; every random draw goes through ``cal.rng``."""

    def __init__(self, cal: Calendar, options: Options, coordinator: int,
                 next_ids: dict[str, int]) -> None:
        self.cal, self.rng, self.options = cal, cal.rng, options
        self.coordinator = coordinator
        self.next_ids = next_ids
        self._timelines: dict[tuple[str, int, date], list[tuple[Any, ...]]] = {}

    def new_id(self, table: str) -> int:
        ident = self.next_ids[table]
        self.next_ids[table] = ident + 1
        return ident

    def rows(self, plan: PatientPlan) -> Rows:
        """Every row of one patient: identity, enrolment, history and what was logged."""
        rows: Rows = defaultdict(list)
        log = Log()
        if plan.started:
            for step in STEPS:
                step(self, plan, log, rows)
        rows["patients"].append((
            plan.patient_id, plan.first_name, plan.last_name, plan.birth_date, plan.sex,
            plan.phone, plan.email, f"{self.options.ref_prefix}-{plan.index + 1:04d}",
            plan.referent_id, plan.physician_id, plan.hr_rest_min, plan.hr_rest_max,
            plan.hr_ceiling, plan.requested_at))
        validated_by = plan.physician_id if plan.validated_at else None
        rows["enrolments"].append((
            plan.enrolment_id, plan.patient_id, plan.spec.programme, plan.state,
            plan.spec.referral_source, plan.spec.intervention_weeks, plan.dossier,
            plan.requested_at, plan.dossier_completed_at, plan.validated_at, validated_by,
            plan.consent_at, plan.start, plan.ended_at, plan.end_reason,
            log.last_received or plan.requested_at,
            sum(e.per_week for e in plan.template.booklet) if plan.started else 0,
            plan.suspended_on, plan.suspension_review_on, plan.suspension_reason,
            plan.work_status))
        rows["enrolment_transitions"] += [(plan.enrolment_id, *t) for t in plan.transitions]
        return rows

    def receipt(self, instant: datetime, log: Log) -> tuple[uuid.UUID, str, datetime]:
        """Client id, payload digest and reception time of one item sent by the tablet."""
        client_id = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        return client_id, hashlib.sha256(client_id.bytes).hexdigest(), log.received(instant)

    def timeline(self, plan: PatientPlan) -> list[tuple[Any, ...]]:
        """The contacts laid out at the start, computed once per template and start day."""
        assert plan.start is not None
        key = (plan.template.code, plan.template.intervention_weeks, plan.start)
        if key not in self._timelines:
            self._timelines[key] = _contact_tuples(
                build_timeline(plan.template, plan.start, self.cal.tz))
        return self._timelines[key]


def _contact_tuples(planned: Any) -> list[tuple[Any, ...]]:
    return [tuple(contact_values(c)[name] for name in _CONTACT) for c in planned]


def logging_days(plan: PatientPlan, first: date | None = None) -> Iterator[tuple[int, list[date]]]:
    """Each programme week with the days the patient could log (not in hospital)."""
    assert plan.start is not None and plan.stop is not None
    if plan.stop < plan.start:
        return
    for week in range(1, week_of(plan.start, plan.stop) + 1):
        monday = plan.start + timedelta(days=7 * (week - 1))
        days = [monday + timedelta(days=i) for i in range(7)]
        if first is not None and days[-1] < first:
            continue
        yield week, [d for d in days if d <= plan.stop and not plan.blacked_out(d)
                     and (first is None or d >= first)]


# -- layout at the start -----------------------------------------------------------------

def lay_out(c: Cohort, plan: PatientPlan, log: Log, rows: Rows) -> None:
    """Booklet and week-1 prescription as the service lays them out, then later adjustments."""
    template, rng, cal = plan.template, c.rng, c.cal
    assert plan.start is not None
    for values in booklet_item_values(template):
        item = c.new_id("booklet_items")
        rows["booklet_items"].append((item, plan.enrolment_id,
                                      *(values[k] for k in _BOOKLET_ITEM)))
        log.items.append((item, values["per_week"]))
    first = default_prescription_values(template, plan.hr_ceiling)
    first["watts"] = plan.base_watts  # from the inclusion exercise test
    rows["prescriptions"].append((plan.enrolment_id, *(first[k] for k in _PRESCRIPTION),
                                  plan.referent_id, plan.consent_at))
    minutes, watts = template.default_session_minutes, plan.base_watts
    log.prescriptions = [(1, minutes, watts)]
    current = week_of(plan.start, c.options.today)
    for from_week in (rng.randint(3, 4), rng.randint(7, 8))[: rng.randint(1, 2)]:
        if from_week > min(current, template.intervention_weeks):
            break
        minutes += 5
        watts += rng.choice((5, 5, 10))
        interval = template.code == RESPIRATORY.code and from_week >= 7 and rng.random() < 0.4
        call_day = plan.start + timedelta(days=7 * (from_week - 2) + 4)
        values = {**first, "from_week": from_week, "session_minutes": minutes, "watts": watts,
                  "modality": Modality.INTERVAL if interval else template.default_modality,
                  "work_s": 60 if interval else None, "rest_s": 60 if interval else None,
                  "notes": "Progression décidée lors de l'appel hebdomadaire."}
        rows["prescriptions"].append((
            plan.enrolment_id, *(values[k] for k in _PRESCRIPTION), plan.referent_id,
            cal.before_cutoff(cal.at(call_day, 11, rng.randint(0, 59)))))
        log.prescriptions.append((from_week, minutes, watts))


# -- health events -----------------------------------------------------------------------

def health_events(c: Cohort, plan: PatientPlan, log: Log, rows: Rows) -> None:
    """Drift events, then ordinary incidents (about 30% of programmes, seed 003)."""
    _draw_events(c, plan)
    for event in plan.events:
        rows["health_events"].append((
            plan.patient_id, plan.enrolment_id, event["kind"], event["occurred_on"],
            event["description"], event["warning_signs"],
            *c.receipt(event["received_at"], log)))


def _draw_events(c: Cohort, plan: PatientPlan) -> None:
    rng, cal, drift = c.rng, c.cal, plan.spec.drift
    assert plan.start is not None and plan.stop is not None
    if drift == HOSPITALISED:
        day = cal.days_ago(11, 18)
        stay = rng.randint(5, 8)
        onset = day - timedelta(days=3)
        plan.events.append(cal.event(
            HealthEventKind.EXACERBATION, onset,
            "Toux et essoufflement accrus, crachats colorés.", [WarningSign.FEVER],
            reported=onset))
        plan.events.append(cal.event(
            HealthEventKind.HOSPITALISATION, day,
            f"Hospitalisation de {stay} jours pour exacerbation de BPCO.",
            reported=day + timedelta(days=stay)))
        plan.blackouts.append((onset, day + timedelta(days=stay)))
    elif drift == PAIN_RISING:
        plan.events.append(cal.event(
            HealthEventKind.PAIN_FLARE, cal.days_ago(9, 12),
            "Lombalgie plus forte depuis un déménagement, sans irradiation."))
    if drift is not None or plan.spec.state == S.INTERRUPTED:
        return
    first, last = plan.start + timedelta(days=7), plan.stop
    if last < first or rng.random() >= 0.3:
        return
    day = first + timedelta(days=rng.randint(0, (last - first).days))
    if plan.template.code == RESPIRATORY.code:
        kind = rng.choices(
            (HealthEventKind.EXACERBATION, HealthEventKind.UNSCHEDULED_CONSULTATION,
             HealthEventKind.FALL, HealthEventKind.HOSPITALISATION), (45, 25, 15, 15))[0]
    else:
        kind = rng.choices(
            (HealthEventKind.PAIN_FLARE, HealthEventKind.UNSCHEDULED_CONSULTATION,
             HealthEventKind.FALL), (45, 30, 25))[0]
    signs: list[WarningSign] = []
    rest = 0
    if kind == HealthEventKind.EXACERBATION:
        text, rest = "Exacerbation traitée par le médecin traitant (antibiotiques).", 5
        if rng.random() < 0.4:
            signs = [WarningSign.FEVER]
    elif kind == HealthEventKind.HOSPITALISATION:
        rest = rng.randint(4, 9)
        text = f"Hospitalisation de {rest} jours (exacerbation)."
    elif kind == HealthEventKind.FALL:
        text, rest = "Chute à domicile en sortant de la douche, contusion.", 3
        if rng.random() < 0.5:
            signs = [WarningSign.TRAUMA]
    elif kind == HealthEventKind.PAIN_FLARE:
        text, rest = "Poussée douloureuse après un effort de jardinage.", 3
        if rng.random() < 0.15:
            signs = [WarningSign.WALKING_DIFFICULTY]
    else:
        text = "Consultation non programmée chez le médecin traitant."
    plan.events.append(cal.event(kind, day, text, signs, reported=day + timedelta(days=rest)))
    if rest:
        plan.blackouts.append((day, day + timedelta(days=rest)))


# -- ergocycle sessions ------------------------------------------------------------------

def _weekly_target(c: Cohort, plan: PatientPlan, week: int) -> int:
    rng, respiratory = c.rng, plan.template.code == RESPIRATORY.code
    assert plan.start is not None
    if week <= plan.template.intervention_weeks:
        choices = {
            ("high", True): (5, 5, 6, 4, 5), ("mid", True): (4, 4, 5, 3, 4),
            ("low", True): (3, 4, 3, 2, 4), ("high", False): (3, 2, 3),
            ("mid", False): (2, 2, 3), ("low", False): (1, 2, 2),
        }[(plan.adherence, respiratory)]
        return rng.choice(choices)
    visit = plan.reinforcement_day
    micro_project = (visit is not None
                     and visit <= plan.start + timedelta(days=7 * week) <= visit + timedelta(35))
    if plan.keeper or micro_project:
        return rng.choice((3, 3, 4, 4, 5) if respiratory else (2, 2, 3))
    return rng.choice((0, 1, 1, 2, 2, 3) if respiratory else (0, 0, 1, 1, 2))


def _session_days(c: Cohort, plan: PatientPlan) -> list[date]:
    days: list[date] = []
    for week, available in logging_days(plan):
        target = _weekly_target(c, plan, week) * len(available) / 7
        count = int(target) + (c.rng.random() < target - int(target))
        days += sorted(c.rng.sample(available, min(count, len(available))))
    return _drift_days(c, plan, days)


def _drift_days(c: Cohort, plan: PatientPlan, days: list[date]) -> list[date]:
    """Thin the last weeks out according to the patient's drift."""
    drift, rng, today = plan.spec.drift, c.rng, c.options.today
    if drift == SILENT:
        plan.stop = today - timedelta(days=rng.randint(9, 13))
        return [d for d in days if d <= plan.stop]
    caps: list[tuple[int, int, int]] = []
    if drift == FADING:
        caps = [(21, 14, 2), (14, 7, 1), (7, 0, rng.randint(0, 1))]
    elif drift == HOSPITALISED:
        caps = [(7, 0, 2)]
    elif drift == PAIN_RISING:
        caps = [(7, 0, 1)]
    for older, newer, cap in caps:
        low, high = today - timedelta(days=older), today - timedelta(days=newer)
        inside = [d for d in days if low <= d < high]
        if len(inside) > cap:
            dropped = set(rng.sample(inside, len(inside) - cap))
            days = [d for d in days if d not in dropped]
    if drift == HR_OVER and not any(d >= today - timedelta(days=5) for d in days):
        days.append(c.cal.yesterday)
    return days


def sessions(c: Cohort, plan: PatientPlan, log: Log, rows: Rows) -> None:
    """Ergocycle sessions, guided ones with their heart-rate curve when recent."""
    rng, cal, template = c.rng, c.cal, plan.template
    assert plan.start is not None
    respiratory = template.code == RESPIRATORY.code
    days = _session_days(c, plan)
    recent = c.options.today - timedelta(days=c.options.hr_sample_days)
    running = plan.spec.state in (S.ACTIVE, S.FOLLOW_UP)
    over_day = max(days) if plan.spec.drift == HR_OVER and days else None
    ceiling = plan.hr_ceiling
    early_pains: list[int] = []
    for day in days:
        week = week_of(plan.start, day)
        minutes, watts = next(p[1:] for p in reversed(log.prescriptions) if p[0] <= week)
        scale = rng.uniform(0.6, 1.0) if week > template.intervention_weeks \
            else rng.uniform(0.8, 1.08)
        duration = max(300, round(minutes * 60 * scale / 10) * 10)
        watts = max(10, watts + rng.choice((-5, 0, 0, 5)))
        guided = day == over_day or rng.random() < 0.6
        started_at = cal.daytime(day, 8, 19)
        hr_rest = rng.randint(64, 82)
        hr_mean = ceiling - rng.randint(14, 26)
        hr_max = min(hr_mean + rng.randint(6, 12), ceiling - 2)
        curve: list[int] = []
        if day == over_day:
            hr_mean, hr_max = ceiling - rng.randint(4, 7), ceiling + rng.randint(6, 12)
        if guided and running and day >= recent:
            curve = hr_curve(c, duration, hr_rest, hr_mean, hr_max)
            hr_mean, hr_max = round(sum(curve) / len(curve)), max(curve)
        progress = min(week, template.intervention_weeks)
        symptom = plan.base_symptom - 0.2 * progress + rng.gauss(0, 0.8)
        pain = None
        if not respiratory:
            pain = max(0, min(10, round(symptom + 0.5)))
            if week <= 2:
                early_pains.append(pain)
            elif plan.spec.drift == PAIN_RISING and day >= c.options.today - timedelta(days=14):
                # 2 to 3 points above the worst of the first two weeks.
                pain = min(10, max(early_pains or [6]) + rng.randint(2, 3))
        speed = 12 + watts / 10 + rng.uniform(-1, 1)
        ended = started_at + timedelta(seconds=duration)
        delay = (timedelta(seconds=rng.randint(20, 180)) if guided
                 else timedelta(minutes=rng.randint(5, 240)))
        effort = max(1, min(10, round(rng.gauss(5.5, 1.2))))
        notes = rng.choice(SESSION_NOTES) if rng.random() < 0.12 else None
        session_id = c.new_id("ergo_sessions")
        pairs = hr_sample_pairs(curve)
        # Time in the zone and above the ceiling, measured as ingest measures a strap's series.
        measured = (samples.summary_columns(pairs, HeartRateZone(None, plan.hr_ceiling))
                    if pairs else {})
        rows["ergo_sessions"].append((
            session_id, plan.patient_id, plan.enrolment_id, started_at, day, duration,
            max(1, min(30, round(watts / 8))), watts, round(speed * duration / 3600, 1),
            hr_rest, hr_mean, hr_max,
            max(0, min(10, round(symptom))) if respiratory else None, effort, pain, notes,
            SessionSource.GUIDED if guided else SessionSource.MANUAL, len(curve),
            measured.get("hr_in_zone_s"), measured.get("hr_above_ceiling_s"),
            *c.receipt(cal.before_cutoff(ended + delay), log)))
        if pairs:
            rows["session_series"] += samples.series_rows(session_id,
                                                          {samples.HEART_RATE: pairs})
        log.pains[day] = pain
    log.session_days = sorted(days)


def hr_sample_pairs(curve: list[int]) -> list[tuple[int, int]]:
    """A session's heart-rate readings (one every 2 s) as (offset_s, bpm) samples."""
    return [(i * HR_SAMPLE_PERIOD_S, bpm) for i, bpm in enumerate(curve)]


def hr_curve(c: Cohort, duration_s: int, rest: int, mean: int, peak: int) -> list[int]:
    """One reading every 2 s: warm-up, a plateau with drift and noise, cool-down."""
    rng = c.rng
    n = duration_s // HR_SAMPLE_PERIOD_S
    warm, cool = min(90, n // 5), min(60, n // 6)
    phase = rng.uniform(0, math.tau)
    curve = []
    for i in range(n):
        if i < warm:
            base = rest + (mean - rest) * i / warm
        elif i >= n - cool:
            base = mean - (mean - rest - 10) * (i - (n - cool)) / cool
        else:
            base = mean + 3 * math.sin(i / 40 + phase)
        curve.append(min(peak, max(rest - 3, round(base + rng.gauss(0, 1.5)))))
    # The session's peak: a short burst somewhere in the plateau.
    top = rng.randrange(warm, max(warm + 1, n - cool - 15))
    for j in range(top, min(n, top + 15)):
        curve[j] = peak - abs(j - top - 7) // 3
    return curve


# -- booklet -----------------------------------------------------------------------------

_STATUSES = (BookletStatus.DONE, BookletStatus.PARTIAL, BookletStatus.NOT_DONE)
_STATUS_ODDS = (80, 95, 100)  # cumulated: 80 % done, 15 % partial, 5 % not done


def booklet(c: Cohort, plan: PatientPlan, log: Log, rows: Rows) -> None:
    """Booklet ticks: most exercises most weeks in the intervention, fewer afterwards."""
    rng, cal = c.rng, c.cal
    share = {"high": 0.9, "mid": 0.7, "low": 0.4}[plan.adherence]
    first = None
    if c.options.booklet_days is not None:
        first = c.options.today - timedelta(days=c.options.booklet_days)
    for week, days in logging_days(plan, first):
        if week > plan.template.intervention_weeks:
            share = 0.35 if plan.keeper else 0.12
        for item, per_week in log.items:
            target = per_week * share * len(days) / 7
            count = int(target) + (rng.random() < target - int(target))
            for day in sorted(rng.sample(days, min(count, len(days)))):
                status = rng.choices(_STATUSES, cum_weights=_STATUS_ODDS)[0]
                rows["booklet_entries"].append((
                    plan.patient_id, plan.enrolment_id, item, day, status, log.pains.get(day),
                    None, *c.receipt(cal.before_cutoff(cal.daytime(day, 18, 22)), log)))


# -- contacts ----------------------------------------------------------------------------

def contacts(c: Cohort, plan: PatientPlan, log: Log, rows: Rows) -> None:
    """The timeline (and reinforcement visit): past contacts done or missed, early ends
    cancelled, the rest planned."""
    assert plan.start is not None
    planned = list(c.timeline(plan))
    if plan.reinforcement_day is not None:
        planned += _contact_tuples(reinforcement_contacts(
            plan.template, plan.start, plan.reinforcement_day, c.cal.tz))
    planned.sort(key=lambda t: (t[6], t[0]))  # due time, then key
    for contact in planned:
        channel, *outcome = _contact_outcome(c, plan, log, contact)
        rows["scheduled_contacts"].append(
            (plan.enrolment_id, *contact[:3], channel, *contact[4:], *outcome,
             _hospital_days(plan, contact[0], contact[1], outcome[0])))


# Days in hospital each contact reports (the indicator's before and after): the W0 visit
# the 12 months before inclusion, the W12 visit and follow-up calls the time since. Not
# every one is answered (seed 003 l.3606-3611: 82 % of the year before, 58 % after).
_HOSPITAL_ANSWERED = {ContactKind.INCLUSION_VISIT: 0.82, ContactKind.CLOSING_VISIT: 0.7,
                      ContactKind.FOLLOW_UP_CALL: 0.6}
# Share of answers with a stay and its length: fewer and shorter after the programme.
_HOSPITAL_STAYS = {ContactKind.INCLUSION_VISIT: (0.45, 4, 21),
                   ContactKind.CLOSING_VISIT: (0.12, 2, 8),
                   ContactKind.FOLLOW_UP_CALL: (0.1, 2, 9)}


def _hospital_days(plan: PatientPlan, key: str, kind: ContactKind,
                   status: ContactStatus) -> int | None:
    """The days a done contact reports, drawn apart from the cohort's random stream (its
    own seed per contact), so that adding them leaves every other draw unchanged."""
    if status != ContactStatus.DONE or kind not in _HOSPITAL_ANSWERED:
        return None
    rng = random.Random(f"{plan.enrolment_id}:{key}")
    if rng.random() > _HOSPITAL_ANSWERED[kind]:
        return None
    share, shortest, longest = _HOSPITAL_STAYS[kind]
    if plan.template.code != RESPIRATORY.code:
        share /= 3  # chronic low back pain rarely needs a stay
    return rng.randint(shortest, longest) if rng.random() < share else 0


_CALLS = (ContactKind.WEEKLY_CALL, ContactKind.FOLLOW_UP_CALL, ContactKind.MICRO_PROJECT_CALL)
_VISITS = (ContactKind.HOME_VISIT, ContactKind.CLOSING_VISIT, ContactKind.REINFORCEMENT_VISIT)
_CONSULTATIONS = (ContactKind.SPECIALIST_CONSULTATION, ContactKind.FOLLOW_UP_CONSULTATION)


def _contact_outcome(c: Cohort, plan: PatientPlan, log: Log,
                     contact: tuple[Any, ...]) -> tuple[Any, ...]:
    """Channel, status, attempts, done at, recorded by, outcome and notes."""
    rng, cal = c.rng, c.cal
    _key, kind, phase, channel, _w, _m, due_at, opens_at, closes_at = contact
    if (plan.ended_at is not None and plan.spec.state != S.COMPLETED
            and due_at > plan.ended_at):
        return channel, ContactStatus.CANCELLED, 0, None, None, None, None
    if phase == Phase.BEFORE_START:
        # The consultation that prescribed the programme, in the validated dossier.
        return (channel, ContactStatus.DONE, 0, plan.dossier_completed_at, c.coordinator,
                {"reached": True}, None)
    if (plan.suspended_on is not None and plan.suspension_review_on is not None
            and plan.suspended_on <= due_at.astimezone(c.cal.tz).date()
            <= plan.suspension_review_on):
        return channel, ContactStatus.SUSPENDED, 0, None, None, None, None
    closed = closes_at <= cal.cutoff
    due = due_at.astimezone(cal.tz).date()
    if not closed and (due >= c.options.today or rng.random() < 0.4):
        return channel, ContactStatus.PLANNED, 0, None, None, None, None
    opens = opens_at.astimezone(cal.tz).date()
    last = min((closes_at.astimezone(cal.tz) - timedelta(days=1)).date(), cal.yesterday)
    assert plan.stop is not None
    silent_lately = plan.spec.drift == SILENT and due > plan.stop
    miss_rate = 0.2 if not plan.keeper and phase == Phase.FOLLOW_UP else 0.07
    recorder = c.coordinator if kind in _CONSULTATIONS else plan.referent_id
    if silent_lately or (kind in _CALLS and rng.random() < miss_rate):
        return (channel, ContactStatus.MISSED, rng.randint(2, 3), None, plan.referent_id,
                {"reached": False}, "Pas de réponse après plusieurs essais, message laissé.")
    day = min(max(due + timedelta(days=rng.choice((-1, 0, 0, 0, 1, 2))), opens), last)
    done_at = cal.daytime(day, 9, 18)
    days = log.session_days
    sessions = (bisect.bisect_left(days, day)
                - bisect.bisect_left(days, day - timedelta(days=7)))
    outcome: dict[str, Any] = {"reached": True}
    if kind in _CALLS or kind in _VISITS:
        outcome.update(sessions_per_week=sessions,
                       difficulties=rng.choice(DIFFICULTIES[plan.template.code]),
                       benefits=rng.choice(BENEFITS[plan.template.code]))
    if kind == ContactKind.FOLLOW_UP_CALL:
        month_before = due_at.date() - timedelta(days=31)
        outcome.update(
            health_events=any(month_before <= ev["occurred_on"] <= due_at.date()
                              for ev in plan.events),
            medication_adherence=rng.choice(("bonne", "bonne", "partielle")),
            activity_kept=sessions >= 3)
    if kind in (ContactKind.HOME_VISIT, ContactKind.CLOSING_VISIT):
        outcome["satisfaction_eva"] = rng.randint(7, 10)
    if kind == ContactKind.FOLLOW_UP_CALL and rng.random() < 0.3:
        channel = Channel.VIDEO  # follow-up by video is counted apart (seed 003)
    return channel, ContactStatus.DONE, rng.randint(1, 2), done_at, recorder, outcome, None


Step = Callable[[Cohort, PatientPlan, Log, Rows], None]
# Run in this order for every started enrolment: events before sessions (hospital
# stays leave days blank), sessions before the booklet (its pain) and the calls
# (sessions per week).
STEPS: list[Step] = [lay_out, health_events, sessions, booklet, contacts]
