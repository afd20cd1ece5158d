"""The demo cohort: every stage, consistent dates, plausible activity, drifts, idempotence.

The cohort is built once for the module (a few seconds) and checked from the
data itself; the last tests rebuild it and compare.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from server import create_app
from server.extensions import db
from server.models import (
    BookletEntry,
    BookletItem,
    Enrolment,
    EnrolmentTransition,
    ErgoSession,
    HealthEvent,
    Patient,
    Prescription,
    QuestionnaireResponse,
    ScheduledContact,
    SessionSeries,
    User,
    VisitReport,
)
from server.services import measures
from server.services import samples as samples_store
from shared.enrolment import (
    RUNNING_STATES,
    TERMINAL_STATES,
    Action,
    check_transition,
    dossier_pieces,
)
from shared.enums import (
    ContactKind,
    ContactStatus,
    EnrolmentState,
    HealthEventKind,
    Phase,
    Questionnaire,
    Role,
    SessionSource,
)
from shared.instruments import get_instrument
from shared.outcomes import Verdict
from shared.programmes import LOW_BACK_PAIN, RESPIRATORY
from shared.timeline import PARIS, build_timeline, local_midnight, phase_on, week_of
from synthetic.demo import DEMO_PASSWORD, MIN_PATIENTS, build_demo_cohort
from tests.conftest import own_database

S = EnrolmentState
TODAY = date(2026, 3, 2)
SEED = 7
PATIENTS = 48
CUTOFF = local_midnight(TODAY, PARIS)
STARTED = (S.ACTIVE, S.FOLLOW_UP, S.SUSPENDED, S.COMPLETED, S.INTERRUPTED, S.REORIENTED)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a database of its own (PostgreSQL in the suite's PostgreSQL pass), for
    the module."""
    with own_database("demo", tmp_path_factory.mktemp("demo")) as uri:
        # This database plays the demo's: the published logins may go there.
        app = create_app({"TESTING": True, "SECRET_KEY": "demo-test",
                          "SQLALCHEMY_DATABASE_URI": uri, "DEMO_DATABASE_URI": uri})
        with app.app_context():
            db.create_all()
            yield app
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def summary(demo_app: Flask) -> dict[str, Any]:
    return build_demo_cohort(patients=PATIENTS, seed=SEED, reset=True, today=TODAY)


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _enrolments(*states: EnrolmentState) -> list[Enrolment]:
    query = select(Enrolment).order_by(Enrolment.id)
    if states:
        query = query.where(Enrolment.state.in_(states))
    return list(db.session.scalars(query))


def _session_days(enrolment: Enrolment) -> list[date]:
    return list(db.session.scalars(
        select(ErgoSession.day).where(ErgoSession.enrolment_id == enrolment.id)
        .order_by(ErgoSession.day)))


def _local_day(instant: datetime) -> date:
    return instant.astimezone(PARIS).date()


def test_summary_counts_every_state_and_lists_the_logins(summary):
    assert summary["created"] is True
    assert summary["patients"] == PATIENTS == _count(Patient)
    assert sum(summary["by_state"].values()) == PATIENTS
    assert set(summary["by_state"]) == {s.value for s in EnrolmentState}
    assert all(count >= 1 for count in summary["by_state"].values()), summary["by_state"]
    # Most patients are in the intervention or the follow-up.
    assert summary["by_state"]["active"] + summary["by_state"]["follow_up"] >= PATIENTS * 0.6
    assert summary["sessions"] == _count(ErgoSession) > 1000
    assert summary["hr_samples"] == db.session.scalar(
        select(func.sum(SessionSeries.count))) > 10_000
    logins = {login["email"]: login for login in summary["logins"]}
    assert {e: login["role"] for e, login in logins.items()} == {
        "coordination@reprise.demo": "coordinator", "medecin@reprise.demo": "physician",
        "admin@reprise.demo": "admin", "referent1@reprise.demo": "referent",
        "referent2@reprise.demo": "referent", "referent3@reprise.demo": "referent"}
    assert {login["password"] for login in logins.values()} == {DEMO_PASSWORD}


def test_demo_logins_can_log_in(demo_app, summary):
    client = demo_app.test_client()
    for login in summary["logins"]:
        response = client.post("/api/v1/auth/login",
                               json={"email": login["email"], "password": login["password"]})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["token"] and body["user"]["role"] == login["role"]


