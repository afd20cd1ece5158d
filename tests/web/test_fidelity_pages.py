"""The staff pages follow each programme's own rules: health events heard during a weekly
call, the physician's suspension and resumption, a low back pain referral's dossier."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import Enrolment, HealthEvent, ScheduledContact
from server.models.flags import Flag
from server.services.sweep import sweep_patients
from shared.enums import ContactKind, ContactStatus, EnrolmentState, FlagStatus, Role
from shared.rules import FlagKind
from tests.conftest import Factories
from tests.web.conftest import WebClient


def test_a_health_event_heard_during_a_weekly_call_reaches_the_physician_seed_003_l4115(
        web: WebClient, factories: Factories) -> None:
    referent, physician = factories.user(Role.REFERENT), factories.staff(Role.PHYSICIAN)
    patient = factories.active_patient(referent, physician=physician)
    call = db.session.scalars(select(ScheduledContact).join(Enrolment).where(
        Enrolment.patient_id == patient.id, ScheduledContact.kind == ContactKind.WEEKLY_CALL,
        ScheduledContact.week == 3)).one()
    web.login(referent)
    path = f"/contacts/{call.id}/record"
    assert 'name="event_kind"' in web.get(path).text
    answer = web.post(path, {"reached": "yes", "sessions_done": "4",
                             "event_kind": "exacerbation", "event_on": "2026-02-28",
                             "event_description": "Toux, crachats"}, form_page=path)
    assert answer.status_code == 302, answer.text
    event = db.session.scalars(select(HealthEvent)).one()
    assert (event.kind.value, event.occurred_on.isoformat()) == ("exacerbation", "2026-02-28")
    flag = db.session.scalars(select(Flag).where(Flag.kind == FlagKind.HEALTH_EVENT)).one()
    assert flag.status == FlagStatus.ESCALATED and flag.escalated_to_id == physician.id


def test_the_physician_suspends_then_resumes_and_the_file_shows_the_pause(
        web: WebClient, factories: Factories) -> None:
    referent, physician = factories.user(Role.REFERENT), factories.staff(Role.PHYSICIAN)
    patient = factories.active_patient(referent, physician=physician)
    factories.sessions(patient, [factories.clock.today() - timedelta(days=1)], hr_max=150)
    sweep_patients([patient.id])
    flag = db.session.scalars(select(Flag).where(Flag.patient_id == patient.id,
                                                 Flag.kind == FlagKind.HEART_RATE)).one()
    assert flag.status == FlagStatus.ESCALATED  # the physician's way in, as in practice
    web.login(physician)
    path = f"/physician/flags/{flag.id}"
    review = factories.clock.today() + timedelta(days=14)
    decided = web.post(path, {"decision": "suspend", "note": "Bilan cardiologique",
                              "review_on": review.isoformat()}, form_page=path)
    assert decided.status_code == 302, decided.text
    enrolment = factories.enrolment(patient)
    db.session.refresh(enrolment)
    assert enrolment.state == EnrolmentState.SUSPENDED
    assert enrolment.suspension_review_on == review
    page = web.get(f"/patients/{patient.id}").text
    assert 'id="suspension"' in page and "week phase-intervention current suspended" in page
    assert "s-suspended" in page
    home = web.get("/physician/").text
    assert f"/physician/enrolments/{enrolment.id}/resume" in home
    resumed = web.post(f"/physician/enrolments/{enrolment.id}/resume", form_page="/physician/")
    assert resumed.status_code == 302
    db.session.refresh(enrolment)
    assert enrolment.state == EnrolmentState.ACTIVE
    page = web.get(f"/patients/{patient.id}").text
    assert 'id="suspension"' not in page and "Suspendu du" in page
    planned = db.session.scalars(select(ScheduledContact.status).where(
        ScheduledContact.enrolment_id == enrolment.id,
        ScheduledContact.key == "call:w4")).one()
    assert planned == ContactStatus.PLANNED


def test_a_low_back_pain_dossier_page_asks_for_its_own_pieces(
        web: WebClient, factories: Factories) -> None:
    patient = factories.patient(factories.user(Role.REFERENT), "low_back_pain_home")
    enrolment = factories.enrolment(patient)
    web.login(factories.staff(Role.COORDINATOR))
    page = f"/coordinator/enrolments/{enrolment.id}"
    html = web.get(page).text
    assert 'name="stay_report"' in html and 'name="orientation_scales"' in html
    assert 'name="spirometry"' not in html and 'name="blood_gas"' not in html
    saved = web.post(f"{page}/dossier", {
        "prescription": "y", "orientation_scales": "y", "stay_report": "y",
        "warning_signs_screening": "y", "complete": "1"}, form_page=page)
    assert saved.status_code == 302
    db.session.refresh(enrolment)
    assert enrolment.state == EnrolmentState.DOSSIER_COMPLETE
    assert set(enrolment.dossier) == {"prescription", "orientation_scales", "stay_report",
                                      "warning_signs_screening"}
