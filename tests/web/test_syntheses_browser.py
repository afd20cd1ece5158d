"""A final synthesis walked from draft to sent through the staff pages, in Chromium.

The referent enters the care team and drafts, the coordinator validates, the
physician co-signs, the coordinator sends and marks the letter posted. The
PDF downloaded from the page is read back with pdftotext (French headings,
the patient's figures) and its first page is turned into a PNG with pdftoppm,
saved with the screenshots.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.extensions import db
from server.models import Notification, ScheduledContact, Synthesis, SynthesisRecipient
from shared.enums import ContactStatus, Role, SynthesisState
from tests.conftest import Factories
from tests.web.conftest import SCREENSHOTS, add_sessions, browser_login, screenshot


def _logout(page: Any) -> None:
    page.get_by_role("button", name="Déconnexion").click()
    page.wait_for_url("**/login")


def _member(page: Any, role: str, name: str, email: str, address: str,
            secure: bool) -> None:
    form = page.locator("#care-team-h").locator("xpath=..")
    form.get_by_label("Profession", exact=True).select_option(role)
    form.get_by_label("Professionnel", exact=True).fill(name)
    form.get_by_label("Adresse e-mail").fill(email)
    if secure:
        form.get_by_label("Adresse de messagerie sécurisée de santé (MSSanté)").check()
    form.get_by_label("Adresse postale").fill(address)
    form.get_by_role("button", name="Ajouter à l'équipe de soins").click()
    assert page.locator(".flash").first.inner_text() == "Professionnel ajouté à l'équipe de soins."


def test_final_synthesis_from_draft_to_sent_in_the_browser(
        page: Any, factories: Factories, tmp_path: Path) -> None:
    referent = factories.user(Role.REFERENT, full_name="Claire Lefèvre")
    physician = factories.user(Role.PHYSICIAN, full_name="Dr Mercier")
    coordinator = factories.user(Role.COORDINATOR, full_name="Sophie Coord")
    start = factories.clock.today() - timedelta(weeks=12, days=3)
    patient = factories.active_patient(referent, start=start, physician=physician,
                                       last_name="Bernard", first_name="Lucie")
    add_sessions(patient, 12, per_week=4, watts=40)

    browser_login(page, referent)
    page.goto(f"/patients/{patient.id}")
    page.get_by_role("link", name="Ouvrir l'équipe de soins et les synthèses").click()
    _member(page, "general_practitioner", "Dr Paul Martin", "p.martin@medecin.mssante.fr",
            "3 place de la Mairie\n69001 Lyon", secure=True)
    _member(page, "physiotherapist", "Claire Kiné", "claire@example.org",
            "12 rue des Lilas\n69003 Lyon", secure=False)
    screenshot(page, "synthesis_care_team")
    page.get_by_label("Synthèse", exact=True).select_option("final")
    page.get_by_role("button", name="Commencer la rédaction").click()
    assert page.locator("#synthesis-state").inner_text() == "Brouillon"
    page.get_by_label("Synthèse de la période").fill(
        "Programme suivi avec régularité, 4 séances par semaine.")
    page.get_by_label("Suites et recommandations").fill("Poursuivre 3 séances par semaine.")
    page.get_by_label("Message pour le patient").fill("Bravo pour ces douze semaines.")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    assert page.locator(".flash").first.inner_text() == "Brouillon enregistré."
    screenshot(page, "synthesis_draft")
    page.get_by_role("button", name="Soumettre à validation").click()
    assert page.locator("#synthesis-state").inner_text() == "Soumise à validation"
    synthesis_url = page.url
    _logout(page)

    browser_login(page, coordinator)
    page.get_by_role("link", name="Synthèses", exact=True).click()
    page.get_by_role("link", name="Synthèse finale v1").click()
    page.get_by_role("button", name="Valider").click()
    assert page.locator("#synthesis-state").inner_text() == "Validée par le coordinateur"
    # The final synthesis is not sent before the physician co-signs: no button for it.
    assert page.get_by_role("button", name="Envoyer").count() == 0
    _logout(page)

    browser_login(page, physician)
    assert page.get_by_role("heading", name="Synthèses à cosigner (1)").is_visible()
    page.get_by_role("link", name="Synthèse finale v1").click()
    page.get_by_role("button", name="Cosigner").click()
    assert page.locator("#synthesis-state").inner_text() == "Cosignée par le médecin"
    _logout(page)

    browser_login(page, coordinator)
    page.goto(synthesis_url)
    page.get_by_role("button", name="Envoyer").click()
    assert page.locator("#synthesis-state").inner_text() == "Envoyée"
    recipients = page.locator("#recipients-h").locator("xpath=..")
    assert "Messagerie sécurisée avec le PDF" in recipients.inner_text()
    assert "À envoyer par courrier" in recipients.inner_text()
    recipients.get_by_role("button", name="Marquer comme posté").click()
    screenshot(page, "synthesis_sent")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le PDF").click()
    pdf = tmp_path / "synthese.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          check=True).stdout.decode()
    for heading in ("Synthèse finale", "Programme et dates",
                    "Entraînement : séances par semaine au regard de l'objectif",
                    "Questionnaires et test d'endurance", "Événements de santé",
                    "Alertes et décisions", "Suite de la prise en charge", "Signatures"):
        assert heading in text, heading
    assert "BERNARD Lucie" in text
    assert "48 séances d'ergocycle sur 12 semaines, 4 par semaine en moyenne" in text
    assert "Programme suivi avec régularité" in text
    assert "Cosignée par le médecin" in text and "Dr Mercier" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(SCREENSHOTS / "synthesis_pdf_page1")], check=True)
    assert (SCREENSHOTS / "synthesis_pdf_page1.png").stat().st_size > 10_000

    synthesis = db.session.scalar(select(Synthesis))
    assert synthesis.state == SynthesisState.SENT and synthesis.cosigned_at is not None
    posted = db.session.scalar(select(SynthesisRecipient).where(
        SynthesisRecipient.channel == "post"))
    assert posted.name == "Claire Kiné" and posted.posted_at is not None
    email = db.session.scalar(select(Notification).where(Notification.document_id.is_not(None)))
    assert email.address == "p.martin@medecin.mssante.fr"
    contact = db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.key == "synthesis:w12"))
    assert contact.status == ContactStatus.DONE