def test_patients_are_plausible_and_spread_over_the_referents(summary):
    physician = db.session.scalar(select(User).where(User.role == Role.PHYSICIAN))
    referents = {u.id for u in db.session.scalars(select(User).where(User.role == Role.REFERENT))}
    enrolments = _enrolments()
    programmes = Counter(e.programme_code for e in enrolments)
    assert 0.65 <= programmes[RESPIRATORY.code] / PATIENTS <= 0.85, programmes
    assert programmes[RESPIRATORY.code] + programmes[LOW_BACK_PAIN.code] == PATIENTS
    per_referent = Counter(e.patient.referent_id for e in enrolments)
    assert set(per_referent) == referents and min(per_referent.values()) >= PATIENTS // 4
    for e in enrolments:
        p = e.patient
        age = (TODAY - p.birth_date).days / 365.25
        low, high = (45, 85) if e.programme_code == RESPIRATORY.code else (30, 65)
        assert low <= age <= high, (p.display_name, age)
        assert p.physician_id == physician.id
        assert 55 <= p.hr_rest_min <= 60 and 95 <= p.hr_rest_max <= 100
        assert 120 <= p.hr_ceiling <= 140
        assert p.first_name and p.last_name and p.phone.startswith("0")
        assert p.sex in ("F", "M") and p.created_at == e.requested_at


def test_enrolment_dates_and_transitions_follow_the_state_machine(summary):
    physician = db.session.scalar(select(User).where(User.role == Role.PHYSICIAN))
    expected_actions = {
        S.REQUESTED: [], S.DOSSIER_COMPLETE: ["complete_dossier"],
        S.VALIDATED: ["complete_dossier", "validate"],
        S.DECLINED: ["complete_dossier", "validate", "decline"],
        S.ACTIVE: ["complete_dossier", "validate", "start"],
        S.FOLLOW_UP: ["complete_dossier", "validate", "start", "begin_follow_up"],
        S.COMPLETED: ["complete_dossier", "validate", "start", "begin_follow_up", "complete"],
        S.INTERRUPTED: ["complete_dossier", "validate", "start", "interrupt"],
        S.REORIENTED: ["complete_dossier", "validate", "start", "begin_follow_up", "reorient"],
        S.SUSPENDED: ["complete_dossier", "validate", "start", "suspend"],
    }
    for e in _enrolments():
        transitions = list(db.session.scalars(
            select(EnrolmentTransition).where(EnrolmentTransition.enrolment_id == e.id)
            .order_by(EnrolmentTransition.id)))
        assert [t.action for t in transitions] == expected_actions[e.state]
        assert (transitions[-1].to_state if transitions else S.REQUESTED) == e.state
        times = [e.requested_at] + [t.at for t in transitions]
        assert times == sorted(times) and times[-1] < CUTOFF
        if e.state == S.REQUESTED:
            assert [p for p in dossier_pieces(e.programme_code)
                    if not e.dossier.get(p)], e.dossier
            continue
        assert all(e.dossier.get(p) for p in dossier_pieces(e.programme_code))
        assert e.requested_at < e.dossier_completed_at
        if e.state != S.DOSSIER_COMPLETE:
            assert e.dossier_completed_at < e.validated_at
            assert e.validated_by_id == physician.id
        if e.state in STARTED:
            # Consent and start are recorded on the start day, after the validation.
            assert e.validated_at < e.consent_at and _local_day(e.consent_at) == e.start_date
            start = next(t for t in transitions if t.action == "start")
            assert start.at == e.consent_at and _local_day(start.at) == e.start_date
        else:
            assert e.start_date is None and e.consent_at is None
        if e.state in TERMINAL_STATES:
            assert e.ended_at is not None and e.ended_at < CUTOFF
        if e.state in (S.DECLINED, S.INTERRUPTED, S.REORIENTED):
            assert e.end_reason and transitions[-1].reason == e.end_reason
        phase = phase_on(e.template, e.start_date, TODAY) if e.start_date else None
        assert phase == {S.ACTIVE: Phase.INTERVENTION, S.FOLLOW_UP: Phase.FOLLOW_UP,
                         S.COMPLETED: Phase.ENDED}.get(e.state, phase)


def test_every_history_is_a_path_the_state_machine_allows(summary):
    roles = dict(db.session.execute(select(User.id, User.role)).all())
    histories: dict[int, list[EnrolmentTransition]] = defaultdict(list)
    for t in db.session.scalars(select(EnrolmentTransition).order_by(EnrolmentTransition.id)):
        histories[t.enrolment_id].append(t)
    for e in _enrolments():
        state = S.REQUESTED
        for t in histories[e.id]:
            # Same source, role and reason: the state machine reaches the same target.
            assert t.from_state == state
            state = check_transition(state, Action(t.action), roles[t.actor_id], t.reason)
            assert t.to_state == state
        assert state == e.state


