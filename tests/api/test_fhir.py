"""The FHIR R4 export: every resource parses with the fhir.resources models, references resolve,
access is the file's, every export is audited, the bulk export's queries do not grow with it.

fhir.resources 8 ships R5 at its root and R4B (4.3.0) as ``fhir.resources.R4B``: the resources
exported here did not change between R4 (4.0.1) and R4B, so R4B's models check them.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import event, select, update

from server.extensions import db
from server.models import AuditEntry, Document, ScheduledContact
from server.services import documents
from shared.enums import Channel, ContactKind, ContactStatus, Role
from tests.api.test_me_uploads import session_item
from tests.api.test_measures import CRQ_W12, ENDURANCE_W0
from tests.shared.test_instruments import CRQ_W0

PDF = b"%PDF-1.4\n% synthesis\n"


@pytest.fixture
def rich_patient(client, auth, factories, referent, clock):
    """A patient at week 12 with sessions (heart-rate samples), a health event (its flag), CRQ
    and endurance tests at W0 and W12, weekly questionnaires, calls done by phone and video,
    a missed call, and documents (a synthesis among them)."""
    patient = factories.active_patient(referent, start=clock.today() - timedelta(days=80),
                                       external_ref="IPP-000123")
    enrolment = factories.enrolment(patient)
    device = auth.device(patient)
    sessions = [session_item(clock), session_item(clock, notes="Genou un peu raide"),
                session_item(clock, hr_samples=[], hr_mean=None, hr_max=None, watts=None)]
    assert client.post("/api/v1/me/sessions", json={"items": sessions},
                       headers=device).status_code == 200
    event_item = {"id": str(uuid.uuid4()), "kind": "exacerbation",
                  "occurred_on": clock.today().isoformat(), "description": "Essoufflement"}
    assert client.post("/api/v1/me/health-events", json={"items": [event_item]},
                       headers=device).status_code == 200
    weekly = {"id": str(uuid.uuid4()), "instrument": "weekly_symptoms",
              "answered_at": clock.now().isoformat(),
              "answers": {"dyspnoea": 4, "fatigue": 6, "pain": 2}}
    assert client.post("/api/v1/me/questionnaires", json={"items": [weekly]},
                       headers=device).status_code == 200
    staff = auth.staff(referent)
    for kind, crq, endurance in (
            (ContactKind.INCLUSION_VISIT, CRQ_W0,
             {**ENDURANCE_W0, "performed_on": enrolment.start_date.isoformat()}),
            (ContactKind.CLOSING_VISIT, CRQ_W12,
             {**ENDURANCE_W0, "performed_on": clock.today().isoformat(), "duration_s": 420,
              "stop_reason": "leg_fatigue"})):
        visit = _contact(enrolment, kind)
        body = {"questionnaires": [{"instrument": "crq", "answers": crq}],
                "endurance_test": endurance}
        body.update({"objectives": "Marcher jusqu'au marché"} if kind == "inclusion_visit"
                    else {"activity_project_sessions": 3, "certificate_given": True,
                          "ergocycle_collected": True})
        response = client.post(f"/api/v1/contacts/{visit.id}/visit", headers=staff, json=body)
        assert response.status_code == 201, response.get_json()
    calls = db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id,
        ScheduledContact.kind == ContactKind.WEEKLY_CALL).order_by(ScheduledContact.week)).all()
    for call, channel in zip(calls[:2], (Channel.PHONE, Channel.VIDEO), strict=True):
        call.status, call.channel, call.done_at = ContactStatus.DONE, channel, clock.now()
    calls[2].status = ContactStatus.MISSED
    db.session.commit()
    for kind, title in (("synthesis", "Synthèse initiale"), ("referral", "Fiche navette"),
                        ("spirometry", "EFR")):
        documents.add_document(referent, patient.id, kind=kind, title=title,
                               filename=f"{kind}.pdf", content=PDF)
    return patient


def _contact(enrolment, kind):
    return db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id, ScheduledContact.kind == kind))


def _validate(resource: dict) -> None:
    """Parse with the R4B model of its type (extra or mistyped elements are refused)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_rich_patient_bundle_parses_and_its_references_resolve(client, auth, referent,
                                                               rich_patient):
    response = client.get(f"/api/v1/patients/{rich_patient.id}/fhir",
                          headers=auth.staff(referent))
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    Bundle.model_validate(data)
    assert data["type"] == "collection"
    resources = [e["resource"] for e in data["entry"]]
    for resource in resources:
        _validate(resource)
    by_type: dict[str, list[dict]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    assert {t: len(v) for t, v in by_type.items() if t in ("Patient", "CarePlan")} == {
        "Patient": 1, "CarePlan": 1}
    # Every reference is to an entry of the bundle (by the fullUrl's base).
    urls = {e["fullUrl"] for e in data["entry"]}
    base = data["entry"][0]["fullUrl"].rsplit("/", 2)[0]
    references = _references(resources)
    assert references and all(f"{base}/{r}" in urls for r in references), (
        sorted(r for r in references if f"{base}/{r}" not in urls))
    assert len({(r["resourceType"], r["id"]) for r in resources}) == len(resources)

    patient = by_type["Patient"][0]
    assert patient["name"][0]["family"] == "Martin" and patient["gender"] == "female"
    assert any(i["value"] == "IPP-000123" for i in patient["identifier"])

    observations = {o["id"]: o for o in by_type["Observation"]}
    sessions = sorted((o for o in observations.values()
                       if o["id"].startswith("session-") and o["id"].count("-") == 1),
                      key=lambda o: int(o["id"].split("-")[1]))
    assert len(sessions) == 3
    codes = {c["code"]["coding"][0]["code"]: c for c in sessions[0]["component"]}
    assert codes["55411-3"]["valueQuantity"] == {"value": 30.0, "unit": "min",
                                                 "system": "http://unitsofmeasure.org",
                                                 "code": "min"}
    assert codes["55425-3"]["valueQuantity"]["value"] == 104
    assert codes["55426-1"]["valueQuantity"]["code"] == "/min"
    assert codes["40443-4"]["valueQuantity"]["value"] == 72
    assert sessions[0]["code"]["coding"][0]["code"] == "73985-4"
    assert "55425-3" not in {c["code"]["coding"][0]["code"] for c in sessions[2]["component"]}
    # The strap's samples (every 2 s from 90 bpm) as SampledData, members of their session.
    member = sessions[0]["hasMember"][0]["reference"].split("/")[1]
    series = observations[member]
    assert series["code"]["coding"][0]["code"] == "8867-4"
    assert series["category"][0]["coding"][0]["code"] == "vital-signs"
    sampled = series["valueSampledData"]
    assert (sampled["period"], sampled["origin"]["code"]) == (2000, "/min")
    assert sampled["data"].split()[:3] == ["90", "90", "90"] and len(sampled["data"].split()) == 900
    assert "hasMember" not in sessions[2]
    endurance = sorted((o for o in observations.values() if o["id"].startswith("endurance-")),
                       key=lambda o: o["effectiveDateTime"])
    assert [o["valueQuantity"]["value"] for o in endurance] == [300, 420]
    assert all(o["encounter"]["reference"].startswith("Encounter/") for o in endurance)

    responses = by_type["QuestionnaireResponse"]
    crq = [r for r in responses if r["questionnaire"].endswith("/Questionnaire/crq")]
    assert len(crq) == 2 and len(responses) == 3
    scores = {i["linkId"]: i["answer"][0] for r in crq for g in r["item"]
              if g["linkId"] == "scores" for i in g["item"]}
    assert scores["score.total"]["valueDecimal"] == 4.55  # the server's score, not recomputed

    encounters = by_type["Encounter"]
    modes = {e["type"][1]["coding"][0]["code"] for e in encounters}
    assert {"PHONE", "VIDEOCONF", "FACE"} <= modes
    appointments = {a["status"] for a in by_type["Appointment"]}
    assert appointments == {"proposed", "noshow"}
    plan = by_type["CarePlan"][0]
    assert plan["status"] == "active"
    assert plan["activity"][0]["detail"]["scheduledTiming"]["repeat"]["frequency"] == 4
    calls = next(a for a in plan["activity"][1:]
                 if a["detail"]["code"]["coding"][0]["code"] == "weekly_call")
    assert len(calls["outcomeReference"]) == 2

    flag = by_type["Flag"][0]
    assert flag["status"] == "active" and flag["code"]["text"]
    docs = {d["description"]: d for d in by_type["DocumentReference"]}
    synthesis = docs["Synthèse initiale"]
    assert synthesis["type"]["coding"][0]["code"] == "34133-9"
    attachment = synthesis["content"][0]["attachment"]
    assert "data" not in attachment and attachment["size"] == len(PDF)
    download = client.get("/" + attachment["url"].split("/", 3)[3],
                          headers=auth.staff(referent))
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"


def _references(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            found.add(node["reference"])
        for value in node.values():
            found |= _references(value)
    elif isinstance(node, list):
        for value in node:
            found |= _references(value)
    return found


def test_bundle_is_audited_and_out_of_reach_is_404(client, auth, factories, referent,
                                                   rich_patient):
    other = factories.user(Role.REFERENT)
    response = client.get(f"/api/v1/patients/{rich_patient.id}/fhir", headers=auth.staff(other))
    assert response.status_code == 404
    assert response.get_json()["code"] == "patient_not_found"
    assert client.get(f"/api/v1/patients/{rich_patient.id}/fhir",
                      headers=auth.device(rich_patient)).status_code == 401
    assert client.get("/api/v1/patients/999999/fhir",
                      headers=auth.staff(referent)).get_json()["status"] == 404
    client.get(f"/api/v1/patients/{rich_patient.id}/fhir", headers=auth.staff(referent))
    rows = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "fhir_bundle")).all()
    assert [(r.actor_id, r.patient_id, r.action) for r in rows] == [
        (referent.id, rich_patient.id, "read")]
    # Another referent's document is out of reach too.
    doc = db.session.scalar(select(Document.id))
    assert client.get(f"/api/v1/patients/{rich_patient.id}/documents/{doc}",
                      headers=auth.staff(other)).status_code == 404


