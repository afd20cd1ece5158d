"""The daily sweep: every running enrolment through the rules, in a bounded number of queries.

Reads, whatever the number of patients: one row per running enrolment with
its last three weeks' figures from ``activity_weeks`` (kept at ingest), its
booklet volume, pain baseline and reinforcement visit; then the unsafe heart
rates and health events not reported yet, and the open flags. Contacts whose
window closed unrecorded are marked missed in one UPDATE. The rules
(``shared.rules``) then run in memory and the flags are written in bulk.

Running it twice for the same day changes nothing the second time. The same
code runs for a handful of patients right after the tablet sends a health
event or a session (``sweep_patients``), so that these reach the physician at
once, not the next morning.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Select,
    Text,
    bindparam,
    cast,
    func,
    or_,
    select,
    text,
    update,
)
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
from server.models.flags import Flag, FlagEvent, open_key
from server.services.bulk import insert_rows
from server.services.escalation import notify_escalations
from shared.enrolment import FOLLOWED_STATES, RUNNING_STATES
from shared.enums import (
    ContactKind,
    ContactStatus,
    EnrolmentState,
    FlagStatus,
)
from shared.programmes import ProgrammeTemplate, get_template
from shared.rules import (
    AUTO_CLOSING,
    LOOKBACK_DAYS,
    Firing,
    FlagKind,
    PatientFacts,
    Severity,
    WeekFigures,
    evaluate,
    unsafe_heart_rate,
)

SUSPENDED = EnrolmentState.SUSPENDED
RUNNING = sorted(RUNNING_STATES)  # a stable order keeps the statements cacheable
# Suspended enrolments are read too: their health events and heart rates are still watched.
FOLLOWED = sorted(FOLLOWED_STATES)
# Kinds whose evidence is a list that grows as new items arrive (events, sessions, contacts).
ACCUMULATING = {FlagKind.HEALTH_EVENT: ("events", "event_id"),
                FlagKind.HEART_RATE: ("sessions", "session_id"),
                FlagKind.MISSED_CONTACT: ("contacts", "contact_id")}
# Kinds whose sources (sessions, events) are marked with the flag that reported them.
LINKED = frozenset({FlagKind.HEALTH_EVENT, FlagKind.HEART_RATE})


@dataclass
class SweepSummary:
    """What a sweep did, printed as JSON by ``reprise sweep``."""

    as_of: str
    patients_examined: int = 0
    flags_opened: int = 0
    flags_updated: int = 0
    flags_closed: int = 0
    contacts_missed: int = 0
    escalated: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able figures."""
        return dict(self.__dict__)


def sweep(today: date | None = None) -> SweepSummary:
    """Run every rule over the whole active file as of ``today``; commit; return figures."""
    with _cyclic_gc_paused():
        return _run(today or get_clock().today(), None)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Hold the cycle collector while the sweep builds a few hundred thousand objects.

    They hold no cycles (reference counting frees them), but each collection
    would walk all of them again: it took a third of the sweep's Python time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sweep_patients(patient_ids: Iterable[int]) -> SweepSummary:
    """The same rules for a few patients, now (after the tablet sent something)."""
    return _run(get_clock().today(), set(patient_ids))


def _run(today: date, only: set[int] | None) -> SweepSummary:
    now = get_clock().now()
    if only is None and db.session.get_bind().dialect.name == "postgresql":
        # A batch over the whole file: let its aggregates sort and hash in memory; its
        # statements are short, so compiling them (JIT) would cost more than it saves.
        db.session.execute(text("SELECT set_config('work_mem', '64MB', true),"
                                " set_config('jit', 'off', true)"))
    summary = SweepSummary(as_of=today.isoformat())
    enrolments, facts = _read(today, only)
    summary.patients_examined = len(enrolments)
    if not enrolments:
        db.session.commit()
        return summary
    firings: dict[int, list[Firing]] = {}
    for enrolment_id, f in facts.items():
        found = evaluate(f)
        if found:
            firings[enrolment_id] = found
    missed = _mark_missed_contacts(now, only)
    summary.contacts_missed = len(missed)
    for enrolment_id, firing in _missed_firings(missed).items():
        firings.setdefault(enrolment_id, []).append(firing)
    _write(firings, enrolments, now, summary, close_cleared=True)
    db.session.commit()
    return summary


