"""Visit pages: the W12 form records CRQ, endurance test and project; the panel shows outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Enrolment, QuestionnaireResponse, ScheduledContact, VisitReport
from server.models.flags import Flag
from server.services import flags, visits
from server.services.sweep import sweep_patients
from shared.enums import Channel, ContactKind, ContactStatus, Role
from shared.rules import FlagKind
from tests.api.test_measures import CRQ_W0, CRQ_W12
from tests.conftest import Factories
from tests.web.conftest import WebClient, follow_up_patient


@pytest.fixture
def closing(factories: Factories) -> dict:
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(
        referent, start=factories.clock.today() - timedelta(days=7 * 11 + 3))
    enrolment = factories.enrolment(patient)
    contacts = {c.kind: c for c in db.session.scalars(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id,
        ScheduledContact.kind.in_((ContactKind.INCLUSION_VISIT, ContactKind.CLOSING_VISIT,
                                   ContactKind.HOME_VISIT))))}
    return {"referent": referent, "patient": patient, "enrolment": enrolment,
            "contacts": contacts}


def _crq_fields(answers: dict[str, int]) -> dict[str, str]:
    return {f"crq__{code}": str(value) for code, value in answers.items()}


def _endurance(day: str, minutes: int, seconds: int) -> dict[str, str]:
    return {"performed_on": day, "peak_watts": "60", "load_percent": "80",
            "duration_min": str(minutes), "duration_sec": str(seconds), "hr_start": "80",
            "hr_end": "125", "borg_start": "1", "borg_end": "7", "stop_reason": "dyspnoea"}


def test_the_queue_link_of_a_visit_opens_the_visit_form(web: WebClient, closing: dict) -> None:
    web.login(closing["referent"])
    contact = closing["contacts"][ContactKind.CLOSING_VISIT]
    response = web.get(f"/contacts/{contact.id}/record")
    assert response.status_code == 302 and response.location.endswith(f"/visits/{contact.id}")
    page = web.get(f"/visits/{contact.id}").text
    assert "Projet d'activité" in page and "crq__DY1" in page and "Dyspnée" in page
    assert "Test d'endurance" in page


def test_w0_then_w12_visits_fill_the_outcomes_panel(web: WebClient, closing: dict) -> None:
    web.login(closing["referent"])
    start = closing["enrolment"].start_date
    w0 = f"/visits/{closing['contacts'][ContactKind.INCLUSION_VISIT].id}"
    # Hospital days: the 12 months before inclusion at W0, since inclusion at W12.
    saved = web.post(w0, {"objectives": "Marcher 30 minutes", "hospital_days": "9",
                          **_crq_fields(CRQ_W0),
                          **_endurance(start.isoformat(), 5, 0)}, form_page=w0)
    assert saved.status_code == 302, saved.text
    w12 = f"/visits/{closing['contacts'][ContactKind.CLOSING_VISIT].id}"
    saved = web.post(w12, {"activity_project_sessions": "3", "certificate_given": "y",
                           "hospital_days": "0",
                           "ergocycle_collected": "y", **_crq_fields(CRQ_W12),
                           **_endurance(web_today(closing), 7, 0)}, form_page=w12)
    assert saved.status_code == 302, saved.text
    panel = web.get(f"/patients/{closing['patient'].id}").text
    assert 'id="outcomes-h"' in panel and "+1.00" in panel and "Amélioré" in panel
    assert "+120 s" in panel and "Laviolette" in panel
    db.session.expire_all()
    assert db.session.get(Enrolment, closing["enrolment"].id).activity_project_sessions == 3
    assert [db.session.get(ScheduledContact, closing["contacts"][kind].id).hospital_days
            for kind in (ContactKind.INCLUSION_VISIT, ContactKind.CLOSING_VISIT)] == [9, 0]


def web_today(closing: dict) -> str:
    return (closing["enrolment"].start_date + timedelta(days=7 * 11 + 3)).isoformat()


def test_a_bad_item_is_shown_next_to_it_and_nothing_is_stored(web: WebClient,
                                                              closing: dict) -> None:
    web.login(closing["referent"])
    w12 = f"/visits/{closing['contacts'][ContactKind.CLOSING_VISIT].id}"
    answers = {k: v for k, v in CRQ_W12.items() if k not in ("DY1", "DY2")}
    response = web.post(w12, {"activity_project_sessions": "3", **_crq_fields(answers)},
                        form_page=w12)
    assert response.status_code == 422
    assert response.text.count("Cet item doit être renseigné.") == 2
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireResponse)) == 0
    assert db.session.scalar(select(func.count()).select_from(VisitReport)) == 0


def test_w12_needs_the_activity_project(web: WebClient, closing: dict) -> None:
    web.login(closing["referent"])
    w12 = f"/visits/{closing['contacts'][ContactKind.CLOSING_VISIT].id}"
    response = web.post(w12, {"certificate_given": "y"}, form_page=w12)
    assert response.status_code == 422 and "Requis lors de cette visite." in response.text


def test_another_referent_cannot_open_the_visit(web: WebClient, closing: dict,
                                                factories: Factories) -> None:
    web.login(factories.user(Role.REFERENT))
    contact = closing["contacts"][ContactKind.CLOSING_VISIT]
    assert web.get(f"/visits/{contact.id}").status_code == 404


def test_a_follow_up_call_by_video_starts_from_the_w12_project(web: WebClient,
                                                               factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    patient = follow_up_patient(factories, referent, factories.staff(Role.PHYSICIAN))
    enrolment = factories.enrolment(patient)
    enrolment.activity_project_sessions = 4
    db.session.commit()
    call = db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id, ScheduledContact.key == "call:m3"))
    web.login(referent)
    path = f"/contacts/{call.id}/record"
    assert 'name="project_sessions_per_week" type="number" value="4"' in web.get(path).text
    answer = web.post(path, {"reached": "yes", "channel": "video", "sessions_per_week": "2",
                             "project_sessions_per_week": "4", "hospital_days": "3"},
                      form_page=path)
    assert answer.status_code == 302
    db.session.refresh(call)
    assert call.channel == Channel.VIDEO and call.status == ContactStatus.DONE
    assert call.hospital_days == 3
    # Under the project of 4: a rupture for the committee.
    rupture = db.session.scalar(select(Flag).where(Flag.patient_id == patient.id,
                                                   Flag.kind == FlagKind.FOLLOW_UP_RUPTURE))
    assert rupture is not None and rupture.evidence["project_sessions_per_week"] == 4


def test_the_physicians_decision_page_shows_the_outcomes(web: WebClient,
                                                         factories: Factories) -> None:
    referent, physician = factories.user(Role.REFERENT), factories.user(Role.PHYSICIAN)
    patient = factories.active_patient(referent, physician=physician,
                                       start=factories.clock.today() - timedelta(days=7 * 11 + 3))
    enrolment = factories.enrolment(patient)
    inclusion = db.session.scalar(select(ScheduledContact).where(
        ScheduledContact.enrolment_id == enrolment.id,
        ScheduledContact.kind == ContactKind.INCLUSION_VISIT))
    visits.record_visit(referent, inclusion.id, {"questionnaires": [
        {"instrument": "crq", "answers": CRQ_W0}]})
    sweep_patients([patient.id])  # nothing logged for weeks: a flag to decide on
    flag = db.session.scalar(select(Flag).where(Flag.patient_id == patient.id))
    flags.escalate(referent, flag.id)
    web.login(physician)
    page = web.get(f"/physician/flags/{flag.id}").text
    assert 'id="outcomes-h"' in page and "4.35" in page and "Non mesuré" in page