def _bulk(client, headers, resource_type):
    response = client.get(f"/api/v1/fhir/bulk/{resource_type}.ndjson", headers=headers)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/fhir+ndjson"
    return [json.loads(line) for line in response.data.decode().splitlines()]


def test_bulk_export_every_line_parses_and_matches_the_bundles(client, auth, factories,
                                                                referent, rich_patient):
    second = factories.active_patient(referent, first_name="Paul", last_name="Durand")
    factories.patient(referent, first_name="Zoé", last_name="Requested")  # not started
    coordinator = factories.staff(Role.COORDINATOR)
    headers = auth.staff(coordinator)
    manifest = client.get("/api/v1/fhir/bulk", headers=headers).get_json()
    assert [o["type"] for o in manifest["output"]] == [
        "Patient", "CarePlan", "Encounter", "Appointment", "Observation",
        "QuestionnaireResponse", "Flag", "DocumentReference"]
    exported: dict[tuple[str, str], dict] = {}
    for output in manifest["output"]:
        lines = _bulk(client, headers, output["type"])
        for resource in lines:
            assert resource["resourceType"] == output["type"]
            _validate(resource)
            exported[(resource["resourceType"], resource["id"])] = resource
    assert sum(1 for t, _i in exported if t == "Patient") == 3
    assert sum(1 for t, _i in exported if t == "CarePlan") == 3
    # References across the files resolve within the export.
    for reference in _references(list(exported.values())):
        assert tuple(reference.split("/")) in exported, reference
    # The bulk export holds the same resources as the patient's bundle.
    bundle = client.get(f"/api/v1/patients/{second.id}/fhir", headers=headers).get_json()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert exported[(resource["resourceType"], resource["id"])] == resource
    audit = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "fhir_bulk").order_by(AuditEntry.id)).all()
    assert [(a.object_id, a.patient_id) for a in audit] == [
        (o["type"], None) for o in manifest["output"]]