# --- Reading the active file ------------------------------------------------------------


def _scope(query: Select[Any], only: set[int] | None,
           states: list[EnrolmentState] = FOLLOWED) -> Select[Any]:
    """Restrict a query joined to enrolments to the followed ones (and to some patients)."""
    query = query.where(Enrolment.state.in_(states))
    return query.where(Enrolment.patient_id.in_(only)) if only is not None else query


@dataclass(slots=True)
class _Running:
    """A running enrolment with what new flags need of its patient."""

    id: int
    patient_id: int
    referent_id: int | None
    physician_id: int | None


def _running(today: date, only: set[int] | None) -> dict[int, _Running]:
    query = _scope(
        select(Enrolment.id, Enrolment.patient_id, Patient.referent_id, Patient.physician_id)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .where(Enrolment.start_date <= today), only)
    return {row[0]: _Running(*row) for row in db.session.execute(query)}


def _read(today: date, only: set[int] | None) -> tuple[dict[int, _Running],
                                                       dict[int, PatientFacts]]:
    """The running enrolments and the facts the rules read about each, in a few queries."""
    tz = get_clock().tz
    enrolments: dict[int, _Running] = {}
    facts: dict[int, PatientFacts] = {}
    candidates: list[int] = []
    templates: dict[tuple[str, int | None], ProgrammeTemplate] = {}
    # Plain objects, not rows: the rules read their fields a few hundred thousand times.
    # Core, not ORM, execution: the ORM's row loading costs more than the rules here.
    for (enrolment_id, patient_id, code, weeks, start, last_received, baseline, referent,
         physician, s1, s2, s3, high1, pain_sum1, pain_count1, credit1, heart_rate_over,
         prescribed, reinforced, state, d1, d2, d3) in db.session.connection().execute(
            _active_file(today, only)).all():
        enrolments[enrolment_id] = _Running(enrolment_id, patient_id, referent, physician)
        last_seen = last_received.astimezone(tz).date() if last_received else start
        template = templates.get((code, weeks))
        if template is None:
            template = templates[code, weeks] = get_template(code, weeks)
        f = facts[enrolment_id] = PatientFacts(
            enrolment_id=enrolment_id, patient_id=patient_id, template=template, start=start,
            today=today, days_silent=(today - max(last_seen, start)).days,
            booklet_prescribed=prescribed, pain_baseline=baseline,
            reinforcement_done=bool(reinforced), suspended=state == SUSPENDED)
        if s1 is not None or s2 is not None or s3 is not None:
            # A week with no row reads NULL: nothing logged.
            last = f.week - 1
            f.weeks[last] = WeekFigures(s1 or 0, high1 or 0, pain_sum1 / pain_count1
                                        if pain_count1 else None, float(credit1 or 0),
                                        d1 or 0)
            f.weeks[last - 1] = WeekFigures(s2 or 0, active_days=d2 or 0)
            f.weeks[last - 2] = WeekFigures(s3 or 0, active_days=d3 or 0)
        if heart_rate_over:
            candidates.append(enrolment_id)
    for row in db.session.execute(_unsafe_sessions(today, candidates)) if candidates else ():
        reasons = unsafe_heart_rate(row.hr_max, row.hr_rest, row.hr_ceiling, row.hr_rest_min,
                                    row.hr_rest_max)
        facts[row.enrolment_id].unsafe_sessions.append({
            "session_id": row.id, "day": row.day.isoformat(), "hr_max": row.hr_max,
            "hr_rest": row.hr_rest, "reasons": reasons, "hr_ceiling": row.hr_ceiling,
            "hr_rest_min": row.hr_rest_min, "hr_rest_max": row.hr_rest_max})
    for row in db.session.execute(_new_events(only)):
        facts[row.enrolment_id].new_events.append({
            "event_id": row.id, "kind": row.kind.value, "day": row.occurred_on.isoformat(),
            "warning_signs": list(row.warning_signs or [])})
    return enrolments, facts