def test_started_enrolments_have_timeline_booklet_and_prescriptions(summary):
    for e in _enrolments():
        contacts = list(db.session.scalars(
            select(ScheduledContact).where(ScheduledContact.enrolment_id == e.id)))
        items = list(db.session.scalars(
            select(BookletItem).where(BookletItem.enrolment_id == e.id)))
        prescriptions = list(db.session.scalars(
            select(Prescription).where(Prescription.enrolment_id == e.id)
            .order_by(Prescription.from_week)))
        if e.state not in STARTED:
            assert not contacts and not items and not prescriptions
            continue
        keys = {c.key for c in contacts}
        assert {c.key for c in build_timeline(e.template, e.start_date)} <= keys
        assert sorted(i.code for i in items) == sorted(b.code for b in e.template.booklet)
        assert prescriptions[0].from_week == 1
        assert prescriptions[0].session_minutes == e.template.default_session_minutes
        assert all(p.created_at < CUTOFF for p in prescriptions)
        if week_of(e.start_date, TODAY) >= 5:
            assert len(prescriptions) >= 2
        minutes = [p.session_minutes for p in prescriptions]
        watts = [p.watts for p in prescriptions]
        assert minutes == sorted(minutes) and watts == sorted(watts)


def test_past_contacts_are_recorded_and_future_ones_planned(summary):
    staff = {u.id for u in db.session.scalars(select(User).where(User.role != Role.PATIENT))}
    statuses: Counter[ContactStatus] = Counter()
    for e in _enrolments(*STARTED):
        for c in db.session.scalars(
                select(ScheduledContact).where(ScheduledContact.enrolment_id == e.id)):
            statuses[c.status] += 1
            early_end = e.state in (S.INTERRUPTED, S.REORIENTED)
            if early_end and c.due_at > e.ended_at:
                assert c.status == ContactStatus.CANCELLED
                continue
            assert c.status != ContactStatus.CANCELLED
            if e.state == S.SUSPENDED and (e.suspended_on <= _local_day(c.due_at)
                                           <= e.suspension_review_on):
                assert c.status == ContactStatus.SUSPENDED, c.key  # nobody was to call
                continue
            if c.due_at >= CUTOFF:
                assert c.status == ContactStatus.PLANNED, c.key
            elif c.window_closes <= CUTOFF:
                assert c.status in (ContactStatus.DONE, ContactStatus.MISSED), c.key
            if c.status == ContactStatus.DONE:
                assert c.window_opens <= c.done_at < c.window_closes and c.done_at < CUTOFF
                assert c.recorded_by_id in staff and c.outcome["reached"] is True
                if c.kind == ContactKind.WEEKLY_CALL:
                    assert isinstance(c.outcome["sessions_per_week"], int)
                    assert c.outcome["difficulties"] and c.outcome["benefits"]
            elif c.status == ContactStatus.MISSED:
                assert c.done_at is None and c.outcome == {"reached": False}
                assert c.attempts >= 2
            else:
                assert c.done_at is None and c.recorded_by_id is None
    closed = statuses[ContactStatus.DONE] + statuses[ContactStatus.MISSED]
    assert statuses[ContactStatus.DONE] / closed >= 0.8, statuses
    assert statuses[ContactStatus.MISSED] >= 5 and statuses[ContactStatus.PLANNED] >= 100


