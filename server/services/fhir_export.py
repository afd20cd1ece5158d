"""The FHIR R4 export: one patient's record as a Bundle, the whole file as NDJSON.

The same column SELECTs feed both: filtered on one patient for the bundle,
unfiltered and streamed (``yield_per``: a server-side cursor on PostgreSQL)
for the bulk export, so a resource type costs a fixed number of queries
(one; two for CarePlan, three for Observation) whatever the size of the file, and
memory holds one batch of rows. ``services.fhir_map`` turns the rows into
resources.

Access: the bundle goes to any member of staff who may see the patient
(404 otherwise), audited as one ``fhir_bundle`` read of that patient. The
bulk export is the coordinator's (who sees the whole file), audited as one
``fhir_bulk`` row naming the resource type: a row per patient would write
100,000 rows per resource type per export, and the file-wide row already
answers who took what, when.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, select, true

from server.clock import utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import (
    Document,
    EnduranceTest,
    Enrolment,
    ErgoSession,
    Patient,
    QuestionnaireResponse,
    ScheduledContact,
    SessionSeries,
    User,
)
from server.models.flags import Flag
from server.services import access, fhir_map, samples
from server.services.audit import record_access
from server.services.errors import Forbidden, NotFound
from server.services.flag_text import describe
from server.services.transactions import read_use_case
from shared.enums import ContactKind, ContactStatus, Role

# Rows fetched per round trip of a streamed query (bounded memory).
BATCH = 2000
# NDJSON lines per chunk written to the response.
LINES_PER_CHUNK = 500

Filter = Callable[[Any], ColumnElement[bool]]


def context(api_root: str) -> fhir_map.Context:
    """The mapping context of this deployment, for resources linked under ``api_root``."""
    return fhir_map.Context(system=current_app.config["FHIR_SYSTEM"].rstrip("/"),
                            api_root=api_root.rstrip("/"))


def _stream(stmt: Select[Any]) -> Iterator[Any]:
    return iter(db.session.execute(stmt.execution_options(yield_per=BATCH)))


def _all(_column: Any) -> ColumnElement[bool]:
    return true()


def _patients(where: Filter, ctx: fhir_map.Context) -> Iterator[dict[str, Any]]:
    stmt = select(Patient.id, Patient.first_name, Patient.last_name, Patient.birth_date,
                  Patient.sex, Patient.phone, Patient.email, Patient.locale,
                  Patient.external_ref).where(where(Patient.id)).order_by(Patient.id)
    for row in _stream(stmt):
        yield fhir_map.patient(row, ctx)


def _contacts(where: Filter) -> Select[Any]:
    return (select(ScheduledContact.id, ScheduledContact.enrolment_id, ScheduledContact.kind,
                   ScheduledContact.status, ScheduledContact.channel, ScheduledContact.due_at,
                   ScheduledContact.window_opens, ScheduledContact.window_closes,
                   ScheduledContact.done_at, Enrolment.patient_id)
            .join(Enrolment, Enrolment.id == ScheduledContact.enrolment_id)
            .where(where(Enrolment.patient_id)))


def _care_plans(where: Filter, ctx: fhir_map.Context) -> Iterator[dict[str, Any]]:
    # Two streams in enrolment order, merged: each enrolment with its own contacts.
    enrolments = _stream(
        select(Enrolment.id, Enrolment.patient_id, Enrolment.programme_code, Enrolment.state,
               Enrolment.intervention_weeks, Enrolment.requested_at, Enrolment.start_date,
               Enrolment.ended_at, Enrolment.end_reason)
        .where(where(Enrolment.patient_id)).order_by(Enrolment.id))
    contacts = groupby(_stream(_contacts(where).order_by(
        ScheduledContact.enrolment_id, ScheduledContact.due_at, ScheduledContact.id)),
        key=lambda c: c.enrolment_id)
    pending: tuple[int, list[Any]] | None = None
    for enrolment in enrolments:
        while pending is None or pending[0] < enrolment.id:
            group = next(contacts, None)
            if group is None:
                pending = (2**63, [])
                break
            pending = (group[0], list(group[1]))
        own = pending[1] if pending[0] == enrolment.id else []
        yield fhir_map.care_plan(enrolment, own, ctx)


def _encounters(where: Filter, ctx: fhir_map.Context) -> Iterator[dict[str, Any]]:
    stmt = _contacts(where).where(ScheduledContact.status == ContactStatus.DONE,
                                  ScheduledContact.kind != ContactKind.SYNTHESIS)
    for row in _stream(stmt.order_by(ScheduledContact.id)):
        yield fhir_map.encounter(row, ctx)


def _appointments(where: Filter, ctx: fhir_map.Context) -> Iterator[dict[str, Any]]:
    stmt = _contacts(where).where(ScheduledContact.status != ContactStatus.DONE,
                                  ScheduledContact.kind != ContactKind.SYNTHESIS)
    for row in _stream(stmt.order_by(ScheduledContact.id)):
        yield fhir_map.appointment(row, ctx)


def _contact_done() -> Any:
    """Whether a row's contact took place (it is an Encounter of the export then)."""
    return and_(ScheduledContact.id.is_not(None),
                ScheduledContact.status == ContactStatus.DONE).label("contact_done")


