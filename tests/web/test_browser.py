"""The staff pages driven in headless Chromium, as people use them.

Each test logs in through the form and works one journey end to end against
the app served on 127.0.0.1; the database is then checked for what the
journey must have stored. A screenshot of each main page is saved under
artifacts/screenshots/web/.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from PIL import Image
from sqlalchemy import select

from mobile.qr import read_pairing
from server.extensions import db
from server.models import Enrolment, Patient, Prescription, ScheduledContact, User
from server.models.flags import Flag
from server.services.sweep import sweep_patients
from shared.enums import ContactKind, ContactStatus, EnrolmentState, FlagStatus, Modality, Role
from shared.rules import FlagKind
from tests.conftest import Factories
from tests.web.conftest import add_sessions, browser_login, follow_up_patient, screenshot


def _logout(page: Any) -> None:
    page.get_by_role("button", name="Déconnexion").click()
    page.wait_for_url("**/login")


def _flash(page: Any) -> str:
    return page.locator(".flash").first.inner_text()


def test_referent_works_the_queue_and_records_a_weekly_call(page: Any,
                                                            factories: Factories) -> None:
    referent = factories.user(Role.REFERENT, full_name="Claire Lefèvre")
    patient = factories.active_patient(referent, start=factories.clock.today() - timedelta(days=18))
    add_sessions(patient, 1)
    sweep_patients([patient.id])

    page.goto("/login")
    screenshot(page, "login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    browser_login(page, referent)
    assert page.get_by_role("heading", level=1).inner_text().startswith("File de travail")
    assert page.locator("#queue-flags").get_by_text("Semaine 2 :").count() >= 1
    screenshot(page, "queue")

    page.locator("#queue-contacts").get_by_role("link", name=re.compile("Enregistrer")).click()
    page.get_by_label("Séances réalisées cette semaine").fill("3")
    page.get_by_label("Difficultés").fill("Genoux douloureux en fin de séance")
    page.get_by_label("Bénéfices ressentis").fill("Moins essoufflé dans l'escalier")
    page.get_by_label("Durée d'une séance (min)").fill("30")
    page.get_by_label("Intensité (W)").fill("45")
    page.get_by_label("fractionné").check()
    page.get_by_label("Effort par bloc (s)").fill("60")
    page.get_by_label("Récupération par bloc (s)").fill("30")
    screenshot(page, "weekly_call")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    assert _flash(page) == "Appel enregistré."
    assert "Aucun contact à faire aujourd'hui." in page.content()

    contact = db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.key == "call:w3",
        ScheduledContact.enrolment_id == patient.enrolments[-1].id))
    assert contact.status == ContactStatus.DONE and contact.outcome["sessions_done"] == 3
    rx = db.session.scalar(select(Prescription).where(Prescription.from_week == 4))
    assert (rx.session_minutes, rx.watts, rx.modality, rx.work_s, rx.rest_s) == (
        30, 45, Modality.INTERVAL, 60, 30)

    page.locator("#queue-flags").get_by_role("link", name="MARTIN Jeanne", exact=True).first.click()
    assert page.locator("svg.chart").count() == 5
    assert page.get_by_text("Semaine 3 sur 12").is_visible()
    assert page.locator(".timeline .week").count() == 52
    screenshot(page, "patient_file")


def test_follow_up_call_with_a_rupture_goes_to_committee_and_the_decision_plans_a_visit(
        page: Any, browser: Any, live_server: str, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    physician = factories.user(Role.PHYSICIAN, full_name="Dr Mercier")
    patient = follow_up_patient(factories, referent, physician)
    enrolment = patient.enrolments[-1]
    call = db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id, ScheduledContact.key == "call:m3"))

    browser_login(page, referent)
    page.get_by_label("Phase du programme").select_option("follow_up")
    page.get_by_role("button", name="Filtrer").click()
    page.locator(f'#queue-contacts a[href="/contacts/{call.id}/record"]').click()

    # First try: no answer. The call stays in the queue with its attempt count.
    page.get_by_label("Injoignable (pas de réponse)").check()
    assert page.locator("#call-details").is_hidden()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    assert _flash(page) == "Tentative 1 enregistrée : l'appel reste dans la file."
    db.session.refresh(call)
    assert (call.status, call.attempts) == (ContactStatus.PLANNED, 1)

    page.goto(f"/contacts/{call.id}/record")
    assert "1 tentative(s) sans réponse sur 3" in page.content()
    page.get_by_label("Observance du traitement").select_option("good")
    page.get_by_label("Séances d'activité par semaine actuellement").fill("1")
    page.get_by_label("Séances par semaine du projet d'activité").fill("3")
    page.get_by_label("Encouragements donnés").fill("Reprendre la marche trois fois par semaine")
    screenshot(page, "follow_up_call")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    assert _flash(page) == "Appel enregistré."

    flag = db.session.scalar(select(Flag).where(Flag.patient_id == patient.id,
                                                Flag.kind == FlagKind.FOLLOW_UP_RUPTURE))
    assert flag.status == FlagStatus.COMMITTEE
    page.goto(f"/patients/{patient.id}")
    assert page.locator(f"#flag-{flag.id}").get_by_text("en comité").count() == 1
    _logout(page)

    browser_login(page, physician)
    page.locator("#physician-items").get_by_role("link", name=re.compile("Décider")).click()
    page.get_by_label("Visite de renforcement", exact=True).check()
    page.get_by_label("Note (obligatoire sauf pour poursuivre)").fill(
        "Micro-projet de 4 semaines : marche et vélo")
    screenshot(page, "physician_item")
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert _flash(page).startswith("Décision enregistrée")
    db.session.refresh(flag)
    assert flag.status == FlagStatus.RESOLVED
    planned = db.session.scalars(select(ScheduledContact.kind).where(
        ScheduledContact.enrolment_id == enrolment.id,
        ScheduledContact.kind.in_((ContactKind.REINFORCEMENT_VISIT,
                                   ContactKind.MICRO_PROJECT_CALL)))).all()
    assert sorted(planned).count(ContactKind.MICRO_PROJECT_CALL) == 4
    assert ContactKind.REINFORCEMENT_VISIT in planned


def test_referent_acknowledges_and_escalates_then_the_physician_decides(
        page: Any, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    physician = factories.user(Role.PHYSICIAN, full_name="Dr Mercier")
    patient = factories.active_patient(referent, start=factories.clock.today() - timedelta(days=18),
                                       physician=physician)
    add_sessions(patient, 1)
    sweep_patients([patient.id])
    flag = db.session.scalar(select(Flag).where(Flag.patient_id == patient.id,
                                                Flag.kind == FlagKind.ADHERENCE))

    browser_login(page, referent)
    page.locator(f'#queue-flags a[href="/flags/{flag.id}"]').click()
    page.locator("#acknowledge-note").fill("Appelé : vélo en panne, réparation prévue")
    page.get_by_role("button", name="Prendre en charge").click()
    assert _flash(page) == "Alerte prise en charge."
    # Resolving needs a note: refused next to the field, nothing changes.
    page.get_by_role("button", name="Clore").click()
    assert page.locator("#resolve-note-error").is_visible()
    db.session.refresh(flag)
    assert flag.status == FlagStatus.ACKNOWLEDGED
    page.locator("#escalate-note").fill("Deuxième semaine sans séance : avis médical")
    page.get_by_role("button", name="Transmettre au médecin").click()
    assert _flash(page) == "Alerte transmise au médecin."
    screenshot(page, "flag")
    db.session.refresh(flag)
    assert (flag.status, flag.escalated_to_id) == (FlagStatus.ESCALATED, physician.id)
    _logout(page)

    browser_login(page, physician)
    assert page.get_by_role("heading", level=1).inner_text() == "À décider"
    screenshot(page, "physician_queue")
    page.locator("#physician-items").get_by_role("link", name=re.compile("Décider")).click()
    assert page.locator("svg.chart").count() == 2
    page.get_by_role("radio", name="Suspendre").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert page.locator("#note-error").is_visible()
    page.get_by_role("radio", name="Poursuivre").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert _flash(page) == "Décision enregistrée : Poursuivre."
    db.session.refresh(flag)
    assert flag.status == FlagStatus.RESOLVED and flag.decision.value == "continue"
    assert [e.action for e in flag.events] == ["opened", "acknowledge", "escalate", "decide"]


def test_coordinator_creates_an_enrolment_through_the_pipeline(
        page: Any, browser: Any, live_server: str, factories: Factories) -> None:
    coordinator = factories.user(Role.COORDINATOR)
    factories.user(Role.REFERENT, full_name="Claire Lefèvre")
    physician = factories.user(Role.PHYSICIAN, full_name="Dr Mercier")

    browser_login(page, coordinator)
    screenshot(page, "pipeline")
    page.get_by_role("link", name="Nouvelle demande").click()
    page.get_by_label("Prénom").fill("Lucie")
    page.get_by_role("button", name="Enregistrer la demande").click()
    assert page.locator("#last_name-error").inner_text() == "Ce champ est obligatoire."
    screenshot(page, "new_request_errors")
    assert db.session.scalar(select(Patient.id)) is None

    page.get_by_label("Nom", exact=True).fill("Bernard")
    page.get_by_label("Date de naissance").fill("1952-04-11")
    page.get_by_label("Femme").check()
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label("Adressé par").select_option("general_practitioner")
    page.get_by_label("Référent").select_option(label="Claire Lefèvre")
    page.get_by_label("Médecin").select_option(label="Dr Mercier")
    page.get_by_label("FC plafond à l'effort (bpm)").fill("125")
    page.get_by_role("button", name="Enregistrer la demande").click()
    assert _flash(page) == "Demande enregistrée pour BERNARD Lucie."
    enrolment_url = page.url

    for piece in ("Prescription et fiche navette", "Spirométrie (EFR)", "Gazométrie",
                  "Épreuve d'effort"):
        page.get_by_label(piece).check()
    page.get_by_role("button", name="Enregistrer et déclarer le dossier complet").click()
    assert _flash(page) == "Dossier complet : en attente de la validation médicale."

    other = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800},
                                locale="fr-FR")
    doctor = other.new_page()
    browser_login(doctor, physician)
    doctor.get_by_role("button", name=re.compile("Valider")).click()
    assert doctor.locator(".flash").inner_text() == "Inclusion validée."
    other.close()

    page.goto(enrolment_url)
    start = factories.clock.today() + timedelta(days=7)
    page.get_by_label("Date de démarrage (visite d'inclusion S0)").fill(start.isoformat())
    page.get_by_role("button", name="Démarrer le programme").click()
    assert page.locator("#consent-error").is_visible()
    page.get_by_label("Le patient a signé l'acte d'adhésion").check()
    page.get_by_role("button", name="Démarrer le programme").click()
    assert _flash(page) == "Programme démarré : le calendrier est établi."
    page.get_by_label("Ergocycle livré le").fill(factories.clock.today().isoformat())
    page.get_by_role("button", name="Enregistrer la livraison").click()
    page.get_by_role("button", name="Nouveau code d'appairage").click()
    code = page.locator("#pairing-code").inner_text()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", code)
    # The QR code drawn next to it, as the browser shows it, reads back to the same code.
    shot = Image.open(io.BytesIO(page.locator("#pairing-qr svg").screenshot()))
    assert read_pairing(shot.convert("L")) == (code, live_server.rstrip("/") + "/")
    screenshot(page, "enrolment")

    enrolment = db.session.scalar(select(Enrolment))
    db.session.refresh(enrolment)
    assert enrolment.state == EnrolmentState.ACTIVE and enrolment.start_date == start
    assert enrolment.consent_at is not None
    assert enrolment.dossier["equipment_delivered_on"] == factories.clock.today().isoformat()
    assert db.session.scalar(select(ScheduledContact.id).where(
        ScheduledContact.enrolment_id == enrolment.id).limit(1)) is not None


def test_admin_creates_a_staff_account(page: Any, factories: Factories) -> None:
    admin = factories.user(Role.ADMIN)
    browser_login(page, admin)
    form = page.locator("form", has=page.get_by_role("button", name="Créer le compte"))
    form.get_by_label("Nom complet").fill("Julien Moreau")
    form.get_by_label("E-mail").fill("julien.moreau@example.org")
    form.get_by_label("Rôle").select_option("referent")
    form.get_by_label("Mot de passe initial").fill("court")
    form.get_by_role("button", name="Créer le compte").click()
    assert page.locator("#password-error").is_visible()
    form = page.locator("form", has=page.get_by_role("button", name="Créer le compte"))
    form.get_by_label("Mot de passe initial").fill("un mot de passe assez long")
    form.get_by_role("button", name="Créer le compte").click()
    assert _flash(page) == "Compte créé pour Julien Moreau."
    screenshot(page, "admin")
    created = db.session.scalar(select(User).where(User.email == "julien.moreau@example.org"))
    assert created.role == Role.REFERENT and created.active


def test_referent_pairs_the_tablet_from_the_patient_file_by_qr_code(
        page: Any, factories: Factories, live_server: str) -> None:
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    browser_login(page, referent)
    page.goto(f"/patients/{patient.id}")
    page.get_by_role("button", name="Nouveau code d'appairage").click()
    code = page.locator("#pairing-code").inner_text()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", code)
    # At the inclusion visit the tablet scans it: the same code and this server's address.
    shot = Image.open(io.BytesIO(page.locator("#pairing-qr svg").screenshot()))
    assert read_pairing(shot.convert("L")) == (code, live_server.rstrip("/") + "/")
    screenshot(page, "patient_file_pairing")


def test_a_low_back_pain_journey_in_the_browser_meets_no_respiratory_field(
        page: Any, browser: Any, live_server: str, factories: Factories) -> None:
    """Referral with its own dossier and work status, then a follow-up call kept at 2 a week."""
    coordinator = factories.user(Role.COORDINATOR)
    factories.user(Role.REFERENT, full_name="Claire Lefèvre")
    browser_login(page, coordinator)
    page.get_by_role("link", name="Nouvelle demande").click()
    page.get_by_label("Nom", exact=True).fill("Garnier")
    page.get_by_label("Prénom").fill("Paul")
    page.get_by_label("Date de naissance").fill("1974-09-02")
    page.get_by_label("Homme").check()
    page.get_by_label("Téléphone").fill("06 22 33 44 55")
    page.get_by_label("Programme").select_option("low_back_pain_home")
    page.get_by_label("Adressé par").select_option("rheumatologist")
    page.get_by_label("Référent").select_option(label="Claire Lefèvre")
    page.get_by_label("Travail à l'inclusion").select_option("sick_leave")
    page.get_by_role("button", name="Enregistrer la demande").click()
    assert _flash(page) == "Demande enregistrée pour GARNIER Paul."
    # Its own dossier: no spirometry, no blood gas (seed 000).
    assert page.get_by_label("Spirométrie (EFR)").count() == 0
    assert page.get_by_label("Gazométrie").count() == 0
    for piece in ("Prescription et fiche navette", "Échelles d'orientation",
                  "Compte rendu du séjour", "Signes d'alerte recherchés"):
        page.get_by_label(piece).check()
    page.get_by_role("button", name="Enregistrer et déclarer le dossier complet").click()
    assert _flash(page) == "Dossier complet : en attente de la validation médicale."
    screenshot(page, "low_back_pain_dossier")
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment.work_status.value == "sick_leave"

    # Months later, the +1 month call: two sessions a week is this programme's minimum.
    referent = factories.user(Role.REFERENT)
    physician = factories.staff(Role.PHYSICIAN)
    patient, call = factories.follow_up_call(referent, physician, month=1,
                                             programme="low_back_pain_home")
    _logout(page)
    browser_login(page, referent)
    page.goto(f"/contacts/{call.id}/record")
    assert page.get_by_text("Moins de 2 séances par semaine").count() == 1
    page.get_by_label("Séances d'activité par semaine actuellement").fill("2")
    page.get_by_label("Séances par semaine du projet d'activité").fill("2")
    page.get_by_label("Travail", exact=True).select_option("therapeutic_part_time")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    assert _flash(page) == "Appel enregistré."
    assert db.session.scalar(select(Flag.id).where(Flag.patient_id == patient.id)) is None
    page.goto(f"/patients/{patient.id}")
    assert "Mi-temps thérapeutique" in page.locator("#work").inner_text()
    assert "therapeutic_part_time" not in page.content()  # the call note words it too
    # No ergocycle endurance test in this programme: no endurance row in its outcomes.
    assert page.locator("#outcomes-h").count() == 1
    assert page.locator("#outcomes-endurance").count() == 0
    screenshot(page, "low_back_pain_file")
