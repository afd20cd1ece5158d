"""Form checks, the guided timer and the home/history arithmetic: plain Python, no window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mobile import i18n
from mobile.forms import (
    booklet_entry,
    health_event_form,
    readable_reason,
    session_form,
)
from mobile.guided import GuidedTimer, Step, build_steps
from mobile.store import PENDING, REFUSED, SENT, SESSION, OutboxItem
from mobile.summary import history, next_contact_text, sync_text, this_week
from shared.enums import BookletStatus, SessionSource

NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # noon in Paris, Monday of week 3
TODAY = date(2026, 3, 2)


pytestmark = pytest.mark.usefixtures("french")


def test_a_complete_session_becomes_the_payload_the_server_expects():
    result = session_form({"duration_min": "30", "watts": "40", "distance_km": "9,5",
                           "hr_mean": "104", "hr_max": "121", "effort": "5", "notes": " ok "},
                          TODAY, NOW, SessionSource.MANUAL)
    assert result.ok
    assert result.payload == {
        "started_at": "2026-03-02T11:30:00+01:00", "duration_s": 1800, "source": "manual",
        "watts": 40, "distance_km": 9.5, "hr_mean": 104, "hr_max": 121, "effort": 5,
        "notes": "ok"}


def test_an_earlier_day_is_placed_in_its_afternoon():
    result = session_form({"duration_min": "20"}, TODAY - timedelta(days=1), NOW)
    assert result.payload["started_at"] == "2026-03-01T15:40:00+01:00"


@pytest.mark.parametrize(("fields", "name", "message"), [
    ({}, "duration_min", "Durée : cette case est obligatoire."),
    ({"duration_min": "0"}, "duration_min",
     "Durée : indiquez un nombre entier de 1 à 360 minutes."),
    ({"duration_min": "20", "hr_rest": "soixante"}, "hr_rest",
     "Fréquence cardiaque au repos : indiquez un nombre entier de 25 à 250 battements par "
     "minute."),
    ({"duration_min": "20", "distance_km": "400"}, "distance_km",
     "Distance : indiquez un nombre de 0 à 300 km."),
    ({"duration_min": "20", "resistance": "2.5"}, "resistance",
     "Résistance : indiquez un nombre entier de 1 à 30."),
    ({"duration_min": "20", "effort": "11"}, "effort",
     "Effort : indiquez un nombre entier de 0 à 10."),
    ({"duration_min": "20", "hr_mean": "150", "hr_max": "140"}, "hr_mean",
     "Fréquence cardiaque moyenne : elle ne peut pas dépasser la fréquence cardiaque "
     "maximale."),
    ({"duration_min": "20", "notes": "x" * 2001}, "notes",
     "Commentaire : 2000 caractères au maximum."),
])
def test_wrong_values_are_refused_with_a_plain_french_message(fields, name, message):
    result = session_form(fields, TODAY, NOW)
    assert not result.ok and result.payload == {}
    assert result.errors[name] == message


def test_messages_follow_the_language():
    i18n.set_language("en")
    result = session_form({"duration_min": "20", "hr_max": "300"}, TODAY, NOW)
    assert result.errors == {
        "hr_max": "Maximum heart rate: enter a whole number from 25 to 250 beats per minute."}


def test_a_session_in_the_future_is_refused():
    result = session_form({"duration_min": "20"}, TODAY + timedelta(days=1), NOW)
    assert result.errors == {"day": "Date : une séance ne peut pas être dans le futur."}


def test_booklet_and_health_event_payloads():
    tick = booklet_entry(12, TODAY, BookletStatus.PARTIAL, 3.4)
    assert tick.payload == {"item_id": 12, "day": "2026-03-02", "status": "partial",
                            "pain_eva": 3}
    event = health_event_form("fall", TODAY, TODAY, " glissade ", ["trauma", "bogus"])
    assert event.payload == {"kind": "fall", "occurred_on": "2026-03-02",
                             "warning_signs": ["trauma"], "description": "glissade"}
    refused = health_event_form(None, TODAY + timedelta(days=2), TODAY, "", [])
    assert refused.errors == {
        "kind": "Type d'événement : choisissez l'un des boutons.",
        "occurred_on": "Date : un événement ne peut pas être dans le futur."}


def test_server_reasons_name_fields_as_the_patient_knows_them():
    assert readable_reason("started_at: trop tôt; hr_max: trop haut") == (
        "Date : trop tôt\nFréquence cardiaque maximale : trop haut")
    assert readable_reason("Aucun programme en cours.") == "Aucun programme en cours."


def test_guided_steps_follow_the_prescription():
    continuous = build_steps({"session_minutes": 30, "watts": 40, "modality": "continuous"}, 20)
    assert [(s.kind, s.seconds, s.watts) for s in continuous] == [
        ("warm_up", 300, None), ("continuous", 1200, 40), ("cool_down", 300, None)]
    interval = build_steps({"session_minutes": 12, "watts": 50, "modality": "interval",
                            "work_s": 90, "rest_s": 60}, 20)
    assert [s.kind for s in interval][:4] == ["warm_up", "work", "rest", "work"]
    assert sum(s.seconds for s in interval) == 12 * 60 and interval[-1].kind == "cool_down"
    assert sum(s.seconds for s in build_steps(None, 20)) == 20 * 60


def test_the_timer_counts_steps_and_ignores_pauses():
    now = [0.0]
    timer = GuidedTimer([Step("warm_up", 60), Step("continuous", 120, 40)], lambda: now[0])
    assert timer.state().elapsed_s == 0 and not timer.running
    timer.start()
    now[0] = 50
    assert (timer.state().index, timer.state().step_left_s) == (0, 10)
    timer.pause()
    now[0] = 500
    assert timer.elapsed() == 50
    timer.start()
    now[0] = 570
    state = timer.state()
    assert (state.index, state.step_left_s, state.finished) == (1, 60, False)
    now[0] = 700
    assert timer.state().finished and timer.state().elapsed_s == 180


PLAN = {
    "programme": {"code": "respiratory_home"}, "intervention_weeks": 12,
    "start_date": "2026-02-16", "targets": {"sessions_min": 4, "sessions_max": 6},
    "next_contacts": [{"kind": "weekly_call", "due_at": "2026-03-06T09:00:00+00:00"}],
}


def session(day: date, state: str, minutes: int = 30, hr: int | None = 100) -> OutboxItem:
    started = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    return OutboxItem(id=str(day) + state, kind=SESSION, patient_id=1, day=day,
                      payload={"started_at": started.isoformat(), "duration_s": minutes * 60,
                               "hr_mean": hr}, created_at=started, state=state, attempts=0,
                      server_id=None, error=None)


def test_this_week_adds_unsent_sessions_to_the_servers_count():
    progress = {"weeks": [{"week": 3, "sessions": 1}]}
    mine = [session(TODAY, SENT), session(TODAY, PENDING), session(TODAY, REFUSED),
            session(TODAY - timedelta(days=1), PENDING)]
    week = this_week(PLAN, progress, mine, TODAY)
    assert (week.week, week.done, week.target_min, week.target_max) == (3, 2, 4, 6)
    stale = this_week(PLAN, {"weeks": []}, mine, TODAY)
    assert stale.done == 2  # the cache predates the send: the tablet's own count stands


def test_history_takes_the_servers_week_unless_the_tablet_knows_more():
    server_week = {"week": 1, "sessions": 5, "target_min": 4, "target_max": 6, "minutes": 150,
                   "mean_watts": None, "mean_hr": 98.0, "mean_symptom": None}
    rows = history(PLAN, {"weeks": [server_week]},
                   [session(date(2026, 2, 24), PENDING, 20, 110)], TODAY)
    assert [(r.week, r.sessions, r.minutes, r.mean_hr) for r in rows] == [
        (1, 5, 150, 98.0), (2, 1, 20, 110.0), (3, 0, 0, None)]


def test_home_texts():
    assert next_contact_text(PLAN) == "Appel de votre référent : vendredi 6 mars vers 10:00"
    assert next_contact_text({"next_contacts": []}) == "Aucun appel ni visite prévu."
    assert sync_text({SESSION: 2}, {}, "offline") == (
        "2 séances en attente d'envoi\n"
        "Pas de connexion : vos saisies sont gardées sur la tablette.")
    assert sync_text({SESSION: 1, "booklet_entry": 3}, {"health_event": 1}, "done") == (
        "1 séance en attente d'envoi\n3 autres saisies en attente d'envoi\n1 saisie à corriger")
    assert sync_text({}, {}, "done") == "Tout est envoyé."
    i18n.set_language("en")
    assert sync_text({SESSION: 2}, {}, "syncing") == "2 sessions waiting to be sent\nSending..."


def test_a_manual_session_ends_before_the_sessions_already_logged_that_day() -> None:
    first = session_form({"duration_min": "30"}, TODAY, NOW)
    start = datetime.fromisoformat(first.payload["started_at"])
    taken = [(start, start + timedelta(minutes=30))]
    second = session_form({"duration_min": "35"}, TODAY, NOW, taken=taken)
    assert datetime.fromisoformat(second.payload["started_at"]) == start - timedelta(minutes=35)
