"""Writing what the rules fired: flags opened, updated, escalated and cleared, in bulk.

``write_flags`` first works out every change in memory (``FlagChanges``),
comparing each firing with the patient's open flag of its kind, then writes
them in one statement per kind of change (insert, update, history event,
source link), never one statement per flag, and e-mails the escalations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Text, any_, bindparam, cast, select
from sqlalchemy.dialects import postgresql

from server.extensions import db
from server.models import Enrolment, ErgoSession, HealthEvent
from server.models.flags import Flag, FlagEvent, open_key
from server.services.bulk import insert_rows, update_rows
from server.services.escalation import escalated, notify_escalations
from server.services.sweep_read import Running, scope
from shared.enums import FlagStatus
from shared.rules import AUTO_CLOSING, Firing, FlagKind

# Kinds whose evidence is a list that grows as new items arrive (events, sessions, contacts).
ACCUMULATING = {FlagKind.HEALTH_EVENT: ("events", "event_id"),
                FlagKind.HEART_RATE: ("sessions", "session_id"),
                FlagKind.MISSED_CONTACT: ("contacts", "contact_id")}
# Kinds whose sources (sessions, events) are marked with the flag that reported them.
LINKED = frozenset({FlagKind.HEALTH_EVENT, FlagKind.HEART_RATE})
# Statuses a person has not taken over yet: the rules may escalate or clear them.
UNHANDLED = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)

Key = tuple[int, FlagKind]  # a patient and a kind: at most one open flag each


@dataclass(slots=True)
class OpenFlag:
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


@dataclass
class FlagChanges:
    """Every row one pass writes, gathered before any statement runs."""

    now: datetime
    new: list[dict[str, Any]] = field(default_factory=list)  # flags to insert
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)  # by flag id
    events: list[dict[str, Any]] = field(default_factory=list)  # history rows
    escalated: list[int] = field(default_factory=list)  # flag ids, once they exist
    sources: list[tuple[Key, Firing]] = field(default_factory=list)  # sessions, events to link
    fired: set[Key] = field(default_factory=set)

    def event(self, flag_id: int, action: str, from_status: FlagStatus | None,
              to_status: FlagStatus, note: str | None = None) -> None:
        """Record one step of a flag's history."""
        self.events.append({"flag_id": flag_id, "at": self.now, "actor_id": None,
                            "action": action, "from_status": from_status,
                            "to_status": to_status, "note": note})


@dataclass
class Tally:
    """What the writes did, for the sweep's summary."""

    opened: int = 0
    updated: int = 0  # evidence or severity changed
    closed: int = 0
    escalated: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)  # opened, by kind


def write_flags(firings: dict[int, list[Firing]], enrolments: dict[int, Running],
                now: datetime, *, close_cleared: bool, whole_file: bool = False) -> Tally:
    """Open, update and (when ``close_cleared``) clear flags in bulk; record every change.

    ``whole_file``: ``enrolments`` are every running one.
    """
    open_flags = _open_flags({e.patient_id for e in enrolments.values()}, whole_file)
    changes = FlagChanges(now)
    tally = Tally()
    for enrolment_id, found in firings.items():
        enrolment = enrolments[enrolment_id]
        for firing in found:
            key = (enrolment.patient_id, firing.kind)
            changes.fired.add(key)
            if firing.kind in LINKED:
                changes.sources.append((key, firing))
            flag = open_flags.get(key)
            if flag is None:
                changes.new.append(_new_flag(enrolment, firing, now))
                tally.by_kind[firing.kind.value] = tally.by_kind.get(firing.kind.value, 0) + 1
            else:
                _update(changes, flag, firing, enrolment.physician_id)
    tally.updated = sum(1 for u in changes.updates.values() if "evidence" in u)
    if close_cleared:
        tally.closed = _clear(changes, open_flags)
    new_ids = _insert_new(changes)
    tally.opened = len(changes.new)
    update_rows(db.session, Flag.__table__, list(changes.updates.values()))
    insert_rows(db.session, FlagEvent.__table__, changes.events)
    flag_ids = {key: flag.id for key, flag in open_flags.items()} | new_ids
    _link_sources([(flag_ids[key], firing) for key, firing in changes.sources])
    tally.escalated = len(changes.escalated)
    if changes.escalated:
        notify_escalations(escalated(changes.escalated))
    return tally


def _open_flags(patient_ids: set[int], whole_file: bool) -> dict[Key, OpenFlag]:
    """The open flags of these patients, by patient and kind."""
    connection = db.session.connection()
    if whole_file:  # a join to the running enrolments beats a list of 100,000 ids
        which: Any = Flag.patient_id.in_(scope(select(Enrolment.patient_id), None))
    elif connection.dialect.name == "postgresql":
        # One array, whatever its length: no statement of thousands of parameters.
        which = Flag.patient_id == any_(
            bindparam("patients", sorted(patient_ids), type_=postgresql.ARRAY(Integer)))
    else:
        which = Flag.patient_id.in_(patient_ids)
    rows = connection.execute(
        select(Flag.id, Flag.patient_id, Flag.kind, Flag.status, Flag.severity,
               cast(Flag.evidence, Text))
        .where(Flag.open_key.is_not(None), which)).all()
    return {(flag.patient_id, flag.kind): flag for flag in (OpenFlag(*row) for row in rows)
            if flag.patient_id in patient_ids}