def test_activity_stays_within_each_programme(summary):
    by_enrolment = {e.id: e for e in _enrolments()}
    last_day: dict[int, date] = {}
    for e in by_enrolment.values():
        end = _local_day(e.ended_at) if e.ended_at else TODAY
        last_day[e.id] = min(end, TODAY) - timedelta(days=1)
    for s in db.session.scalars(select(ErgoSession)):
        e = by_enrolment[s.enrolment_id]
        assert e.state in STARTED and s.patient_id == e.patient_id
        assert e.start_date <= s.day <= last_day[e.id] and s.day == _local_day(s.started_at)
        assert s.started_at <= s.received_at < CUTOFF
        assert len(s.payload_digest) == 64 and s.client_id.version == 4
        assert s.source in (SessionSource.GUIDED, SessionSource.MANUAL)
        assert 300 <= s.duration_s <= 3600 and s.watts > 0
        assert s.hr_rest < s.hr_mean < s.hr_max
        respiratory = e.programme_code == RESPIRATORY.code
        assert (s.dyspnoea is not None) == respiratory and (s.pain_eva is None) == respiratory
    for model, field in ((BookletEntry, "day"), (HealthEvent, "occurred_on")):
        for row in db.session.scalars(select(model)):
            e = by_enrolment[row.enrolment_id]
            assert e.start_date <= getattr(row, field) <= last_day[e.id]
            assert row.received_at < CUTOFF
    for q in db.session.scalars(select(QuestionnaireResponse)):
        e = by_enrolment[q.enrolment_id]
        assert e.start_date <= _local_day(q.answered_at) <= last_day[e.id]
    for model in (BookletEntry, HealthEvent, QuestionnaireResponse):
        assert _count(model) > 0


def test_weekly_volume_follows_the_templates(summary):
    intervention: dict[str, list[float]] = defaultdict(list)
    follow_up: list[float] = []
    for e in _enrolments(S.FOLLOW_UP, S.COMPLETED):
        weeks = Counter(week_of(e.start_date, d) for d in _session_days(e))
        iw = e.template.intervention_weeks
        intervention[e.programme_code].append(sum(weeks[w] for w in range(1, iw + 1)) / iw)
        if e.programme_code == RESPIRATORY.code:
            follow_up.append(sum(weeks[w] for w in range(iw + 1, iw + 13)) / 12)
    assert 3.5 <= statistics.median(intervention[RESPIRATORY.code]) <= 6
    assert 1.5 <= statistics.median(intervention[LOW_BACK_PAIN.code]) <= 3
    assert statistics.mean(follow_up) < statistics.mean(intervention[RESPIRATORY.code])
    # Several patients keep less than 3 sessions a week in the follow-up.
    below = [e for e in _enrolments(S.FOLLOW_UP)
             if sum(d >= TODAY - timedelta(days=14) for d in _session_days(e)) < 6]
    assert len(below) >= 3


def test_heart_rate_samples_match_their_sessions(summary):
    sampled = list(db.session.scalars(select(ErgoSession).where(ErgoSession.hr_sample_count > 0)))
    series = samples_store.read_series([s.id for s in sampled], samples_store.HEART_RATE)
    assert len(sampled) >= 20 and {s.id for s in sampled} == set(series)
    for s in sampled:
        pairs = series[s.id]
        assert len(pairs) == s.hr_sample_count == s.duration_s // 2
        assert pairs[0][0] == 0 and pairs[-1][0] == 2 * (len(pairs) - 1)
        assert max(v for _o, v in pairs) == s.hr_max and s.source == SessionSource.GUIDED
        assert s.hr_above_ceiling_s is not None and s.hr_in_zone_s is not None
        assert s.day >= TODAY - timedelta(days=14)


def test_some_running_patients_drift_toward_rupture(summary):
    running = _enrolments(*RUNNING_STATES)
    # A session above the patient's heart-rate ceiling.
    over = db.session.execute(
        select(ErgoSession.id).join(Patient, Patient.id == ErgoSession.patient_id)
        .where(ErgoSession.hr_max > Patient.hr_ceiling)).all()
    assert over
    # An active respiratory patient falling under 4 sessions in the last 7 days after
    # keeping at least 4 a week before.
    fading = []
    for e in running:
        days = _session_days(e)
        if e.state != S.ACTIVE or e.programme_code != RESPIRATORY.code:
            continue
        if (TODAY - e.start_date).days < 28:
            continue
        earlier = [d for d in days if d < TODAY - timedelta(days=21)]
        weeks_before = ((TODAY - timedelta(days=21)) - e.start_date).days / 7
        recent = [d for d in days if d >= TODAY - timedelta(days=7)]
        if len(recent) < 4 and len(earlier) / weeks_before >= 4:
            fading.append(e)
    assert fading
    # A silence of 8 days or more.
    silent = [e for e in running if (TODAY - e.start_date).days >= 21
              and all(d < TODAY - timedelta(days=8) for d in _session_days(e))]
    assert silent
    # A low back pain patient whose pain rose 2 points or more over the first weeks.
    rising = []
    for e in _enrolments(S.ACTIVE):
        if e.programme_code != LOW_BACK_PAIN.code:
            continue
        pains = db.session.execute(
            select(ErgoSession.day, ErgoSession.pain_eva)
            .where(ErgoSession.enrolment_id == e.id)).all()
        early = [p for d, p in pains if week_of(e.start_date, d) <= 2]
        late = [p for d, p in pains if d >= TODAY - timedelta(days=14)]
        if early and late and max(late) >= statistics.mean(early) + 2:
            rising.append(e)
    assert rising
    # A recent hospitalisation during the intervention.
    hospitalised = [
        ev for ev in db.session.scalars(
            select(HealthEvent).where(HealthEvent.kind == HealthEventKind.HOSPITALISATION,
                                      HealthEvent.occurred_on >= TODAY - timedelta(days=21)))
        if db.session.get(Enrolment, ev.enrolment_id).state == S.ACTIVE]
    assert hospitalised
    # The drifters are a minority: most running patients logged in the last week.
    active_lately = [e for e in running if any(d >= TODAY - timedelta(days=7)
                                               for d in _session_days(e))]
    assert len(active_lately) >= 0.6 * len(running)


