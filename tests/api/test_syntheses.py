"""The care team and the synthesis documents through the API: entry, access, the workflow from
draft to sent, immutability, audit, the outbox e-mail with its PDF (through a real SMTP server)
and the patient's tablet."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import (
    AuditEntry,
    Document,
    Notification,
    ScheduledContact,
    Synthesis,
    SynthesisRecipient,
)
from server.models.notifications import NotificationChannel
from server.services import syntheses
from server.services.notifications import deliver_pending
from server.services.synthesis_pdf import render_pdf
from shared.enums import ContactStatus, Role, SynthesisState
from tests.api.test_enrolments import NEW_PATIENT
from tests.server.test_notifications import smtp_channels, smtp_server  # noqa: F401 (fixture)

GP = {"role": "general_practitioner", "name": "Dr Paul Martin",
      "email": "paul.martin@medecin.mssante.fr", "secure_messaging": True,
      "phone": "01 23 45 67 89", "postal_address": "3 place de la Mairie\n69001 Lyon"}
PHYSIO = {"role": "physiotherapist", "name": "Claire Kiné", "email": "claire@example.org",
          "postal_address": "12 rue des Lilas\n69003 Lyon"}


def pdf_text(content: bytes) -> str:
    """The PDF's text as poppler's pdftotext extracts it."""
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()


@pytest.fixture
def team(factories, client, auth):
    """A referent's patient at the end of the intervention (W12 done), with 3 sessions a week,
    a GP on MSSanté and a physiotherapist reached by post; the coordinator and physician."""
    referent = factories.user(Role.REFERENT, full_name="Anne Référente")
    physician = factories.staff(Role.PHYSICIAN)
    today = factories.clock.today()
    start = today - timedelta(weeks=12, days=3)
    patient = factories.active_patient(referent, start=start, physician=physician,
                                       last_name="Souffle")
    days = [start + timedelta(weeks=w, days=d) for w in range(12) for d in (0, 2, 4)]
    factories.sessions(patient, days, watts=55, hr_mean=104)
    for member in (GP, PHYSIO):
        assert client.post(f"/api/v1/patients/{patient.id}/care-team", json=member,
                           headers=auth.staff(referent)).status_code == 201
    return {"patient": patient, "referent": referent, "physician": physician,
            "coordinator": factories.staff(Role.COORDINATOR)}


def _step(client, auth, user, synthesis_id, action, reason=None):
    return client.post(f"/api/v1/syntheses/{synthesis_id}/steps",
                       json={"action": action, "reason": reason}, headers=auth.staff(user))


def test_referral_enters_the_care_team_and_names_a_bad_member_field(client, factories, auth):
    coordinator = factories.staff(Role.COORDINATOR)
    bad = {**NEW_PATIENT, "care_team": [GP, {**PHYSIO, "secure_messaging": True}]}
    response = client.post("/api/v1/patients", json=bad, headers=auth.staff(coordinator))
    assert response.status_code == 422
    assert "email" in response.json["errors"]["json"]["care_team"]["1"]
    assert db.session.scalar(select(func.count()).select_from(Synthesis)) == 0
    response = client.post("/api/v1/patients", json={**NEW_PATIENT, "care_team": [GP]},
                           headers=auth.staff(coordinator))
    assert response.status_code == 201
    team = client.get(f"/api/v1/patients/{response.json['id']}/care-team",
                      headers=auth.staff(coordinator)).json
    assert [(m["role"], m["secure_messaging"]) for m in team] == [
        ("general_practitioner", True)]


def test_a_member_needs_somewhere_to_send_the_syntheses(client, team, auth):
    url = f"/api/v1/patients/{team['patient'].id}/care-team"
    response = client.post(url, json={"role": "dietitian", "name": "Luc"},
                           headers=auth.staff(team["referent"]))
    assert response.status_code == 422
    assert "postal_address" in response.json["errors"]["json"]
    response = client.post(url, json={"role": "surgeon", "name": "X"},
                           headers=auth.staff(team["referent"]))
    assert response.status_code == 422 and "role" in response.json["errors"]["json"]


def test_care_team_is_edited_and_kept_out_of_reach_of_others(client, team, factories, auth):
    patient, referent = team["patient"], team["referent"]
    members = client.get(f"/api/v1/patients/{patient.id}/care-team",
                         headers=auth.staff(referent)).json
    physio = next(m for m in members if m["role"] == "physiotherapist")
    url = f"/api/v1/patients/{patient.id}/care-team/{physio['id']}"
    changed = {**PHYSIO, "phone": "04 00 00 00 00", "receives_syntheses": False}
    assert client.put(url, json=changed, headers=auth.staff(referent)).json["phone"] == (
        "04 00 00 00 00")
    other = factories.user(Role.REFERENT)
    assert client.put(url, json=changed, headers=auth.staff(other)).status_code == 404
    assert client.get(f"/api/v1/patients/{patient.id}/care-team",
                      headers=auth.staff(other)).status_code == 404
    assert client.put(url, json=changed,
                      headers=auth.staff(team["physician"])).status_code == 403
    assert client.delete(url, headers=auth.staff(referent)).status_code == 204
    assert len(client.get(f"/api/v1/patients/{patient.id}/care-team",
                          headers=auth.staff(referent)).json) == 1


def test_final_synthesis_from_draft_to_sent(client, team, auth, smtp_server, app):  # noqa: F811
    patient, referent = team["patient"], team["referent"]
    coordinator, physician = team["coordinator"], team["physician"]
    response = client.post(f"/api/v1/patients/{patient.id}/syntheses", json={"kind": "final"},
                           headers=auth.staff(referent))
    assert response.status_code == 201, response.json
    sid = response.json["id"]
    assert response.json["state"] == "draft" and response.json["version"] == 1
    sections = {"summary": "Programme suivi avec régularité.",
                "next_steps": "Poursuivre 3 séances par semaine.",
                "patient_message": "Bravo pour ces douze semaines."}
    assert client.put(f"/api/v1/syntheses/{sid}", json=sections,
                      headers=auth.staff(referent)).status_code == 200
    preview = client.get(f"/api/v1/syntheses/{sid}/pdf", headers=auth.staff(referent))
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF-")
    assert "Brouillon" in pdf_text(preview.data)
    # The referent cannot validate their own text; the physician cannot co-sign a draft.
    assert _step(client, auth, referent, sid, "submit").json["state"] == "submitted"
    assert _step(client, auth, referent, sid, "validate").status_code == 403
    assert _step(client, auth, physician, sid, "cosign").status_code == 409
    assert _step(client, auth, coordinator, sid, "validate").json["state"] == "validated"
    # Validated: the text is frozen, and the final one goes out only once co-signed.
    assert client.put(f"/api/v1/syntheses/{sid}", json=sections,
                      headers=auth.staff(referent)).status_code == 409
    refused = _step(client, auth, coordinator, sid, "send")
    assert (refused.status_code, refused.json["code"]) == (409, "cosign_required")
    assert _step(client, auth, physician, sid, "cosign").json["state"] == "cosigned"
    sent = _step(client, auth, coordinator, sid, "send")
    assert sent.status_code == 200 and sent.json["state"] == "sent"

    synthesis = db.session.get(Synthesis, sid)
    document = db.session.get(Document, synthesis.document_id)
    assert (document.kind, document.patient_id) == ("synthesis", patient.id)
    text = pdf_text(document.content)
    for heading in ("Synthèse finale", "Programme et dates", "Questionnaires",
                    "Événements de santé", "Suite de la prise en charge", "Signatures"):
        assert heading in text, heading
    assert "36 séances d'ergocycle sur 12 semaines" in text
    assert "Programme suivi avec régularité." in text and "Brouillon" not in text
    recipients = {r.name: r for r in db.session.scalars(select(SynthesisRecipient))}
    assert recipients["Dr Paul Martin"].channel == "secure_email"
    assert recipients["Claire Kiné"].channel == "post"  # her e-mail is no secure one
    assert recipients["Claire Kiné"].notification_id is None
    contact = db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.key == "synthesis:w12"))
    assert contact.status == ContactStatus.DONE
    actions = set(db.session.scalars(select(AuditEntry.object_type).where(
        AuditEntry.patient_id == patient.id)))
    assert {"synthesis:draft", "synthesis:edit", "synthesis:submit", "synthesis:validate",
            "synthesis:cosign", "synthesis:send", "synthesis:pdf"} <= actions

    # The outbox sends the PDF as a real attachment, to the MSSanté address only (beside
    # it, the physician's request to co-sign, sent at validation).
    report = deliver_pending(channels=smtp_channels(smtp_server))
    assert len(report.sent) == 2
    (message,) = [m for m in smtp_server.messages()
                  if m["To"] != physician.email]
    assert message["To"] == "paul.martin@medecin.mssante.fr"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().endswith(".pdf")
    assert attachment.get_content() == document.content
    listed = client.get(f"/api/v1/syntheses/{sid}/recipients", headers=auth.staff(referent))
    letter = next(r for r in listed.json if r["channel"] == "post")
    url = f"/api/v1/syntheses/{sid}/recipients/{letter['id']}/posted"
    assert client.post(url, headers=auth.staff(referent)).status_code == 403
    assert client.post(url, headers=auth.staff(coordinator)).json["posted_at"] is not None
    in_app = db.session.scalar(select(Notification).where(
        Notification.patient_id == patient.id,
        Notification.channel == NotificationChannel.IN_APP))
    assert "Souffle" not in in_app.body and "synth" not in in_app.body.lower()


def _to_cosign(client, auth, team, kind="final"):
    """A synthesis of ``kind`` written, submitted and validated; its id."""
    patient, referent, coordinator = team["patient"], team["referent"], team["coordinator"]
    sid = client.post(f"/api/v1/patients/{patient.id}/syntheses", json={"kind": kind},
                      headers=auth.staff(referent)).json["id"]
    client.put(f"/api/v1/syntheses/{sid}", json={"summary": "Dyspnée améliorée."},
               headers=auth.staff(referent))
    _step(client, auth, referent, sid, "submit")
    assert _step(client, auth, coordinator, sid, "validate").json["state"] == "validated"
    return sid


def _mails_to(user):
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id).order_by(Notification.id)))


def test_the_physician_is_told_by_email_that_a_synthesis_awaits_their_cosignature(
        client, team, auth, smtp_server, app):  # noqa: F811
    app.config["PUBLIC_URL"] = "https://reprise.example.org"
    physician, patient = team["physician"], team["patient"]
    sid = _to_cosign(client, auth, team)
    (mail,) = _mails_to(physician)
    assert (mail.channel, mail.kind, mail.address) == (
        NotificationChannel.EMAIL, "cosign", physician.email)
    # Ordinary SMTP: no patient, no kind of document, no health detail; what awaits, and where.
    text = f"{mail.subject}\n{mail.body}"
    for secret in ("Souffle", "SOUFFLE", "Jeanne", "finale", "Dyspnée", "séance"):
        assert secret not in text
    assert mail.subject == f"Reprise : le document {sid} attend votre cosignature"
    assert f"Le document {sid} attend votre cosignature dans Reprise." in mail.body
    assert f"https://reprise.example.org/syntheses/{sid}" in mail.body
    # The step's sequel is audited like the step.
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.object_type == "synthesis:cosign_request",
        AuditEntry.object_id == str(sid))).patient_id == patient.id
    # Co-signing asks nothing more of anyone; the outbox delivers it through real SMTP.
    assert _step(client, auth, physician, sid, "cosign").json["state"] == "cosigned"
    assert len(_mails_to(physician)) == 1
    report = deliver_pending(channels=smtp_channels(smtp_server))
    assert len(report.sent) == 1
    (received,) = smtp_server.messages()
    assert received["To"] == physician.email
    assert f"/syntheses/{sid}" in received.get_content()


def test_a_cosignature_request_goes_once_per_version_and_only_for_cosigned_kinds(
        client, team, auth):
    physician, referent = team["physician"], team["referent"]
    _to_cosign(client, auth, team, "initial")
    assert _mails_to(physician) == []  # the coordinator alone validates an initial one
    sid = _to_cosign(client, auth, team, "final")
    # A new version validated again is a new document to co-sign.
    second = _step(client, auth, referent, sid, "revise", "Erreur de date").json["id"]
    _step(client, auth, referent, second, "submit")
    _step(client, auth, team["coordinator"], second, "validate")
    assert [m.dedupe_key for m in _mails_to(physician)] == [f"cosign:{sid}", f"cosign:{second}"]


def test_a_cosignature_request_in_the_physicians_language_and_named_on_a_secure_service(
        client, team, auth, app):
    app.config["SMTP_SECURE_HEALTH_MESSAGING"] = True
    team["physician"].locale = "en"
    db.session.commit()
    sid = _to_cosign(client, auth, team, "month_12")
    (mail,) = _mails_to(team["physician"])
    assert mail.subject == "Reprise: 12-month synthesis of SOUFFLE Jeanne to co-sign"
    assert f"Document {sid} awaits your co-signature in Reprise." in mail.body


def test_no_cosignature_request_when_the_patient_has_no_physician(client, team, auth):
    team["patient"].physician_id = None
    db.session.commit()
    sid = _to_cosign(client, auth, team)
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "cosign")) == 0
    assert db.session.get(Synthesis, sid).state.value == "validated"


def _validated_initial(client, auth, team):
    """An initial synthesis validated (sendable at once); its id."""
    referent, coordinator = team["referent"], team["coordinator"]
    sid = client.post(f"/api/v1/patients/{team['patient'].id}/syntheses",
                      json={"kind": "initial"}, headers=auth.staff(referent)).json["id"]
    client.put(f"/api/v1/syntheses/{sid}", json={"summary": "Bon départ."},
               headers=auth.staff(referent))
    _step(client, auth, referent, sid, "submit")
    _step(client, auth, coordinator, sid, "validate")
    return sid


def test_the_sent_pdf_is_rendered_from_the_frozen_version_before_the_transaction(
        client, team, auth, monkeypatch, factories):
    sid = _validated_initial(client, auth, team)
    frozen = db.session.get(Synthesis, sid)
    snapshot, sections = frozen.snapshot, dict(frozen.sections)
    # The record moves on after validation: the document must not.
    factories.sessions(team["patient"], [factories.clock.today()], watts=80)
    renders = []

    def spy(record, text, version, covers=None):
        renders.append({"record": record, "sections": text, "version": version,
                        "in_transaction": db.session().in_transaction()})
        content = render_pdf(record, text, version, covers)
        renders[-1]["content"] = content
        return content

    monkeypatch.setattr(syntheses, "render_pdf", spy)
    sent = _step(client, auth, team["coordinator"], sid, "send")
    assert sent.status_code == 200 and sent.json["state"] == "sent"
    (render,) = renders
    assert render["in_transaction"] is False
    assert render["record"] == snapshot and render["sections"] == sections
    assert (render["version"]["version"], render["version"]["sent_on"]) == (
        1, factories.clock.today().isoformat())
    db.session.expire_all()
    synthesis = db.session.get(Synthesis, sid)
    assert db.session.get(Document, synthesis.document_id).content == render["content"]
    mail = db.session.scalar(select(Notification).where(Notification.kind == "synthesis",
                                                        Notification.document_id.is_not(None)))
    assert mail.document_id == synthesis.document_id


def _supersede(other, synthesis):
    synthesis.state = SynthesisState.SUPERSEDED


def _rewrite(other, synthesis):
    synthesis.sections = {**synthesis.sections, "summary": "Texte changé entre-temps."}


def _send_elsewhere(other, synthesis):
    synthesis.state = SynthesisState.SENT


@pytest.mark.parametrize("change", [_supersede, _rewrite, _send_elsewhere])
def test_a_change_between_render_and_commit_refuses_the_sending_cleanly(
        client, team, auth, monkeypatch, change):
    sid = _validated_initial(client, auth, team)
    moved_at = team["coordinator"].created_at

    def render_then_change(record, text, version, covers=None):
        # Another request changes the version while this one renders its PDF.
        with Session(db.engine) as other:
            synthesis = other.get(Synthesis, sid)
            change(other, synthesis)
            synthesis.updated_at = moved_at
            other.commit()
        return b"%PDF-1.7 rendered"

    monkeypatch.setattr(syntheses, "render_pdf", render_then_change)
    refused = _step(client, auth, team["coordinator"], sid, "send")
    assert refused.status_code == 409
    assert refused.json["code"] == "synthesis_changed"
    assert "rien n'a été envoyé" in refused.json["message"]
    # Nothing of the sending was stored.
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert db.session.scalar(select(func.count()).select_from(SynthesisRecipient)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "synthesis")) == 0
    assert db.session.get(Synthesis, sid).document_id is None
    contact = db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.key == "synthesis:w0"))
    assert contact.status != ContactStatus.DONE
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "synthesis:send")) == 0


def test_a_change_after_validation_makes_a_new_version(client, team, auth):
    patient, referent, coordinator = team["patient"], team["referent"], team["coordinator"]
    sid = client.post(f"/api/v1/patients/{patient.id}/syntheses", json={"kind": "initial"},
                      headers=auth.staff(referent)).json["id"]
    _step(client, auth, referent, sid, "submit")
    # Returning to the referent needs a reason.
    assert _step(client, auth, coordinator, sid, "return").status_code == 409
    assert _step(client, auth, coordinator, sid, "return", "Précisez les objectifs.").json[
        "state"] == "draft"
    _step(client, auth, referent, sid, "submit")
    _step(client, auth, coordinator, sid, "validate")
    assert _step(client, auth, coordinator, sid, "send").json["state"] == "sent"
    assert _step(client, auth, referent, sid, "revise").status_code == 409  # no reason
    second = _step(client, auth, referent, sid, "revise", "Erreur de date")
    assert (second.json["version"], second.json["state"]) == (2, "draft")
    versions = client.get(f"/api/v1/patients/{patient.id}/syntheses",
                          headers=auth.staff(referent)).json
    assert [(v["version"], v["state"]) for v in versions] == [(2, "draft"), (1, "sent")]
    # A second first draft of the same kind is refused: revise the existing one.
    assert client.post(f"/api/v1/patients/{patient.id}/syntheses", json={"kind": "initial"},
                       headers=auth.staff(referent)).status_code == 409


def test_syntheses_are_out_of_reach_of_other_staff(client, team, factories, auth):
    patient, referent = team["patient"], team["referent"]
    sid = client.post(f"/api/v1/patients/{patient.id}/syntheses", json={"kind": "initial"},
                      headers=auth.staff(referent)).json["id"]
    other, other_physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    for user in (other, other_physician):
        assert client.get(f"/api/v1/syntheses/{sid}",
                          headers=auth.staff(user)).status_code == 404
        assert client.get(f"/api/v1/syntheses/{sid}/pdf",
                          headers=auth.staff(user)).status_code == 404
    assert _step(client, auth, other_physician, sid, "cosign").status_code == 404
    assert client.post(f"/api/v1/patients/{patient.id}/syntheses", json={"kind": "initial"},
                       headers=auth.staff(team["physician"])).status_code == 403


def test_the_tablet_shows_its_own_sent_syntheses(client, team, factories, auth):
    patient, referent, coordinator = team["patient"], team["referent"], team["coordinator"]
    sid = client.post(f"/api/v1/patients/{patient.id}/syntheses", json={"kind": "mid_term"},
                      headers=auth.staff(referent)).json["id"]
    client.put(f"/api/v1/syntheses/{sid}", json={"patient_message": "Continuez ainsi."},
               headers=auth.staff(referent))
    headers = auth.device(patient)
    assert client.get("/api/v1/me/syntheses", headers=headers).json == []
    _step(client, auth, referent, sid, "submit")
    _step(client, auth, coordinator, sid, "validate")
    _step(client, auth, coordinator, sid, "send")
    (item,) = client.get("/api/v1/me/syntheses", headers=headers).json
    assert (item["kind"], item["message"], item["sessions"]) == (
        "mid_term", "Continuez ainsi.", 18)
    stranger = factories.active_patient(factories.user(Role.REFERENT))
    assert client.get("/api/v1/me/syntheses", headers=auth.device(stranger)).json == []
    assert client.get("/api/v1/me/syntheses",
                      headers=auth.staff(referent)).status_code in (401, 403)