def _update(changes: FlagChanges, flag: OpenFlag, firing: Firing,
            physician_id: int | None) -> None:
    """What a firing changes in the open flag of its kind: evidence, severity, escalation."""
    if firing.kind in ACCUMULATING:
        old = flag.evidence()
        evidence = _merge(firing.kind, old, firing.evidence)
        severity = max(flag.severity, firing.severity)
        same = evidence == old
    else:
        evidence, severity = firing.evidence, firing.severity
        same = flag.same_evidence(evidence)
    change: dict[str, Any] = {}
    # A flag under committee review keeps the evidence (and proposal) it was sent with,
    # instead of one that moves every day until the committee meets.
    if (not same or severity != flag.severity) and flag.status != FlagStatus.COMMITTEE:
        change = {"evidence": evidence, "severity": severity}
    if firing.escalate and flag.status in UNHANDLED:
        change.update(status=FlagStatus.ESCALATED, escalated_to_id=physician_id)
        changes.event(flag.id, "escalated", flag.status, FlagStatus.ESCALATED)
        changes.escalated.append(flag.id)
    elif firing.committee and flag.status in UNHANDLED:
        # The referent's rupture flag, heard again at a committee call: to committee.
        change.update(status=FlagStatus.COMMITTEE, evidence=evidence, severity=severity)
        changes.event(flag.id, "committee", flag.status, FlagStatus.COMMITTEE)
    if change:
        changes.updates[flag.id] = {"id": flag.id, "updated_at": changes.now, **change}


def _merge(kind: FlagKind, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """New evidence for an open flag: lists of items grow, figures are replaced."""
    if kind not in ACCUMULATING:
        return new
    key, ident = ACCUMULATING[kind]
    known = {item[ident] for item in old.get(key, [])}
    return {**new, key: old.get(key, []) + [i for i in new[key] if i[ident] not in known]}


def _clear(changes: FlagChanges, open_flags: dict[Key, OpenFlag]) -> int:
    """Close the self-closing flags whose rule no longer fires; how many."""
    closed = 0
    for key, flag in open_flags.items():
        if key[1] in AUTO_CLOSING and key not in changes.fired and flag.status in UNHANDLED:
            changes.updates[flag.id] = {
                "id": flag.id, "status": FlagStatus.CLEARED, "open_key": None,
                "closed_at": changes.now, "updated_at": changes.now,
                "close_reason": "condition_cleared"}
            changes.event(flag.id, "cleared", flag.status, FlagStatus.CLEARED,
                          "condition cleared by itself")
            closed += 1
    return closed


def _new_flag(e: Running, firing: Firing, now: datetime) -> dict[str, Any]:
    status = (FlagStatus.ESCALATED if firing.escalate
              else FlagStatus.COMMITTEE if firing.committee else FlagStatus.OPEN)
    return {"patient_id": e.patient_id, "enrolment_id": e.enrolment_id, "kind": firing.kind,
            "severity": firing.severity, "status": status,
            "open_key": open_key(e.patient_id, firing.kind), "evidence": firing.evidence,
            "opened_at": now, "updated_at": now, "owner_id": e.referent_id,
            "escalated_to_id": e.physician_id if firing.escalate else None,
            "closed_at": None, "decision": None, "close_reason": None}


def _insert_new(changes: FlagChanges) -> dict[Key, int]:
    """Insert the new flags in one go and record their opening; their ids by patient and kind."""
    ids = insert_rows(db.session, Flag.__table__, changes.new, ids_by="open_key")
    by_key = {}
    for row in changes.new:
        flag_id = by_key[row["patient_id"], row["kind"]] = ids[row["open_key"]]
        changes.event(flag_id, "opened", None, FlagStatus.OPEN)
        if row["status"] != FlagStatus.OPEN:
            changes.event(flag_id, row["status"].value, FlagStatus.OPEN, row["status"])
        if row["status"] == FlagStatus.ESCALATED:
            changes.escalated.append(flag_id)
    return by_key


def _link_sources(sources: list[tuple[int, Firing]]) -> None:
    """Mark the sessions and events a flag reported, so that they are reported once."""
    sessions = [{"id": s["session_id"], "safety_flag_id": flag_id} for flag_id, firing in sources
                if firing.kind == FlagKind.HEART_RATE for s in firing.evidence["sessions"]]
    events = [{"id": ev["event_id"], "flag_id": flag_id} for flag_id, firing in sources
              if firing.kind == FlagKind.HEALTH_EVENT for ev in firing.evidence["events"]]
    for model, rows in ((ErgoSession, sessions), (HealthEvent, events)):
        if rows:
            update_rows(db.session, model.__table__, rows)