def _has_signal(signal: str, name: str) -> Any:
    """Whether a session has a recorded series of ``signal`` (a primary-key lookup)."""
    return (select(SessionSeries.session_id)
            .where(SessionSeries.session_id == ErgoSession.id, SessionSeries.signal == signal)
            .exists().label(name))


def _observations(where: Filter, ctx: fhir_map.Context) -> Iterator[dict[str, Any]]:
    s = ErgoSession
    sessions = select(s.id, s.client_id, s.patient_id, s.enrolment_id, s.started_at,
                      s.duration_s, s.received_at, s.resistance, s.watts, s.distance_km,
                      s.hr_rest, s.hr_mean, s.hr_max, s.dyspnoea, s.effort, s.pain_eva,
                      s.notes, s.source, s.hr_in_zone_s, s.hr_above_ceiling_s,
                      _has_signal(samples.HEART_RATE, "has_hr"),
                      _has_signal(samples.POWER, "has_power"))
    for row in _stream(sessions.where(where(s.patient_id)).order_by(s.id)):
        yield fhir_map.session_observation(row, ctx)
    series = (select(SessionSeries.session_id, SessionSeries.signal, SessionSeries.offsets,
                     SessionSeries.values, s.patient_id, s.enrolment_id, s.started_at,
                     s.duration_s)
              .join(s, s.id == SessionSeries.session_id)
              .where(where(s.patient_id), SessionSeries.signal.in_(samples.SIGNALS))
              .order_by(SessionSeries.session_id, SessionSeries.signal))
    for row in _stream(series):
        pairs = list(zip(samples.unpack(row.offsets, "H"), samples.unpack(row.values, "h"),
                         strict=True))
        yield fhir_map.series_observation(row, pairs, ctx)
    t = EnduranceTest
    tests = (select(t.id, t.patient_id, t.enrolment_id, t.contact_id, t.timepoint,
                    t.performed_on, t.peak_watts, t.load_percent, t.load_watts, t.duration_s,
                    t.hr_start, t.hr_end, t.borg_start, t.borg_end, t.stop_reason, t.notes,
                    t.recorded_at, _contact_done())
             .outerjoin(ScheduledContact, ScheduledContact.id == t.contact_id)
             .where(where(t.patient_id)).order_by(t.id))
    for row in _stream(tests):
        yield fhir_map.endurance_observation(row, ctx)


def _questionnaire_responses(where: Filter, ctx: fhir_map.Context) -> Iterator[dict[str, Any]]:
    q = QuestionnaireResponse
    stmt = (select(q.id, q.patient_id, q.enrolment_id, q.instrument, q.answered_at, q.answers,
                   q.score, q.domain_scores, q.category, q.timepoint, q.recorded_by_id,
                   q.contact_id, _contact_done())
            .outerjoin(ScheduledContact, ScheduledContact.id == q.contact_id)
            .where(where(q.patient_id)).order_by(q.id))
    for row in _stream(stmt):
        yield fhir_map.questionnaire_response(row, ctx)