def test_health_events_and_questionnaires_are_varied(summary):
    kinds = {k for (k,) in db.session.execute(select(HealthEvent.kind).distinct())}
    assert {HealthEventKind.EXACERBATION, HealthEventKind.HOSPITALISATION} <= kinds
    assert any(ev.warning_signs for ev in db.session.scalars(select(HealthEvent)))
    instruments = {q for (q,) in db.session.execute(
        select(QuestionnaireResponse.instrument).distinct())}
    assert {Questionnaire.CRQ, Questionnaire.SATISFACTION, Questionnaire.OSWESTRY,
            Questionnaire.WEEKLY_SYMPTOMS} <= instruments


def _fingerprint() -> dict[str, Any]:
    return {
        "enrolments": [(e.patient.external_ref, e.patient.last_name, e.state, e.start_date)
                       for e in _enrolments()],
        "counts": {m.__name__: _count(m) for m in (
            User, Patient, Enrolment, EnrolmentTransition, ScheduledContact, BookletItem,
            BookletEntry, Prescription, ErgoSession, SessionSeries, HealthEvent,
            QuestionnaireResponse)},
        "contacts": dict(Counter(db.session.scalars(select(ScheduledContact.status)))),
    }


def test_a_second_call_without_reset_changes_nothing(summary):
    before = _fingerprint()
    again = build_demo_cohort(patients=PATIENTS, seed=SEED, reset=False, today=TODAY)
    assert again["created"] is False and "already" in again["message"]
    assert again["logins"] == summary["logins"]  # make run prints them every time
    assert _fingerprint() == before
    assert {k: again[k] for k in ("patients", "by_state", "sessions", "hr_samples")} == {
        k: summary[k] for k in ("patients", "by_state", "sessions", "hr_samples")}


def test_reset_rebuilds_the_same_cohort(summary):
    before = _fingerprint()
    rebuilt = build_demo_cohort(patients=PATIENTS, seed=SEED, reset=True, today=TODAY)
    assert rebuilt == summary
    assert _fingerprint() == before


def test_a_cohort_too_small_for_every_stage_is_refused(summary):
    with pytest.raises(ValueError):
        build_demo_cohort(patients=MIN_PATIENTS - 1, seed=SEED, reset=True, today=TODAY)
    assert _count(Patient) == PATIENTS


def test_the_cohort_has_scored_measures_and_outcomes(summary):
    """A newcomer sees outcomes: W0 and W12 CRQ and endurance, scored as the server scores."""
    closed = [e for e in _enrolments(S.FOLLOW_UP, S.COMPLETED)
              if e.programme_code == "respiratory_home"]
    verdicts = [measures.outcomes(e) for e in closed]
    crq = [o.instruments[0].domains[0].at_w12.verdict for o in verdicts if o.instruments]
    assert crq and all(v != Verdict.NOT_MEASURED for v in crq)
    improved = sum(v == Verdict.IMPROVED for v in crq) / len(crq)
    assert 0.4 <= improved <= 1.0, improved
    assert any(o.endurance_w12.verdict == Verdict.IMPROVED for o in verdicts)
    for response in db.session.scalars(select(QuestionnaireResponse).limit(200)):
        instrument = get_instrument(response.instrument)
        assert instrument.score(response.answers).domains == response.domain_scores
    assert all(e.activity_project_sessions for e in closed
               if any(r.timepoint == "W12" for r in db.session.scalars(
                   select(VisitReport).where(VisitReport.enrolment_id == e.id))))
