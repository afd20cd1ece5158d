"""Documents of the patient file: upload checked, download audited, other files out of reach."""

from __future__ import annotations

import html
import json
from io import BytesIO

from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEntry, Document
from shared.enums import Role

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(web, patient, **fields):
    data = {"kind": "spirometry", "title": "EFR du 12 février",
            "file": (BytesIO(PDF), "efr.pdf"), **fields}
    return web.post(f"/patients/{patient.id}/documents", data,
                    form_page=f"/patients/{patient.id}", content_type="multipart/form-data")


def test_a_referent_attaches_a_pdf_and_downloads_it_as_an_attachment(web, factories):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    web.login(referent)
    response = upload(web, patient)
    assert response.status_code == 302
    document = db.session.scalars(select(Document)).one()
    assert (document.kind.value, document.filename, document.size) == (
        "spirometry", "efr.pdf", len(PDF))
    page = web.get(f"/patients/{patient.id}")
    assert "EFR du 12 février" in page.text and "Spirométrie" in page.text
    got = web.get(f"/patients/{patient.id}/documents/{document.id}")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment")
    reads = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "document", AuditEntry.action == "read"))
    assert reads == 1


def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_stored(web, factories):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    web.login(referent)
    fake = upload(web, patient, file=(BytesIO(b"#!/bin/sh\nrm -rf /\n"), "resultats.pdf"))
    assert fake.status_code == 422
    assert "Ce fichier n'est pas le PDF" in html.unescape(fake.text)
    script = upload(web, patient, file=(BytesIO(b"MZ\x90\x00"), "setup.exe"))
    assert script.status_code == 422 and "PDF, PNG ou JPEG" in script.text
    untitled = upload(web, patient, title="")
    assert untitled.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def test_another_referents_patient_documents_are_out_of_reach(web, factories):
    owner, other = factories.user(Role.REFERENT), factories.user(Role.REFERENT)
    patient = factories.active_patient(owner)
    web.login(owner)
    upload(web, patient)
    document = db.session.scalars(select(Document)).one()
    web.client.get("/logout")
    web.login(other)
    assert web.get(f"/patients/{patient.id}/documents/{document.id}").status_code == 404
    mine = factories.active_patient(other, first_name="Paul")
    # The id of a document of another patient does not open through one's own patient.
    assert web.get(f"/patients/{mine.id}/documents/{document.id}").status_code == 404
    refused = web.post(f"/patients/{patient.id}/documents",
                       {"kind": "other", "title": "x", "file": (BytesIO(PDF), "x.pdf")},
                       content_type="multipart/form-data")
    assert refused.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_a_physician_reads_documents_but_cannot_add_any(web, factories):
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    patient = factories.active_patient(referent, physician=physician)
    web.login(referent)
    upload(web, patient)
    document = db.session.scalars(select(Document)).one()
    web.client.get("/logout")
    web.login(physician)
    page = web.get(f"/patients/{patient.id}")
    assert "EFR du 12 février" in page.text and 'enctype="multipart/form-data"' not in page.text
    assert web.get(f"/patients/{patient.id}/documents/{document.id}").status_code == 200
    assert upload(web, patient).status_code == 403


def test_the_file_page_downloads_the_record_as_a_fhir_bundle(web, factories):
    referent, other = factories.user(Role.REFERENT), factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    web.login(referent)
    upload(web, patient)
    page = web.get(f"/patients/{patient.id}")
    assert "Télécharger le dossier (FHIR R4)" in page.text
    assert f'href="/patients/{patient.id}/fhir"' in page.text
    got = web.get(f"/patients/{patient.id}/fhir")
    assert got.status_code == 200 and got.mimetype == "application/fhir+json"
    assert got.headers["Content-Disposition"].startswith("attachment")
    bundle = json.loads(got.data)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "CarePlan", "Appointment", "DocumentReference"} <= kinds
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "fhir_bundle", AuditEntry.patient_id == patient.id)) == 1
    web.client.get("/logout")
    web.login(other)
    assert web.get(f"/patients/{patient.id}/fhir").status_code == 404