def _flags(where: Filter, ctx: fhir_map.Context) -> Iterator[dict[str, Any]]:
    stmt = select(Flag.id, Flag.patient_id, Flag.kind, Flag.severity, Flag.status,
                  Flag.evidence, Flag.opened_at, Flag.closed_at, Flag.decision,
                  ).where(where(Flag.patient_id)).order_by(Flag.id)
    for row in _stream(stmt):
        yield fhir_map.flag(row, ctx, describe)


def _documents(where: Filter, ctx: fhir_map.Context) -> Iterator[dict[str, Any]]:
    # The bytes are never read: the attachment links to the API's download.
    stmt = select(Document.id, Document.patient_id, Document.kind, Document.title,
                  Document.filename, Document.content_type, Document.size,
                  Document.uploaded_at).where(where(Document.patient_id)).order_by(Document.id)
    for row in _stream(stmt):
        yield fhir_map.document_reference(row, ctx)


READERS: dict[str, Callable[[Filter, fhir_map.Context], Iterator[dict[str, Any]]]] = {
    "Patient": _patients,
    "CarePlan": _care_plans,
    "Encounter": _encounters,
    "Appointment": _appointments,
    "Observation": _observations,
    "QuestionnaireResponse": _questionnaire_responses,
    "Flag": _flags,
    "DocumentReference": _documents,
}


@read_use_case
def patient_bundle(user: User, patient_id: int, api_root: str) -> dict[str, Any]:
    """One patient's record as a FHIR ``collection`` Bundle, for staff who may see the
    patient (404 otherwise); audited as one ``fhir_bundle`` read."""
    patient = access.get_patient(user, patient_id, object_type="fhir_bundle")
    ctx = context(api_root)

    def of_patient(column: Any) -> ColumnElement[bool]:
        return column == patient.id

    resources = [r for read in READERS.values() for r in read(of_patient, ctx)]
    return fhir_map.bundle(resources, ctx, str(uuid.uuid4()), utcnow())


def _require_coordinator(user: User) -> None:
    if user.role != Role.COORDINATOR:
        raise Forbidden(_("Only a coordinator may export the whole file."), "forbidden")


def _check_bulk(user: User, resource_type: str) -> None:
    _require_coordinator(user)
    if resource_type not in READERS:
        raise NotFound(_("No such resource type in the export: %(type)s.",
                         type=resource_type[:40]), "unknown_resource_type")


@read_use_case
def bulk_manifest(user: User, api_root: str) -> dict[str, Any]:
    """The bulk export's files, in the FHIR Bulk Data manifest's shape (coordinator only);
    nothing of a patient is read, so nothing is audited."""
    _require_coordinator(user)
    root = api_root.rstrip("/")
    return {"transactionTime": fhir_map.instant(utcnow()), "request": f"{root}/fhir/bulk",
            "requiresAccessToken": True, "error": [],
            "output": [{"type": t, "url": f"{root}/fhir/bulk/{t}.ndjson"}
                       for t in READERS]}


@read_use_case
def bulk_export(user: User, resource_type: str, api_root: str) -> Iterator[str]:
    """Every resource of one type in the whole file as NDJSON chunks (coordinator only).

    The check and the audit row are committed before any row is read; the chunks are then
    produced while the response streams, from one or two streamed queries.
    """
    _check_bulk(user, resource_type)
    record_access(user, access.READ, "fhir_bulk", [None], resource_type)
    return _ndjson(READERS[resource_type](_all, context(api_root)))


def _ndjson(resources: Iterator[dict[str, Any]]) -> Iterator[str]:
    lines: list[str] = []
    for resource in resources:
        lines.append(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
        if len(lines) >= LINES_PER_CHUNK:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"