def _active_file(today: date, only: set[int] | None) -> Select[Any]:
    """One row per running enrolment, with what the rules read about it.

    The figures come from ``activity_weeks`` (kept at ingest): the three whole
    programme weeks before the current one, and whether the heart-rate extremes
    of the last five weeks break the patient's limits (then it may hold an
    unsafe session not reported yet).
    """
    weeks = _recent_weeks(today, only)
    reinforced = _reinforcement_visits().scalar_subquery()
    return _scope(
        select(Enrolment.id, Enrolment.patient_id, Enrolment.programme_code,
               Enrolment.intervention_weeks, Enrolment.start_date, Enrolment.last_received_at,
               Enrolment.pain_baseline, Patient.referent_id, Patient.physician_id,
               weeks.c.s1, weeks.c.s2, weeks.c.s3, weeks.c.high1, weeks.c.pain_sum1,
               weeks.c.pain_count1, weeks.c.credit1,
               _over_limits(weeks.c.peak, weeks.c.rest_low, weeks.c.rest_high),
               Enrolment.booklet_per_week, Enrolment.id.in_(reinforced), Enrolment.state,
               weeks.c.d1, weeks.c.d2, weeks.c.d3)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .outerjoin(weeks, weeks.c.enrolment_id == Enrolment.id)
        .where(Enrolment.start_date <= today), only)


def _recent_weeks(today: date, only: set[int] | None) -> Any:
    """Per enrolment, its last three whole weeks side by side, from ``activity_weeks``.

    Weeks are told apart by their start day alone, whatever the enrolment's
    start: no date arithmetic per row.
    """
    a = ActivityWeek

    def in_week(k: int, column: Any) -> Any:
        # The k-th whole week before the current one started 7k to 7k + 6 days ago.
        return func.sum(column).filter(a.week_start > today - timedelta(days=7 * k + 7),
                                       a.week_start <= today - timedelta(days=7 * k))

    query = (
        select(a.enrolment_id, *[in_week(k, a.sessions).label(f"s{k}") for k in (1, 2, 3)],
               in_week(1, a.high_dyspnoea).label("high1"),
               in_week(1, a.pain_sum).label("pain_sum1"),
               in_week(1, a.pain_count).label("pain_count1"),
               in_week(1, a.booklet_credit).label("credit1"),
               *[in_week(k, a.active_days).label(f"d{k}") for k in (1, 2, 3)],
               func.max(a.hr_max_peak).label("peak"), func.min(a.hr_rest_low).label("rest_low"),
               func.max(a.hr_rest_high).label("rest_high"))
        # Five weeks: the 28-day look-back for unsafe sessions starts in the fourth one.
        .where(a.week_start > today - timedelta(days=LOOKBACK_DAYS + 7), a.week_start <= today)
        .group_by(a.enrolment_id))
    if only is not None:
        # For a few patients (at ingest), aggregate only their rows, not the whole file's.
        query = query.where(a.enrolment_id.in_(
            select(Enrolment.id).where(Enrolment.patient_id.in_(only))))
    return query.subquery()


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
               ErgoSession.hr_rest, Patient.hr_ceiling, Patient.hr_rest_min,
               Patient.hr_rest_max)
        .join(Patient, Patient.id == ErgoSession.patient_id)
        .where(ErgoSession.enrolment_id.in_(enrolment_ids),
               ErgoSession.day >= today - timedelta(days=LOOKBACK_DAYS - 1),
               ErgoSession.day <= today, ErgoSession.safety_flag_id.is_(None),
               _over_limits(ErgoSession.hr_max, ErgoSession.hr_rest, ErgoSession.hr_rest))
        .order_by(ErgoSession.day, ErgoSession.id))


