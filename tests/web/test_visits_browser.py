"""A referent records the W12 closing visit in Chromium: CRQ, endurance test, project; the
outcomes panel then shows the change and the verdict (screenshots in artifacts/)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from server.extensions import db
from server.models import EnduranceTest, Enrolment, ScheduledContact
from server.services import visits
from shared.enums import ContactKind, ContactStatus, Role
from tests.api.test_measures import CRQ_W0, CRQ_W12
from tests.conftest import Factories
from tests.web.conftest import browser_login, screenshot


def test_referent_records_the_closing_visit_and_reads_the_outcomes(page: Any,
                                                                  factories: Factories) -> None:
    referent = factories.user(Role.REFERENT, full_name="Claire Lefèvre")
    patient = factories.active_patient(
        referent, start=factories.clock.today() - timedelta(days=7 * 11 + 3))
    enrolment = factories.enrolment(patient)
    contacts = {c.kind: c for c in db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id))}
    # The inclusion visit, twelve weeks ago: baseline CRQ and a 5-minute endurance test.
    visits.record_visit(referent, contacts[ContactKind.INCLUSION_VISIT].id, {
        "objectives": "Marcher jusqu'au marché", "questionnaires": [
            {"instrument": "crq", "answers": CRQ_W0}],
        "endurance_test": {"performed_on": enrolment.start_date, "peak_watts": 60,
                           "load_percent": 80, "duration_s": 300, "stop_reason": "dyspnoea"}})
    closing = contacts[ContactKind.CLOSING_VISIT]

    browser_login(page, referent)
    page.goto(f"/contacts/{closing.id}/record")  # the queue's link sends visits to their form
    page.wait_for_url(f"**/visits/{closing.id}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Visite de fin")
    page.get_by_label("Projet d'activité (séances par semaine)").fill("3")
    page.get_by_label("Attestation de fin de programme remise").check()
    page.get_by_label("Ergocycle récupéré").check()
    for code, value in CRQ_W12.items():
        page.locator(f'input[name="crq__{code}"][value="{value}"]').check()
    page.locator('input[name="satisfaction__satisfaction"][value="9"]').check()
    page.get_by_label("Puissance maximale (W)").fill("60")
    page.get_by_label("Temps d'endurance : minutes").fill("7")
    page.get_by_label("secondes").fill("0")
    page.get_by_label("Fréquence cardiaque au début (bpm)").fill("82")
    page.get_by_label("Fréquence cardiaque à la fin (bpm)").fill("128")
    page.get_by_label("Dyspnée de Borg au début (0-10)").fill("1")
    page.get_by_label("Dyspnée de Borg à la fin (0-10)").fill("7")
    page.get_by_label("Motif d'arrêt").select_option("leg_fatigue")
    screenshot(page, "visit_w12_form")
    page.get_by_role("button", name="Enregistrer la visite").click()
    # One transaction then the patient file: on a loaded shared machine it took over 10 s.
    page.wait_for_url(f"**/patients/{patient.id}*", timeout=30_000)
    assert page.locator(".flash").first.inner_text() == "Visite enregistrée."

    panel = page.locator("section.outcomes")
    dyspnoea = panel.locator('#outcomes-crq tr[data-domain="dyspnoea"]')
    assert dyspnoea.locator("td").nth(2).inner_text() == "+1.00"
    assert dyspnoea.locator(".verdict").inner_text() == "Amélioré"
    assert panel.locator('#outcomes-crq tr[data-domain="mastery"] .verdict').inner_text() == (
        "Dégradé")
    endurance = panel.locator("#outcomes-endurance")
    assert "+120 s" in endurance.inner_text() and "Amélioré" in endurance.inner_text()
    panel.scroll_into_view_if_needed()
    screenshot(page, "outcomes_panel")

    db.session.expire_all()
    assert db.session.get(ScheduledContact, closing.id).status == ContactStatus.DONE
    assert db.session.get(Enrolment, enrolment.id).activity_project_sessions == 3
    test = db.session.scalar(select(EnduranceTest).where(EnduranceTest.timepoint == "W12"))
    assert (test.duration_s, test.load_watts, test.stop_reason) == (420, 48, "leg_fatigue")
