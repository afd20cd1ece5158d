"""The FHIR mapping alone: every state, status and kind maps to a resource the R4B models accept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from fhir.resources.R4B import get_fhir_model_class

from server.services import fhir_map
from shared.enums import Channel, ContactKind, ContactStatus, EnrolmentState, FlagStatus
from shared.rules import FlagKind

CTX = fhir_map.Context(system="https://fhir.example.org/reprise",
                       api_root="https://reprise.example.org/api/v1")
NOW = datetime(2026, 3, 2, 11, 0, 30, 123456, tzinfo=UTC)


def _valid(resource: dict) -> dict:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def _contact(status: ContactStatus, kind: ContactKind = ContactKind.WEEKLY_CALL,
             channel: Channel = Channel.PHONE) -> SimpleNamespace:
    return SimpleNamespace(id=7, enrolment_id=3, patient_id=2, kind=kind, status=status,
                           channel=channel, due_at=NOW, window_opens=NOW, window_closes=NOW,
                           done_at=NOW if status == ContactStatus.DONE else None)


@pytest.mark.parametrize("state", list(EnrolmentState))
def test_every_enrolment_state_is_a_care_plan(state):
    started = state not in (EnrolmentState.REQUESTED, EnrolmentState.DOSSIER_COMPLETE,
                            EnrolmentState.VALIDATED, EnrolmentState.DECLINED)
    row = SimpleNamespace(id=3, patient_id=2, programme_code="low_back_pain_home", state=state,
                          intervention_weeks=None, requested_at=NOW,
                          start_date=date(2026, 1, 5) if started else None,
                          ended_at=None, end_reason="Réorienté en SSR" if started else None)
    contacts = [_contact(s) for s in ContactStatus]
    plan = _valid(fhir_map.care_plan(row, contacts if started else [], CTX))
    assert plan["status"] == fhir_map.CAREPLAN_STATUS[state]
    assert plan["activity"][0]["detail"]["scheduledTiming"]["repeat"]["frequency"] == 2


@pytest.mark.parametrize("status", list(ContactStatus))
@pytest.mark.parametrize("channel", list(Channel))
def test_every_contact_is_an_encounter_or_an_appointment_with_its_channel(status, channel):
    row = _contact(status, channel=channel)
    if status == ContactStatus.DONE:
        resource = _valid(fhir_map.encounter(row, CTX))
        mode = resource["type"][1]["coding"]
        assert resource["class"]["code"] == {"phone": "VR", "video": "VR",
                                             "home": "HH"}.get(channel, "AMB")
    else:
        resource = _valid(fhir_map.appointment(row, CTX))
        mode = resource["appointmentType"]["coding"]
        # app-3: only proposed or cancelled appointments may go without start and end.
        assert ("start" in resource) == (resource["status"] not in ("proposed", "cancelled"))
    assert mode[1]["code"] == channel.value
    assert mode[0]["code"] == {"phone": "PHONE", "video": "VIDEOCONF"}.get(channel, "FACE")
    assert resource["period" if status == "done" else "requestedPeriod"]
    assert NOW.isoformat() not in str(resource)  # instants to the second


@pytest.mark.parametrize("kind", list(FlagKind))
def test_every_flag_kind_maps(kind):
    row = SimpleNamespace(id=1, patient_id=2, kind=kind, severity=4, status=FlagStatus.RESOLVED,
                          evidence={}, opened_at=NOW, closed_at=NOW, decision="continue")
    flag = _valid(fhir_map.flag(row, CTX, lambda k, e: f"{k}: evidence"))
    assert flag["status"] == "inactive" and flag["code"]["text"] == f"{kind}: evidence"
    assert flag["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "PH"


def test_sampled_data_keeps_gaps_as_errors():
    data = fhir_map.sampled_data([(0, 90), (2, 92), (8, 95)], "/min", "/min")
    assert (data["period"], data["data"]) == (2000, "90 92 E E 95")
    assert fhir_map.sampled_data([(5, 100)], "W", "W")["data"] == "E 100"