def _new_events(only: set[int] | None) -> Select[Any]:
    return _scope(
        select(HealthEvent.id, HealthEvent.enrolment_id, HealthEvent.kind,
               HealthEvent.occurred_on, HealthEvent.warning_signs)
        .join(Enrolment, Enrolment.id == HealthEvent.enrolment_id)
        .where(HealthEvent.flag_id.is_(None))
        .order_by(HealthEvent.occurred_on, HealthEvent.id), only)


def _reinforcement_visits() -> Select[Any]:
    return select(ScheduledContact.enrolment_id).where(
        ScheduledContact.kind == ContactKind.REINFORCEMENT_VISIT,
        ScheduledContact.status == ContactStatus.DONE)


def reinforced_enrolments(only: set[int] | None) -> Select[Any]:
    """The running enrolments (of some patients) whose reinforcement visit took place."""
    return _scope(_reinforcement_visits().distinct()
                  .join(Enrolment, Enrolment.id == ScheduledContact.enrolment_id), only)


# --- Contacts ----------------------------------------------------------------------------


def _running_ids(only: set[int] | None, states: list[EnrolmentState] = RUNNING) -> Select[Any]:
    return _scope(select(Enrolment.id), only, states)


def _mark_missed_contacts(now: datetime, only: set[int] | None) -> list[Any]:
    """Planned contacts whose window closed unrecorded become missed (one UPDATE).

    Those of a suspended enrolment are marked suspended instead: nobody was to call.
    """
    db.session.execute(
        update(ScheduledContact)
        .where(ScheduledContact.status == ContactStatus.PLANNED,
               ScheduledContact.window_closes < now,
               ScheduledContact.enrolment_id.in_(_running_ids(only, [SUSPENDED])))
        .values(status=ContactStatus.SUSPENDED)
        .execution_options(synchronize_session=False))
    return list(db.session.execute(
        update(ScheduledContact)
        .where(ScheduledContact.status == ContactStatus.PLANNED,
               ScheduledContact.window_closes < now,
               ScheduledContact.enrolment_id.in_(_running_ids(only)))
        .values(status=ContactStatus.MISSED)
        .returning(ScheduledContact.id, ScheduledContact.enrolment_id, ScheduledContact.key,
                   ScheduledContact.kind, ScheduledContact.due_at,
                   ScheduledContact.attempts)
        .execution_options(synchronize_session=False)))


def _missed_firings(missed: list[Any]) -> dict[int, Firing]:
    contacts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in missed:
        contacts[row.enrolment_id].append(missed_contact_evidence(row, "window_closed"))
    return {enrolment_id: Firing(FlagKind.MISSED_CONTACT, Severity.MODERATE, {"contacts": items})
            for enrolment_id, items in contacts.items()}


def missed_contact_evidence(contact: Any, reason: str) -> dict[str, Any]:
    """What a missed-contact flag says about one contact (window closed or unreachable)."""
    return {"contact_id": contact.id, "key": contact.key, "kind": contact.kind.value,
            "due": contact.due_at.isoformat(), "attempts": contact.attempts, "reason": reason}


def raise_flags(patient_id: int, firings: list[Firing]) -> list[Flag]:
    """Open or update flags for one patient outside the sweep (a call just recorded)."""
    enrolments = _running(get_clock().today(), {patient_id})
    if not enrolments:
        return []
    now = get_clock().now()
    enrolment_id = next(iter(enrolments))
    _write({enrolment_id: firings}, enrolments, now, SweepSummary(as_of=now.date().isoformat()),
           close_cleared=False)
    return list(db.session.scalars(select(Flag).where(
        Flag.open_key.in_([open_key(patient_id, f.kind) for f in firings]))))


# --- Writing flags -------------------------------------------------------------------------


