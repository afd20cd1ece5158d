"""The daily sweep: the running enrolments through the rules, in a bounded number of queries.

Over the whole file it judges what changed since the last sweep and the
enrolments the day moved on (a new programme week, a silence step), or every
running enrolment when it has no sweep to start from (``sweep_scope``).

Reads, whatever the number of patients: the health events not reported yet;
one row per running enrolment with its last three weeks' figures from
``activity_weeks`` (kept at ingest), its booklet volume, pain baseline and
reinforcement visit, streamed so that the rules run on each while the next
are read; then the unsafe heart rates, and the open flags. Contacts whose
window closed unrecorded are marked missed in one UPDATE. The rules
(``shared.rules``) then run in memory and the flags are written in bulk.

Running it twice for the same day changes nothing the second time. The same
code runs for a handful of patients right after the tablet sends a health
event or a session (``sweep_patients``), so that these reach the physician at
once, not the next morning.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select, text, update

from server.clock import get_clock
from server.extensions import db
from server.models import Enrolment, ScheduledContact
from server.models.flags import Flag, open_key
from server.services import sweep_scope
from server.services.flag_writes import Tally, write_flags
from server.services.sweep_read import (
    Running,
    followed,
    reinforced_enrolments,
    running,
    scope,
)
from shared.enrolment import RUNNING_STATES
from shared.enums import ContactStatus, EnrolmentState
from shared.rules import Firing, FlagKind, Severity, evaluate

RUNNING = sorted(RUNNING_STATES)  # calls are due only while the programme runs

__all__ = ["SweepSummary", "missed_contact_evidence", "raise_flags", "reinforced_enrolments",
           "sweep", "sweep_patients"]


@dataclass
class SweepSummary:
    """What a sweep did, printed as JSON by ``reprise sweep``."""

    as_of: str
    full: bool = True  # every running enrolment judged, not only what changed
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

    def writes(self) -> tuple[int, int, int, int, int]:
        """What it changed: flags opened, updated and closed, contacts missed, escalations."""
        return (self.flags_opened, self.flags_updated, self.flags_closed, self.contacts_missed,
                self.escalated)

    def add(self, tally: Tally) -> None:
        """Count what the flag writes did."""
        self.flags_opened += tally.opened
        self.flags_updated += tally.updated
        self.flags_closed += tally.closed
        self.escalated += tally.escalated
        for kind, count in tally.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + count


def sweep(today: date | None = None, *, full: bool = False) -> SweepSummary:
    """Run the rules over the active file as of ``today``; commit; return figures.

    It judges what changed since the last sweep and what the day moved on
    (``sweep_scope``), or every running enrolment when that cannot be relied
    on or when ``full`` is asked.
    """
    with _cyclic_gc_paused():
        return _run(today or get_clock().today(), None, full)


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


def _run(today: date, only: set[int] | None, full: bool = False) -> SweepSummary:
    now = get_clock().now()
    if only is None and db.session.get_bind().dialect.name == "postgresql":
        # A batch over the whole file: let its aggregates sort and hash in memory; its
        # statements are short, so compiling them (JIT) would cost more than it saves.
        db.session.execute(text("SELECT set_config('work_mem', '64MB', true),"
                                " set_config('jit', 'off', true)"))
    scope = sweep_scope.plan(today, full) if only is None else None
    summary = SweepSummary(as_of=today.isoformat(), full=scope is None or scope.full)
    # First, so that the enrolments of the contacts it marks missed are judged too.
    missed = _mark_missed_contacts(now, only)
    summary.contacts_missed = len(missed)
    changed = scope.changed(today, (row.enrolment_id for row in missed)) if scope else None
    enrolments: dict[int, Running] = {}
    firings: dict[int, list[Firing]] = {}
    for enrolment, facts in followed(today, only, changed):
        enrolments[enrolment.enrolment_id] = enrolment
        found = evaluate(facts)
        if found:
            firings[enrolment.enrolment_id] = found
    summary.patients_examined = len(enrolments)
    for enrolment_id, firing in _missed_firings(missed).items():
        firings.setdefault(enrolment_id, []).append(firing)
    if enrolments or firings:  # a missed contact's enrolment is always among those judged
        summary.add(write_flags(firings, enrolments, now, close_cleared=True,
                                whole_file=scope is not None and scope.full))
    if scope is not None:
        sweep_scope.record(today, now, scope, len(enrolments))
    db.session.commit()
    return summary


# --- Contacts ----------------------------------------------------------------------------


def _running_ids(only: set[int] | None, states: list[EnrolmentState]) -> Select[Any]:
    return scope(select(Enrolment.id), only, states)


def _mark_missed_contacts(now: datetime, only: set[int] | None) -> list[Any]:
    """Planned contacts whose window closed unrecorded become missed (one UPDATE).

    Those of a suspended enrolment are marked suspended instead: nobody was to call.
    """
    db.session.execute(
        update(ScheduledContact)
        .where(ScheduledContact.status == ContactStatus.PLANNED,
               ScheduledContact.window_closes < now,
               ScheduledContact.enrolment_id.in_(
                   _running_ids(only, [EnrolmentState.SUSPENDED])))
        .values(status=ContactStatus.SUSPENDED)
        .execution_options(synchronize_session=False))
    return list(db.session.execute(
        update(ScheduledContact)
        .where(ScheduledContact.status == ContactStatus.PLANNED,
               ScheduledContact.window_closes < now,
               ScheduledContact.enrolment_id.in_(_running_ids(only, RUNNING)))
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
    enrolments = running(get_clock().today(), {patient_id})
    if not enrolments:
        return []
    now = get_clock().now()
    enrolment_id = next(iter(enrolments))
    write_flags({enrolment_id: firings}, enrolments, now, close_cleared=False)
    return list(db.session.scalars(select(Flag).where(
        Flag.open_key.in_([open_key(patient_id, f.kind) for f in firings]))))
