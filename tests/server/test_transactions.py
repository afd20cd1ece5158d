"""Services own each use case's transaction: they commit what they did, and a refused
change leaves nothing in the session for the view (web or API) to roll back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select

from server.extensions import db
from server.models import ApiToken, AuditEntry, Patient
from server.models.flags import Flag, FlagEvent
from server.services import flags, tablets
from server.services.enrolments import register_patient
from server.services.errors import Invalid, NotFound
from server.services.patient_file import patient_list, patient_record
from server.services.sweep import sweep_patients
from shared.enums import FlagDecision, FlagStatus, Role
from tests.conftest import Factories


@pytest.fixture
def flagged(factories: Factories) -> dict:
    """A referent's patient in week 3 with nothing logged: the sweep opens a flag."""
    referent = factories.user(Role.REFERENT)
    physician = factories.staff(Role.PHYSICIAN)
    patient = factories.active_patient(referent, physician=physician,
                                       start=factories.clock.today() - timedelta(days=18))
    sweep_patients([patient.id])
    flag = db.session.scalar(select(Flag).where(Flag.patient_id == patient.id))
    assert flag is not None
    return {"referent": referent, "physician": physician, "patient": patient, "flag": flag}


def _events(flag_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(FlagEvent)
                             .where(FlagEvent.flag_id == flag_id))


def test_a_flag_action_is_committed_by_its_service(flagged: dict) -> None:
    flags.acknowledge(flagged["referent"], flagged["flag"].id, "Seen, calling today.")
    db.session.rollback()  # what a view could still undo: nothing
    assert db.session.get(Flag, flagged["flag"].id).status == FlagStatus.ACKNOWLEDGED


def test_a_refused_decision_leaves_nothing_behind_in_the_session(flagged: dict,
                                                                factories: Factories) -> None:
    flag_id = flagged["flag"].id
    flags.escalate(flagged["referent"], flag_id, "Please look.")
    before = _events(flag_id)
    yesterday = factories.clock.today() - timedelta(days=1)
    with pytest.raises(Invalid) as refused:
        flags.decide(flagged["physician"], flag_id, FlagDecision.REINFORCEMENT_VISIT,
                     "Visit.", yesterday)
    assert refused.value.code == "visit_day_past"
    # The service rolled back: no pending event, no half-changed flag for a page to render.
    assert not db.session.new and not db.session.dirty
    flag = db.session.get(Flag, flag_id)
    assert flag.status == FlagStatus.ESCALATED and flag.decision is None
    assert _events(flag_id) == before


def test_a_read_commits_its_audit_rows_and_keeps_what_it_loaded(flagged: dict) -> None:
    referent, patient = flagged["referent"], flagged["patient"]
    rows = patient_list(referent)
    data = patient_record(referent, patient.id)
    # Loaded rows stay readable after the commit: the page renders them without reloading.
    assert not inspect(data.patient).expired_attributes
    assert [p.id for p, _e in rows] == [patient.id] and data.flags and data.can_write
    db.session.rollback()
    audited = set(db.session.scalars(select(AuditEntry.object_type).where(
        AuditEntry.actor_id == referent.id)))
    assert {"patient_list", "patient"} <= audited


def test_revoking_a_tablet_is_committed_and_scoped_to_its_patient(
        flagged: dict, factories: Factories) -> None:
    referent, patient = flagged["referent"], flagged["patient"]
    factories.device_token(patient)
    device_id = db.session.scalar(select(ApiToken.id).where(ApiToken.patient_id == patient.id))
    other = factories.patient(referent, last_name="Durand")
    with pytest.raises(NotFound):
        tablets.revoke_tablet(referent, other.id, device_id)
    assert db.session.get(ApiToken, device_id).revoked_at is None
    tablets.revoke_tablet(referent, patient.id, device_id)
    db.session.rollback()
    assert db.session.get(ApiToken, device_id).revoked_at is not None
    assert [d.id for d in tablets.paired_tablets(referent, patient.id)] == [device_id]


def test_a_refused_registration_stores_no_patient(factories: Factories) -> None:
    coordinator = factories.staff(Role.COORDINATOR)
    physician = factories.staff(Role.PHYSICIAN)
    data = {"first_name": "Paul", "last_name": "Petit", "birth_date": date(1950, 1, 1),
            "sex": "M", "phone": "0102030405", "referent_id": physician.id,
            "enrolment": {"programme_code": "respiratory_home",
                          "referral_source": "pneumologist"}}
    with pytest.raises(Invalid) as refused:
        register_patient(coordinator, data)
    assert "referent_id" in refused.value.errors
    assert not db.session.new
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 0
