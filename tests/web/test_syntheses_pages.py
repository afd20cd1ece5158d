"""The care team and synthesis pages: entry at referral, errors next to their field, access."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import CareTeamMember, Patient, Synthesis
from server.services import syntheses
from shared.enums import CareTeamRole, Role, SynthesisState
from tests.conftest import Factories
from tests.web.conftest import WebClient

REQUEST = {"last_name": "Petit", "first_name": "Camille", "birth_date": "1960-04-02",
           "sex": "F", "phone": "0102030405", "locale": "fr",
           "programme_code": "respiratory_home", "referral_source": "pneumologist"}
GP = {"gp-role": "general_practitioner", "gp-name": "Dr Paul Martin",
      "gp-email": "paul.martin@medecin.mssante.fr", "gp-secure_messaging": "y",
      "gp-receives_syntheses": "y", "gp-postal_address": "3 place de la Mairie, Lyon"}


def test_the_referral_form_enters_the_care_team(web: WebClient, factories: Factories) -> None:
    web.login(factories.user(Role.COORDINATOR))
    bad = {**REQUEST, **GP, "gp-email": "paul.martin@gmail.com"}
    response = web.post("/coordinator/new", bad, form_page="/coordinator/new")
    assert response.status_code == 422
    assert 'id="gp-email-error"' in response.text and "mssante.fr" in response.text
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 0
    response = web.post("/coordinator/new", {**REQUEST, **GP}, form_page="/coordinator/new")
    assert response.status_code == 302, response.text
    (member,) = db.session.scalars(select(CareTeamMember))
    assert (member.role, member.name, member.secure_messaging) == (
        CareTeamRole.GENERAL_PRACTITIONER, "Dr Paul Martin", True)


def test_the_care_team_is_edited_on_its_page(web: WebClient, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    web.login(referent)
    page = f"/patients/{patient.id}/syntheses"
    response = web.post(f"/patients/{patient.id}/care-team", {
        "member-role": "dietitian", "member-name": "Luc Diet", "member-receives_syntheses": "y"},
        form_page=page)
    assert response.status_code == 422
    assert 'id="member-postal_address-error"' in response.text
    response = web.post(f"/patients/{patient.id}/care-team", {
        "member-role": "dietitian", "member-name": "Luc Diet",
        "member-postal_address": "1 rue Haute, Lyon", "member-receives_syntheses": "y"},
        form_page=page)
    assert response.status_code == 302
    member = db.session.scalar(select(CareTeamMember))
    edit = f"/patients/{patient.id}/care-team/{member.id}"
    assert "Luc Diet" in web.get(edit).text
    response = web.post(edit, {"member-role": "dietitian", "member-name": "Luc Diététicien",
                               "member-postal_address": "1 rue Haute, Lyon"}, form_page=edit)
    assert response.status_code == 302
    db.session.expire_all()
    assert (member.name, member.receives_syntheses) == ("Luc Diététicien", False)
    assert "Luc Diététicien" in web.get(page).text


@pytest.mark.parametrize("path", ["/patients/{pid}/syntheses", "/syntheses/{sid}",
                                  "/syntheses/{sid}/pdf", "/patients/{pid}/care-team/{mid}"])
def test_pages_of_another_referents_patient_are_not_found(
        web: WebClient, factories: Factories, path: str) -> None:
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent, start=factories.clock.today()
                                       - timedelta(days=10))
    draft = syntheses.start_draft(referent, patient.id, "initial")
    member = CareTeamMember(patient_id=patient.id, role=CareTeamRole.NURSE, name="Inès",
                            postal_address="Lyon", created_at=factories.clock.now())
    db.session.add(member)
    db.session.commit()
    web.login(factories.user(Role.REFERENT))
    url = path.format(pid=patient.id, sid=draft.id, mid=member.id)
    assert web.get(url).status_code == 404


def test_a_physician_reads_but_does_not_draft(web: WebClient, factories: Factories) -> None:
    physician = factories.user(Role.PHYSICIAN)
    patient = factories.active_patient(factories.user(Role.REFERENT), physician=physician)
    web.login(physician)
    page = f"/patients/{patient.id}/syntheses"
    assert web.get(page).status_code == 200
    response = web.post(page, {"kind": "initial"}, form_page=page)
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Synthesis)) == 0


def test_the_synthesis_page_writes_its_days_as_the_reader_does(
        web: WebClient, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent, start=factories.clock.today()
                                       - timedelta(days=10))
    draft = syntheses.start_draft(referent, patient.id, "initial")
    web.login(referent)
    page = web.get(f"/syntheses/{draft.id}").text
    # "Données jusqu'au 1 mars 2026", not the ISO day of the record's JSON.
    assert re.search(r"Données jusqu(&#39;|')au \d{1,2} [a-zéû]+\.? 20\d\d</li>", page)


def test_a_sending_refused_because_the_version_moved_shows_why(
        web: WebClient, factories: Factories, monkeypatch: pytest.MonkeyPatch) -> None:
    referent, coordinator = factories.user(Role.REFERENT), factories.user(Role.COORDINATOR)
    patient = factories.active_patient(referent, start=factories.clock.today()
                                       - timedelta(days=10))
    draft = syntheses.start_draft(referent, patient.id, "initial")
    syntheses.step(referent, draft.id, "submit")
    syntheses.step(coordinator, draft.id, "validate")
    sid = draft.id

    def render_while_another_revises(*args: object, **kwargs: object) -> bytes:
        with Session(db.engine) as other:
            other.get(Synthesis, sid).state = SynthesisState.SUPERSEDED
            other.commit()
        return b"%PDF-1.7"

    monkeypatch.setattr(syntheses, "render_pdf", render_while_another_revises)
    web.login(coordinator)
    page = f"/syntheses/{sid}"
    response = web.post(f"{page}/steps", {"action": "send"}, form_page=page)
    assert response.status_code == 409
    assert "rien n&#39;a été envoyé" in response.text
