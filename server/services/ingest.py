"""Idempotent ingestion of what the tablet sends, in batches.

Each item carries the client's UUID. A batch is all-or-nothing: an item that
breaks a rule makes the whole batch answer 422 naming the item and field, and
nothing of it is stored. An item already stored with the same content answers
exactly as the first time; the same UUID with other content is a 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.clock import get_clock, utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import (
    BookletEntry,
    BookletItem,
    Enrolment,
    ErgoSession,
    HealthEvent,
    Prescription,
    QuestionnaireResponse,
)
from server.services import activity_weeks, samples
from server.services.bulk import insert_rows
from server.services.enrolments import current_enrolment
from server.services.errors import Conflict, Invalid
from server.services.measures import score_batch
from server.services.sweep import sweep_patients
from shared.enrolment import FOLLOWED_STATES
from shared.ranges import FUTURE_TOLERANCE, SESSION_DURATION_S
from shared.rules import unsafe_heart_rate
from shared.samples import HeartRateZone, PackedSeries
from shared.timeline import week_of

Row = dict[str, Any]


@dataclass(frozen=True)
class ItemKind:
    """How one kind of tablet item is checked and turned into rows."""

    model: type
    date_field: str
    to_row: Callable[[Row], Row]


def _session_row(item: Row) -> Row:
    row = {k: v for k, v in item.items() if k not in ("id", "hr_samples", "power_samples")}
    row["hr_sample_count"] = len(item.get("hr_samples") or ())
    row["day"] = _local_day(item["started_at"])
    return row


def _plain_row(item: Row) -> Row:
    return {k: v for k, v in item.items() if k != "id"}


SESSIONS = ItemKind(ErgoSession, "started_at", _session_row)
BOOKLET_ENTRIES = ItemKind(BookletEntry, "day", _plain_row)
HEALTH_EVENTS = ItemKind(HealthEvent, "occurred_on", _plain_row)
QUESTIONNAIRES = ItemKind(QuestionnaireResponse, "answered_at", _plain_row)


def payload_digest(item: Row) -> str:
    """A digest of an item's content, independent of key order and of UTC offsets.

    An instant counts, not how it was written: ``10:00+01:00`` and ``09:00Z`` are
    the same session re-sent (a tablet that travelled, or changed to summer time).
    """
    return hashlib.sha256(json.dumps(item, sort_keys=True, default=_canonical).encode()
                          ).hexdigest()


def _canonical(value: Any) -> str | dict[str, str]:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, PackedSeries):
        return value.wire()
    return str(value)


def running_enrolment(patient_id: int) -> Enrolment:
    """The enrolment the patient logs into; 409 when none is running (or suspended)."""
    enrolment = current_enrolment(patient_id)
    if enrolment is None or enrolment.state not in FOLLOWED_STATES or not enrolment.start_date:
        raise Conflict(_("No programme is running for this patient; nothing can be recorded."),
                       "no_running_enrolment")
    return enrolment


def _local_day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return value.astimezone(get_clock().tz).date()
    return value


def _check_dates(kind: ItemKind, items: list[Row], enrolment: Enrolment) -> None:
    clock = get_clock()
    latest = (clock.now() + FUTURE_TOLERANCE).astimezone(clock.tz).date()
    errors: dict[int, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        day = _local_day(item[kind.date_field])
        if day < enrolment.start_date:
            errors[index] = {kind.date_field: [_(
                "Date %(day)s is before the start of the programme (%(start)s).",
                day=day.isoformat(), start=enrolment.start_date.isoformat())]}
        elif day > latest:
            errors[index] = {kind.date_field: [_(
                "Date %(day)s is in the future.", day=day.isoformat())]}
    if errors:
        raise Invalid(_("Invalid request:"), "invalid_items", {"items": errors})


def _check_booklet_items(items: list[Row], enrolment: Enrolment) -> None:
    ids = {item["item_id"] for item in items}
    known = set(db.session.scalars(
        select(BookletItem.id).where(BookletItem.id.in_(ids),
                                     BookletItem.enrolment_id == enrolment.id)))
    errors = {i: {"item_id": [_("No such exercise in this patient's booklet.")]}
              for i, item in enumerate(items) if item["item_id"] not in known}
    if errors:
        raise Invalid(_("Invalid request:"), "invalid_items", {"items": errors})


def _check_unique_ids(items: list[Row], digests: list[str]) -> None:
    seen: dict[Any, str] = {}
    errors = {}
    for index, (item, dig) in enumerate(zip(items, digests, strict=True)):
        if item["id"] in seen and seen[item["id"]] != dig:
            errors[index] = {"id": [_("This id appears twice in the batch with other content.")]}
        seen.setdefault(item["id"], dig)
    if errors:
        raise Invalid(_("Invalid request:"), "invalid_items", {"items": errors})


def ingest(kind: ItemKind, patient_id: int, items: list[Row]) -> list[Row]:
    """Store a batch once; answer ``[{"id", "server_id"}]`` in the order sent."""
    enrolment = running_enrolment(patient_id)
    _check_dates(kind, items, enrolment)
    if kind is BOOKLET_ENTRIES:
        _check_booklet_items(items, enrolment)
    # The server scores questionnaires; nothing the client computed is read.
    scored = score_batch(enrolment, items) if kind is QUESTIONNAIRES else {}
    digests = [payload_digest(item) for item in items]
    _check_unique_ids(items, digests)
    try:
        return _store(kind, patient_id, enrolment, items, digests, scored)
    except IntegrityError:
        # Another request stored some of these ids meanwhile: answer from what is stored now.
        db.session.rollback()
        return _store(kind, patient_id, enrolment, items, digests, scored)


def _store(kind: ItemKind, patient_id: int, enrolment: Enrolment, items: list[Row],
           digests: list[str], scored: dict[Any, Row]) -> list[Row]:
    model = kind.model
    stored = {
        row.client_id: row
        for row in db.session.execute(
            select(model.client_id, model.patient_id, model.payload_digest, model.id)
            .where(model.client_id.in_({item["id"] for item in items}))
        )
    }
    conflicts = {
        i: {"id": [_("This id was already used for other content.")]}
        for i, (item, dig) in enumerate(zip(items, digests, strict=True))
        if item["id"] in stored and (stored[item["id"]].patient_id != patient_id
                                     or stored[item["id"]].payload_digest != dig)
    }
    if conflicts:
        raise Conflict(_("Some items reuse an id:"), "id_conflict", {"items": conflicts})
    fresh: dict[Any, tuple[Row, str]] = {}
    for item, dig in zip(items, digests, strict=True):
        if item["id"] not in stored:
            fresh.setdefault(item["id"], (item, dig))
    ids = {client_id: row.id for client_id, row in stored.items()}
    if kind is SESSIONS and fresh:
        _check_no_overlap(patient_id, items, fresh)
    rows: list[Row] = []
    if fresh:
        now = utcnow()
        rows = [
            {**kind.to_row(item), **scored.get(client_id, {}), "client_id": client_id,
             "payload_digest": dig,
             "received_at": now, "patient_id": patient_id, "enrolment_id": enrolment.id}
            for client_id, (item, dig) in fresh.items()
        ]
        if kind is SESSIONS:
            _measure(enrolment, rows, [item for item, _dig in fresh.values()])
        # COPY with ids drawn first, on PostgreSQL: a batch of sessions is the API's
        # heaviest write, and a multi-row INSERT cost more to build than to run.
        ids.update(insert_rows(db.session, model.__table__, rows, ids_by="client_id"))
        if kind is SESSIONS:
            samples.store_series([
                row for cid, (item, _dig) in fresh.items()
                for row in samples.series_rows(ids[cid], {
                    samples.HEART_RATE: item.get("hr_samples") or (),
                    samples.POWER: item.get("power_samples") or ()})])
        if kind is SESSIONS or kind is BOOKLET_ENTRIES:
            activity_weeks.refresh(enrolment, [row["day"] for row in rows])
        enrolment.last_received_at = now
    # Judged before the commit, which would expire the enrolment and its patient.
    alert = kind is HEALTH_EVENTS and fresh or kind is SESSIONS and _any_unsafe(enrolment, rows)
    db.session.commit()
    if alert:
        # Unsafe heart rates and health events must reach the referent and physician now.
        sweep_patients([patient_id])
    return [{"id": str(item["id"]), "server_id": ids[item["id"]]} for item in items]


def _check_no_overlap(patient_id: int, items: list[Row],
                      fresh: dict[Any, tuple[Row, str]]) -> None:
    """A patient rides one ergocycle: new sessions overlap neither each other nor stored ones.

    This also bounds a day's sessions to 24 hours. The error names the later
    session of each overlapping pair.
    """
    new = [item for item, _dig in fresh.values()]
    first = min(item["started_at"] for item in new) - timedelta(seconds=SESSION_DURATION_S.high)
    last = max(item["started_at"] + timedelta(seconds=item["duration_s"]) for item in new)
    stored = db.session.execute(
        select(ErgoSession.started_at, ErgoSession.duration_s)
        .where(ErgoSession.patient_id == patient_id, ErgoSession.started_at >= first,
               ErgoSession.started_at < last))
    index = {}
    for position, item in enumerate(items):
        index.setdefault(item["id"], position)
    spans = [(start, start + timedelta(seconds=duration), None) for start, duration in stored]
    spans += [(item["started_at"], item["started_at"] + timedelta(seconds=item["duration_s"]),
               index[item["id"]]) for item in new]
    spans.sort(key=lambda span: (span[0], span[2] is not None))
    errors: dict[int, dict[str, list[str]]] = {}
    overlap = [_("This session overlaps another one of the same patient.")]
    latest: tuple[datetime, int | None] | None = None  # the furthest end so far, and whose
    for start, end, position in spans:
        if latest is not None and start < latest[0]:
            named = position if position is not None else latest[1]
            if named is not None:
                errors[named] = {"started_at": overlap}
        if latest is None or end > latest[0]:
            latest = (end, position)
    if errors:
        raise Invalid(_("Invalid request:"), "invalid_items", {"items": errors})


def _measure(enrolment: Enrolment, rows: list[Row], items: list[Row]) -> None:
    """Time in the prescribed zone and above the ceiling from each session's samples.

    The zone is the prescription's in force in the session's week (its ceiling,
    else the patient's); mean and maximum come from the samples when the tablet
    sent none.
    """
    prescriptions = db.session.execute(
        select(Prescription.from_week, Prescription.hr_target_low, Prescription.hr_target_high)
        .where(Prescription.enrolment_id == enrolment.id)
        .order_by(Prescription.from_week)).all()
    ceiling = enrolment.patient.hr_ceiling
    for row, item in zip(rows, items, strict=True):
        row["hr_in_zone_s"] = row["hr_above_ceiling_s"] = None
        hr = item.get("hr_samples")
        if not hr:
            continue
        week = max(week_of(enrolment.start_date, row["day"]), 1)
        rx = next((p for p in reversed(prescriptions) if p.from_week <= week), None)
        zone = HeartRateZone(rx.hr_target_low if rx else None,
                             (rx.hr_target_high if rx else None) or ceiling)
        measured = samples.summary_columns(hr, zone)
        row["hr_in_zone_s"] = measured["hr_in_zone_s"]
        row["hr_above_ceiling_s"] = measured["hr_above_ceiling_s"]
        for name in ("hr_mean", "hr_max"):
            if row.get(name) is None:
                row[name] = measured[name]


def _any_unsafe(enrolment: Enrolment, rows: list[Row]) -> bool:
    patient = enrolment.patient
    return any(unsafe_heart_rate(row.get("hr_max"), row.get("hr_rest"), patient.hr_ceiling,
                                 patient.hr_rest_min, patient.hr_rest_max,
                                 row.get("hr_above_ceiling_s"))
               for row in rows)
