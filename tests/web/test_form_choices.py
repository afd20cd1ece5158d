"""The pages' choice lists are shared/enums.py's, labelled through the catalogues, and the web
form accepts every value the API accepts (one list each)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from server.extensions import db
from server.models import DocumentKind, Patient
from server.web.forms import DocumentForm, FollowUpCallForm, PatientRequestForm, WeeklyCallForm
from shared.enums import (
    HealthEventKind,
    MedicationAdherence,
    Modality,
    ReferralSource,
    Role,
    Sex,
    WarningSign,
)
from tests.conftest import Factories
from tests.web.conftest import WebClient


def _values(field) -> list[str]:
    return [choice.value for choice in field.choices if choice.value != ""]


def test_form_choices_are_the_enums_with_french_labels(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        request_form, follow_up = PatientRequestForm(), FollowUpCallForm()
        assert _values(request_form.referral_source) == list(ReferralSource)
        assert _values(request_form.sex) == list(Sex)
        assert _values(follow_up.event_kind) == list(HealthEventKind)
        assert _values(follow_up.warning_signs) == list(WarningSign)
        assert _values(follow_up.medication_adherence) == list(MedicationAdherence)
        assert _values(WeeklyCallForm().modality) == list(Modality)
        assert _values(DocumentForm().kind) == list(DocumentKind)
        referrers = {c.value: str(c.label) for c in request_form.referral_source.choices}
        assert referrers["occupational_physician"] == "Médecin du travail"
        assert {c.value: str(c.label) for c in request_form.sex.choices}["X"] == "Indéterminé"


def test_a_coordinator_registers_what_the_api_accepts(web: WebClient,
                                                      factories: Factories) -> None:
    web.login(factories.user(Role.COORDINATOR))
    response = web.post("/coordinator/new", {
        "last_name": "Petit", "first_name": "Camille", "birth_date": "1960-04-02", "sex": "X",
        "phone": "0102030405", "locale": "fr", "programme_code": "low_back_pain_home",
        "referral_source": "occupational_physician"}, form_page="/coordinator/new")
    assert response.status_code == 302, response.text
    patient = db.session.scalar(select(Patient))
    assert patient.sex == "X" and patient.enrolments[0].referral_source == "occupational_physician"