def _merge(kind: FlagKind, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """New evidence for an open flag: lists of items grow, figures are replaced."""
    if kind not in ACCUMULATING:
        return new
    key, ident = ACCUMULATING[kind]
    known = {item[ident] for item in old.get(key, [])}
    return {**new, key: old.get(key, []) + [i for i in new[key] if i[ident] not in known]}


@dataclass(slots=True)
class _OpenFlag:
    """An open flag as the sweep compares it, its evidence left as stored until needed."""

    id: int
    patient_id: int
    kind: FlagKind
    status: FlagStatus
    severity: int
    evidence_text: str

    def evidence(self) -> dict[str, Any]:
        """The stored evidence, decoded."""
        evidence: dict[str, Any] = json.loads(self.evidence_text)
        return evidence

    def same_evidence(self, evidence: dict[str, Any]) -> bool:
        """Whether ``evidence`` is what is stored (decoding only when the texts differ)."""
        return json.dumps(evidence) == self.evidence_text or evidence == self.evidence()


def _write(firings: dict[int, list[Firing]], enrolments: dict[int, _Running], now: datetime,
           summary: SweepSummary, *, close_cleared: bool) -> None:
    """Open, update and (when ``close_cleared``) clear flags in bulk; record every change.

    Rows are written as plain dictionaries in one statement per kind of change
    (insert, update, event), never one statement per flag.
    """
    patient_ids = {e.patient_id for e in enrolments.values()}
    scope = ([*patient_ids] if len(patient_ids) < 100
             else _scope(select(Enrolment.patient_id), None))
    open_flags = {
        (flag.patient_id, flag.kind): flag
        for flag in (_OpenFlag(*row) for row in db.session.connection().execute(
            select(Flag.id, Flag.patient_id, Flag.kind, Flag.status, Flag.severity,
                   cast(Flag.evidence, Text))
            .where(Flag.open_key.is_not(None), Flag.patient_id.in_(scope))).all())
        if flag.patient_id in patient_ids
    }
    fired: set[tuple[int, FlagKind]] = set()
    new_rows: list[dict[str, Any]] = []
    updates: dict[int, dict[str, Any]] = {}
    events: list[dict[str, Any]] = []
    escalated: list[int] = []
    sources: list[tuple[tuple[int, FlagKind], Firing]] = []
    for enrolment_id, found in firings.items():
        e = enrolments[enrolment_id]
        for firing in found:
            key = (e.patient_id, firing.kind)
            fired.add(key)
            if firing.kind in LINKED:
                sources.append((key, firing))
            flag = open_flags.get(key)
            if flag is None:
                new_rows.append(_new_flag(e, firing, now))
                summary.by_kind[firing.kind.value] = summary.by_kind.get(firing.kind.value, 0) + 1
                continue
            if firing.kind in ACCUMULATING:
                old = flag.evidence()
                evidence = _merge(firing.kind, old, firing.evidence)
                severity = max(flag.severity, firing.severity)
                same = evidence == old
            else:
                evidence, severity = firing.evidence, firing.severity
                same = flag.same_evidence(evidence)
            change: dict[str, Any] = {}
            # A flag under committee review keeps the evidence (and proposal) it was sent
            # with, instead of one that moves every day until the committee meets.
            if (not same or severity != flag.severity) and flag.status != FlagStatus.COMMITTEE:
                change = {"evidence": evidence, "severity": severity}
            if firing.escalate and flag.status in (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED):
                change.update(status=FlagStatus.ESCALATED, escalated_to_id=e.physician_id)
                events.append(_event(flag.id, "escalated", flag.status, FlagStatus.ESCALATED,
                                     now))
                escalated.append(flag.id)
            elif firing.committee and flag.status in (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED):
                # The referent's rupture flag, heard again at a committee call: to committee.
                change.update(status=FlagStatus.COMMITTEE, evidence=evidence, severity=severity)
                events.append(_event(flag.id, "committee", flag.status, FlagStatus.COMMITTEE,
                                     now))
            if change:
                updates[flag.id] = {"id": flag.id, "updated_at": now, **change}
    summary.flags_updated = sum(1 for u in updates.values() if "evidence" in u)
    if close_cleared:
        for (patient_id, kind), flag in open_flags.items():
            if (kind in AUTO_CLOSING and (patient_id, kind) not in fired
                    and flag.status in (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)):
                updates[flag.id] = {"id": flag.id, "status": FlagStatus.CLEARED,
                                    "open_key": None, "closed_at": now, "updated_at": now,
                                    "close_reason": "condition_cleared"}
                events.append(_event(flag.id, "cleared", flag.status, FlagStatus.CLEARED, now,
                                     "condition cleared by itself"))
                summary.flags_closed += 1
    ids = _insert_flags(new_rows)
    summary.flags_opened = len(new_rows)
    for row in new_rows:
        flag_id = ids[row["open_key"]]
        events.append(_event(flag_id, "opened", None, FlagStatus.OPEN, now))
        if row["status"] != FlagStatus.OPEN:
            events.append(_event(flag_id, row["status"].value, FlagStatus.OPEN, row["status"],
                                 now))
        if row["status"] == FlagStatus.ESCALATED:
            escalated.append(flag_id)
    for group in _same_keys(updates.values()):
        db.session.execute(update(Flag), group)
    insert_rows(db.session, FlagEvent.__table__, events)
    flag_ids = {key: flag.id for key, flag in open_flags.items()}
    flag_ids.update({(row["patient_id"], row["kind"]): ids[row["open_key"]] for row in new_rows})
    _link_sources([(flag_ids[key], firing) for key, firing in sources])
    summary.escalated += len(escalated)
    if escalated:
        notify_escalations(list(db.session.scalars(select(Flag).where(Flag.id.in_(escalated)))))


def _same_keys(rows: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by their set of keys: one executemany UPDATE per group."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return list(groups.values())


def _new_flag(e: _Running, firing: Firing, now: datetime) -> dict[str, Any]:
    status = (FlagStatus.ESCALATED if firing.escalate
              else FlagStatus.COMMITTEE if firing.committee else FlagStatus.OPEN)
    return {"patient_id": e.patient_id, "enrolment_id": e.id, "kind": firing.kind,
            "severity": firing.severity, "status": status,
            "open_key": open_key(e.patient_id, firing.kind), "evidence": firing.evidence,
            "opened_at": now, "updated_at": now, "owner_id": e.referent_id,
            "escalated_to_id": e.physician_id if firing.escalate else None,
            "closed_at": None, "decision": None, "close_reason": None}


def _insert_flags(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new flags in one go; their ids by open key."""
    return insert_rows(db.session, Flag.__table__, rows, ids_by="open_key")


def _event(flag_id: int, action: str, from_status: FlagStatus | None, to_status: FlagStatus,
           now: datetime, note: str | None = None) -> dict[str, Any]:
    return {"flag_id": flag_id, "at": now, "actor_id": None, "action": action,
            "from_status": from_status, "to_status": to_status, "note": note}


def _link_sources(sources: list[tuple[int, Firing]]) -> None:
    """Mark the sessions and events a flag reported, so that they are reported once."""
    sessions = [{"row": s["session_id"], "flag": flag_id} for flag_id, firing in sources
                if firing.kind == FlagKind.HEART_RATE for s in firing.evidence["sessions"]]
    events = [{"row": ev["event_id"], "flag": flag_id} for flag_id, firing in sources
              if firing.kind == FlagKind.HEALTH_EVENT for ev in firing.evidence["events"]]
    for model, column, rows in ((ErgoSession, "safety_flag_id", sessions),
                                (HealthEvent, "flag_id", events)):
        if rows:
            table = model.__table__
            # In id order: the rows' pages are then visited in the order they lie on disk.
            db.session.execute(
                table.update().where(table.c.id == bindparam("row")).values(
                    {column: bindparam("flag")}), sorted(rows, key=itemgetter("row")))
