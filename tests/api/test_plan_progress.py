"""The tablet's plan and progress views."""

import uuid
from datetime import datetime, time, timedelta

from shared.enums import Role
from shared.timeline import PARIS


def _session(day, minutes=30, watts=40, dyspnoea=4):
    return {"id": str(uuid.uuid4()),
            "started_at": datetime.combine(day, time(10), PARIS).isoformat(),
            "duration_s": minutes * 60, "watts": watts, "hr_mean": 100, "hr_max": 120,
            "dyspnoea": dyspnoea}


def test_plan_gives_week_phase_prescription_booklet_and_next_contacts(client, factories, auth,
                                                                      clock, plan_of):
    patient = factories.active_patient(factories.user(Role.REFERENT),
                                       start=clock.today() - timedelta(days=10))
    plan = plan_of(auth.device(patient))
    assert plan["phase"] == "intervention" and plan["week"] == 2
    assert plan["intervention_weeks"] == 12 and plan["total_weeks"] == 52
    assert plan["prescription"]["session_minutes"] == 30
    assert plan["prescription"]["modality"] == "continuous"
    assert plan["targets"]["sessions_min"] == 4 and plan["targets"]["sessions_max"] == 6
    assert [item["code"] for item in plan["booklet"]][:2] == ["sit_to_stand", "arm_raises"]
    assert plan["next_contacts"][0]["kind"] == "weekly_call"
    due = [c["due_at"] for c in plan["next_contacts"]]
    assert due == sorted(due) and len(due) == 3
    assert all(datetime.fromisoformat(c["window_closes"]) > clock.now()
               for c in plan["next_contacts"])


def test_low_back_pain_plan_targets_two_to_three_sessions(client, factories, auth, plan_of):
    patient = factories.active_patient(factories.user(Role.REFERENT),
                                       programme="low_back_pain_home")
    plan = plan_of(auth.device(patient))
    assert plan["targets"]["sessions_min"] == 2 and plan["targets"]["sessions_max"] == 3
    assert plan["programme"]["symptom_score"] == "pain"


def test_progress_counts_sessions_per_week_against_the_band(client, factories, auth, clock):
    start = clock.today() - timedelta(days=14)
    patient = factories.active_patient(factories.user(Role.REFERENT), start=start)
    device = auth.device(patient)
    week1 = [_session(start + timedelta(days=d), minutes=20 + d, watts=30) for d in range(5)]
    week2 = [_session(start + timedelta(days=7 + d), minutes=30, watts=45) for d in range(2)]
    assert client.post("/api/v1/me/sessions", json={"items": week1 + week2},
                       headers=device).status_code == 200
    progress = client.get("/api/v1/me/progress", headers=device).get_json()
    weeks = progress["weeks"]
    assert [w["week"] for w in weeks] == [1, 2, 3]
    assert [w["sessions"] for w in weeks] == [5, 2, 0]
    assert [w["status"] for w in weeks] == ["within", "below", "below"]
    assert weeks[0]["minutes"] == 20 + 21 + 22 + 23 + 24
    assert weeks[1]["mean_watts"] == 45.0
    assert progress["total_sessions"] == 7
    assert progress["trends"]["mean_watts"] == 15.0
