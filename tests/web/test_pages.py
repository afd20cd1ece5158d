"""The staff pages through the Flask test client: access control, audit, forms that refuse
bad input in French and store nothing, and the page content each role relies on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEntry, Enrolment, HealthEvent, Patient, ScheduledContact
from server.models.flags import Flag
from server.services.sweep import sweep_patients
from shared.enums import ContactKind, ContactStatus, EnrolmentState, Role
from tests.conftest import Factories
from tests.web.conftest import WebClient, add_sessions, follow_up_patient


@pytest.fixture
def followed(factories: Factories) -> dict:
    """Two referents, one patient each: week 3 of the intervention, its call due today,
    nothing logged in week 2 (an adherence flag)."""
    referent, other = factories.user(Role.REFERENT), factories.user(Role.REFERENT)
    physician = factories.staff(Role.PHYSICIAN)
    start = factories.clock.today() - timedelta(days=18)
    mine = factories.active_patient(referent, start=start, physician=physician)
    theirs = factories.active_patient(other, start=start, last_name="Durand", physician=physician)
    add_sessions(mine, 1, per_week=4)
    sweep_patients([mine.id, theirs.id])
    return {"referent": referent, "other": other, "physician": physician, "mine": mine,
            "theirs": theirs}


def _contact(patient: Patient, kind: ContactKind) -> ScheduledContact:
    return db.session.scalars(
        select(ScheduledContact).join(Enrolment)
        .where(Enrolment.patient_id == patient.id, ScheduledContact.kind == kind,
               ScheduledContact.status == ContactStatus.PLANNED)
        .order_by(ScheduledContact.due_at)).first()


def _paths(patient: Patient) -> list[str]:
    flag = db.session.scalar(select(Flag).where(Flag.patient_id == patient.id))
    return [f"/patients/{patient.id}", f"/flags/{flag.id}",
            f"/contacts/{_contact(patient, ContactKind.WEEKLY_CALL).id}/record"]


def test_a_referent_sees_only_their_patients(web: WebClient, followed: dict) -> None:
    web.login(followed["referent"])
    for path in _paths(followed["mine"]):
        assert web.get(path).status_code == 200, path
    for path in _paths(followed["theirs"]):
        assert web.get(path).status_code == 404, path
    patients = web.get("/patients/").text
    assert "MARTIN Jeanne" in patients and "DURAND" not in patients


@pytest.mark.parametrize("path", ["/queue/", "/coordinator/", "/admin/", "/physician/"])
def test_pages_of_other_roles_are_forbidden(web: WebClient, factories: Factories,
                                            path: str) -> None:
    roles = {"/queue/": Role.PHYSICIAN, "/coordinator/": Role.REFERENT,
             "/admin/": Role.COORDINATOR, "/physician/": Role.ADMIN}
    web.login(factories.user(roles[path]))
    assert web.get(path).status_code == 403


def test_an_administrator_sees_no_patient(web: WebClient, factories: Factories,
                                          followed: dict) -> None:
    web.login(factories.user(Role.ADMIN))
    assert web.get(f"/patients/{followed['mine'].id}").status_code == 403


def test_a_physician_reads_the_files_of_their_patients(web: WebClient, factories: Factories,
                                                        followed: dict) -> None:
    web.login(followed["physician"])
    assert web.get(f"/patients/{followed['mine'].id}").status_code == 200
    # Followed by another physician (the validating one follows only patients without one).
    stranger = factories.active_patient(followed["referent"], last_name="Autre",
                                        physician=factories.user(Role.PHYSICIAN))
    assert web.get(f"/patients/{stranger.id}").status_code == 404


def test_every_patient_page_view_is_audited(web: WebClient, followed: dict) -> None:
    web.login(followed["referent"])
    patient = followed["mine"]
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    web.get(f"/patients/{patient.id}")
    rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())
                              .limit(db.session.scalar(select(func.count())
                                                       .select_from(AuditEntry)) - before)).all()
    assert {(r.patient_id, r.endpoint) for r in rows} >= {
        (patient.id, f"GET /patients/{patient.id}")}
    assert all(r.actor_id == followed["referent"].id for r in rows)
    web.get(f"/patients/{followed['theirs'].id}")  # refused views leave no patient row
    assert not db.session.scalar(select(AuditEntry).where(
        AuditEntry.patient_id == followed["theirs"].id,
        AuditEntry.actor_id == followed["referent"].id))


def test_patient_file_shows_programme_charts_timeline_and_flags(web: WebClient,
                                                                followed: dict) -> None:
    web.login(followed["referent"])
    html = web.get(f"/patients/{followed['mine'].id}").text
    assert "Semaine 3 sur 12" in html
    assert html.count('<svg class="chart"') == 5
    assert html.count('class="week ') == 52
    assert "Séances sous l&#39;objectif" in html  # the adherence flag, with its history
    assert "Historique" in html


def test_queue_lists_due_contacts_and_flags_with_evidence(web: WebClient,
                                                          followed: dict) -> None:
    web.login(followed["referent"])
    html = web.get("/queue/").text
    assert "MARTIN Jeanne" in html and "DURAND" not in html
    assert 'id="queue-flags"' in html
    assert "Enregistrer l'appel" in html and '/record"' in html
    filtered = web.get("/queue/?phase=follow_up").text
    assert "MARTIN Jeanne" not in filtered


def test_weekly_call_with_an_incomplete_prescription_saves_nothing(
        web: WebClient, followed: dict) -> None:
    web.login(followed["referent"])
    contact = _contact(followed["mine"], ContactKind.WEEKLY_CALL)
    path = f"/contacts/{contact.id}/record"
    response = web.post(path, {"reached": "yes", "sessions_done": "3",
                               "session_minutes": "30", "modality": "interval"}, form_page=path)
    assert response.status_code == 422
    assert 'id="work_s-error"' in response.text
    db.session.refresh(contact)
    assert contact.status == ContactStatus.PLANNED and contact.outcome is None
    response = web.post(path, {"reached": "yes", "sessions_done": "99"}, form_page=path)
    assert response.status_code == 422 and "entre 0 et 14" in response.text


def test_new_request_form_refuses_missing_fields_in_french(web: WebClient,
                                                           factories: Factories) -> None:
    web.login(factories.user(Role.COORDINATOR))
    response = web.post("/coordinator/new", {"last_name": "", "first_name": "Paul",
                                             "phone": "0102030405"},
                        form_page="/coordinator/new")
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in response.text
    assert 'aria-invalid="true"' in response.text
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 0


def test_starting_without_consent_changes_nothing(web: WebClient, factories: Factories) -> None:
    coordinator = factories.staff(Role.COORDINATOR)
    patient = factories.patient(factories.user(Role.REFERENT))
    enrolment = factories.enrolment(patient)
    enrolment.state = EnrolmentState.VALIDATED
    db.session.commit()
    web.login(coordinator)
    page = f"/coordinator/enrolments/{enrolment.id}"
    response = web.post(f"{page}/start", {"start_date": date(2026, 3, 9).isoformat()},
                        form_page=page)
    assert response.status_code == 422
    assert 'id="consent-error"' in response.text and "acte d&#39;adhésion" in response.text
    db.session.refresh(enrolment)
    assert enrolment.state == EnrolmentState.VALIDATED and enrolment.start_date is None
    assert not db.session.scalar(select(func.count()).select_from(ScheduledContact))


def test_follow_up_call_records_a_health_event_with_its_warning_signs(
        web: WebClient, factories: Factories) -> None:
    referent = factories.user(Role.REFERENT)
    patient = follow_up_patient(factories, referent, factories.staff(Role.PHYSICIAN))
    call = db.session.scalar(select(ScheduledContact).join(Enrolment).where(
        Enrolment.patient_id == patient.id, ScheduledContact.key == "call:m3"))
    web.login(referent)
    path = f"/contacts/{call.id}/record"
    data = {"reached": "yes", "event_kind": "fall", "sessions_per_week": "3",
            "project_sessions_per_week": "3", "warning_signs": ["trauma", "walking_difficulty"]}
    refused = web.post(path, data, form_page=path)  # an event needs its date
    assert refused.status_code == 422 and 'id="event_on-error"' in refused.text
    assert not db.session.scalar(select(HealthEvent.id))
    answer = web.post(path, {**data, "event_on": "2026-02-20"}, form_page=path)
    assert answer.status_code == 302
    event = db.session.scalar(select(HealthEvent))
    assert (event.kind.value, event.occurred_on.isoformat()) == ("fall", "2026-02-20")
    assert sorted(event.warning_signs) == ["trauma", "walking_difficulty"]
    db.session.refresh(call)
    assert call.status == ContactStatus.DONE
    assert call.outcome["health_events"][0]["kind"] == "fall"


def test_a_pairing_code_is_drawn_only_on_a_referents_own_patient_file(
        web: WebClient, followed: dict) -> None:
    web.login(followed["referent"])
    mine, theirs = followed["mine"], followed["theirs"]
    drawn = web.post(f"/patients/{mine.id}/pairing-code", form_page=f"/patients/{mine.id}")
    assert drawn.status_code == 200 and 'id="pairing-code"' in drawn.text
    assert "<svg" in drawn.text  # the QR code, drawn on the server
    refused = web.post(f"/patients/{theirs.id}/pairing-code", form_page=f"/patients/{mine.id}")
    assert refused.status_code == 404


@pytest.mark.parametrize("path", ["/nope", "/queue/no-such-page", "/static/nope.css"])
def test_an_address_no_route_matches_is_an_html_page_for_a_browser(client, path):
    response = client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                                         "Accept-Language": "fr"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Cette page n&#39;existe pas" in response.get_data(as_text=True)


def test_the_same_address_is_json_in_french_for_an_api_client(client):
    for path in ("/nope", "/api/v1/nope"):
        response = client.get(path, headers={"Accept": "application/json",
                                             "Accept-Language": "fr"})
        assert response.status_code == 404 and response.mimetype == "application/json"
        assert response.get_json() == {"code": "not_found", "status": 404,
                                       "message": "Introuvable."}
    browser_on_api = client.get("/api/v1/nope", headers={"Accept": "text/html"})
    assert browser_on_api.mimetype == "application/json"