def test_bulk_export_is_the_coordinators_only(client, auth, factories, referent, rich_patient):
    for role in (Role.REFERENT, Role.PHYSICIAN, Role.ADMIN):
        response = client.get("/api/v1/fhir/bulk/Patient.ndjson",
                               headers=auth.staff(factories.staff(role)))
        assert response.status_code == 403
        assert set(response.get_json()) >= {"code", "status", "message"}
    assert client.get("/api/v1/fhir/bulk/Patient.ndjson",
                      headers=auth.device(rich_patient)).status_code == 401
    response = client.get("/api/v1/fhir/bulk/Medication.ndjson",
                          headers=auth.staff(factories.staff(Role.COORDINATOR)))
    assert response.status_code == 404
    assert response.get_json()["code"] == "unknown_resource_type"
    assert "Medication" in response.get_json()["message"]
    assert not db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "fhir_bulk")).all()


def test_bulk_export_queries_do_not_grow_with_the_file(client, auth, factories, referent,
                                                       clock):
    coordinator = factories.staff(Role.COORDINATOR)
    headers = auth.staff(coordinator)

    def statements(resource_type: str) -> int:
        count = 0

        def counter(*_args) -> None:
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            _bulk(client, headers, resource_type)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count

    factories.sessions(factories.active_patient(referent), [clock.today()])
    _bulk(client, headers, "Patient")  # the token's first use records it: not counted
    small = {t: statements(t) for t in ("CarePlan", "Observation", "Appointment", "Flag")}
    assert max(small.values()) <= 8  # authentication, audit, commit, then 1 or 2 SELECTs
    for n in range(4):
        patient = factories.active_patient(referent, first_name=f"P{n}")
        factories.sessions(patient, [clock.today() - timedelta(days=d) for d in range(3)])
    db.session.execute(update(ScheduledContact).values(status=ContactStatus.PLANNED))
    db.session.commit()
    assert {t: statements(t) for t in small} == small
