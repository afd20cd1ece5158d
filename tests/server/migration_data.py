"""Rows written at each migration revision, and what they must have become at head.

``test_migrations`` walks the revisions from the first one: after upgrading to
each it calls that revision's ``write`` (plain SQL over the tables as they stood
at that revision: nothing here imports the models, which only know head), then
upgrades to head and calls every ``check`` (which may read through the models:
the live code must read what the migrations left).

Adding a revision means adding its ``RevisionData`` to ``DATA``; a test fails
until it is there. Ids are fixed and differ per revision (revision N uses
N00-N99), so that later writers and the checks can refer to them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.extensions import db
from server.models import (
    ActivityWeek,
    ApiToken,
    AuditEntry,
    BookletEntry,
    CareTeamMember,
    Document,
    EnduranceTest,
    Enrolment,
    ErgoSession,
    HealthEvent,
    IndicatorSnapshot,
    JobRun,
    Notification,
    Patient,
    Prescription,
    QuestionnaireResponse,
    ScheduledContact,
    Synthesis,
    SynthesisRecipient,
    User,
    VisitReport,
)
from server.models.flags import Flag, FlagEvent
from server.services import activity_weeks, indicators, samples, sweep_read, sweep_scope

START = date(2026, 11, 2)  # a Monday: programme week 1 of both enrolments
RESPIRATORY, LOW_BACK = 121, 122  # the enrolments written at revision 0001
WRITTEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _type_of(value: Any) -> sa.types.TypeEngine[Any] | None:
    """The column type that writes ``value`` as the models would on either database."""
    if isinstance(value, bool):
        return sa.Boolean()
    if isinstance(value, datetime):
        return sa.DateTime(timezone=True)
    if isinstance(value, date):
        return sa.Date()
    if isinstance(value, bytes):
        return sa.LargeBinary()
    if isinstance(value, uuid.UUID):
        return sa.Uuid()
    if isinstance(value, dict | list):
        return sa.JSON()
    return None


def put(conn: Connection, table: str, *rows: dict[str, Any]) -> None:
    """INSERT ``rows`` (same keys each) into ``table``, as it stands at the current revision."""
    columns = [sa.column(name, _type_of(value)) for name, value in rows[0].items()]
    conn.execute(sa.table(table, *columns).insert(), list(rows))


def day(n: int) -> date:
    """Day ``n`` of the programme (0 is the start day)."""
    return START + timedelta(days=n)


def _session(id_: int, enrolment_id: int, patient_id: int, n: int, **values: Any) -> dict[str, Any]:
    at = datetime.combine(day(n), datetime.min.time(), UTC) + timedelta(hours=9)
    return {"id": id_, "patient_id": patient_id, "enrolment_id": enrolment_id, "started_at": at,
            "day": day(n), "duration_s": 1800, "resistance": 5, "watts": 40,
            "distance_km": 8.5, "hr_rest": 70, "hr_mean": 100, "hr_max": 120,
            "dyspnoea": None, "effort": 5, "pain_eva": None, "notes": None, "source": "manual",
            "hr_sample_count": 0, "client_id": uuid.UUID(int=id_), "payload_digest": "d" * 64,
            "received_at": at + timedelta(hours=1), **values}


# --- 0001: the initial schema --------------------------------------------------------------


def write_0001(conn: Connection) -> None:
    """Staff, two patients in each template with sessions, booklet, events, contacts."""
    put(conn, "users", *[
        {"id": id_, "email": f"{role}@example.org", "full_name": f"Dr {role}", "role": role,
         "password_hash": "x", "active": True, "locale": "fr", "failed_logins": 0,
         "locked_until": None, "totp_secret": None, "created_at": WRITTEN}
        for id_, role in ((101, "referent"), (102, "physician"))])
    put(conn, "patients", *[
        {"id": id_, "first_name": "Jeanne", "last_name": name, "birth_date": date(1950, 1, 1),
         "sex": "F", "phone": "0600000000", "email": None, "external_ref": f"ref-{id_}",
         "referent_id": 101, "physician_id": 102, "hr_rest_min": 50, "hr_rest_max": 95,
         "hr_ceiling": 140, "created_at": WRITTEN}
        for id_, name in ((111, "SOUFFLE"), (112, "DOS"))])
    put(conn, "enrolments", *[
        {"id": id_, "patient_id": patient, "programme_code": code, "state": "active",
         "referral_source": "pulmonologist", "intervention_weeks": None, "dossier": {"a": 1},
         "requested_at": WRITTEN, "dossier_completed_at": None, "validated_at": WRITTEN,
         "validated_by_id": 102, "consent_at": WRITTEN, "start_date": START, "ended_at": None,
         "end_reason": None}
        for id_, patient, code in ((RESPIRATORY, 111, "respiratory_home"),
                                   (LOW_BACK, 112, "low_back_pain_home"))])
    put(conn, "enrolment_transitions", {
        "id": 123, "enrolment_id": RESPIRATORY, "action": "start", "from_state": "validated",
        "to_state": "active", "actor_id": 101, "at": WRITTEN, "reason": None})
    put(conn, "booklet_items", *[
        {"id": id_, "enrolment_id": LOW_BACK, "code": f"item{id_}", "title_fr": "Pont",
         "title_en": "Bridge", "description_fr": "…", "repetitions": 10, "sets": 2,
         "per_week": per_week, "active": active}
        for id_, per_week, active in ((131, 3, True), (132, 2, False))])
    put(conn, "ergo_sessions",
        _session(141, RESPIRATORY, 111, 0, dyspnoea=8, hr_sample_count=2),
        _session(142, RESPIRATORY, 111, 2, dyspnoea=7, hr_max=150),
        _session(143, RESPIRATORY, 111, 4, dyspnoea=3, hr_rest=60),
        _session(144, RESPIRATORY, 111, 8, dyspnoea=9),
        _session(145, LOW_BACK, 112, 1, pain_eva=4, dyspnoea=9),
        _session(146, LOW_BACK, 112, 3, pain_eva=6),
        _session(147, LOW_BACK, 112, 10, pain_eva=7))
    put(conn, "hr_samples", *[{"session_id": 141, "offset_s": s, "bpm": 90 + s}
                              for s in (0, 5)])
    put(conn, "booklet_entries", *[
        {"id": id_, "patient_id": 112, "enrolment_id": LOW_BACK, "item_id": 131, "day": day(n),
         "status": status, "pain_eva": None, "notes": None, "client_id": uuid.UUID(int=id_),
         "payload_digest": "b" * 64, "received_at": WRITTEN}
        for id_, n, status in ((151, 1, "done"), (152, 2, "partial"), (153, 3, "not_done"))])
    put(conn, "health_events", {
        "id": 161, "patient_id": 111, "enrolment_id": RESPIRATORY, "kind": "exacerbation",
        "occurred_on": day(5), "description": "toux", "warning_signs": ["fever"],
        "client_id": uuid.UUID(int=161), "payload_digest": "e" * 64, "received_at": WRITTEN})
    due = datetime.combine(day(6), datetime.min.time(), UTC) + timedelta(hours=10)
    put(conn, "scheduled_contacts", {
        "id": 171, "enrolment_id": RESPIRATORY, "key": "weekly_call:1", "kind": "weekly_call",
        "phase": "intervention", "channel": "phone", "week": 1, "month": None, "due_at": due,
        "window_opens": due - timedelta(days=1), "window_closes": due + timedelta(days=1),
        "status": "done", "attempts": 1, "done_at": due, "recorded_by_id": 101,
        "outcome": {"reached": True}, "notes": None})
    put(conn, "prescriptions", {
        "id": 181, "enrolment_id": RESPIRATORY, "from_week": 1, "session_minutes": 30,
        "watts": 40, "modality": "continuous", "work_s": None, "rest_s": None,
        "sessions_min": 4, "sessions_max": 5, "hr_target_low": None, "hr_target_high": 140,
        "notes": None, "created_by_id": 101, "created_at": WRITTEN})
    put(conn, "questionnaire_responses", {
        "id": 191, "patient_id": 111, "enrolment_id": RESPIRATORY, "instrument": "crq",
        "answered_at": WRITTEN, "answers": {"dyspnoea": 4}, "score": 4.0,
        "client_id": uuid.UUID(int=191), "payload_digest": "q" * 64, "received_at": WRITTEN})
    put(conn, "api_tokens", {
        "id": 195, "token_hash": "t" * 64, "user_id": None, "patient_id": 111,
        "label": "tablette", "created_at": WRITTEN, "expires_at": None, "last_used_at": None,
        "revoked_at": None})
    put(conn, "audit_log", {
        "id": 197, "at": WRITTEN, "actor_id": 101, "action": "read", "patient_id": 111,
        "object_type": "patient", "object_id": "111", "endpoint": "web.patient", "ip": None})


def check_0001() -> None:
    """The rows are read back by the models, with what later revisions derived from them."""
    patient = db.session.get(Patient, 111)
    assert (patient.last_name, patient.locale, patient.created_at) == ("SOUFFLE", "fr", WRITTEN)
    respiratory, low_back = db.session.get(Enrolment, RESPIRATORY), db.session.get(Enrolment,
                                                                                  LOW_BACK)
    assert (respiratory.start_date, respiratory.state.value) == (START, "active")
    # 0007: the booklet volume (active items only) and the week-1 pain baseline.
    assert (low_back.booklet_per_week, respiratory.booklet_per_week) == (3, 0)
    assert (low_back.pain_baseline, respiratory.pain_baseline) == (5.0, None)
    sessions = db.session.scalars(select(ErgoSession).where(ErgoSession.id.between(141, 147))
                                  .order_by(ErgoSession.id)).all()
    assert [s.dyspnoea for s in sessions] == [8, 7, 3, 9, 9, None, None]
    assert sessions[0].client_id == uuid.UUID(int=141) and sessions[0].safety_flag_id is None
    assert samples.read_series([141], samples.HEART_RATE) == {141: [(0, 90), (5, 95)]}
    assert [e.status.value for e in db.session.scalars(
        select(BookletEntry).order_by(BookletEntry.id))] == ["done", "partial", "not_done"]
    event = db.session.get(HealthEvent, 161)
    assert (event.kind.value, event.warning_signs, event.flag_id) == ("exacerbation", ["fever"],
                                                                      311)
    assert db.session.get(ScheduledContact, 171).outcome == {"reached": True}
    assert db.session.get(Prescription, 181).hr_target_high == 140
    assert db.session.get(QuestionnaireResponse, 191).answers == {"dyspnoea": 4}
    assert db.session.get(ApiToken, 195).patient_id == 111
    assert db.session.get(AuditEntry, 197).object_id == "111"


# --- 0002: the notifications outbox --------------------------------------------------------


def write_0002(conn: Connection) -> None:
    """An e-mail waiting in the outbox."""
    put(conn, "notifications", {
        "id": 201, "channel": "email", "user_id": 102, "patient_id": None,
        "address": "physician@example.org", "subject": "Alerte", "body": "Une alerte attend.",
        "kind": "escalation", "dedupe_key": "escalation:1", "created_at": WRITTEN,
        "status": "pending", "attempts": 0, "next_attempt_at": WRITTEN, "sent_at": None,
        "read_at": None, "last_error": None})


def check_0002() -> None:
    """The e-mail is still waiting."""
    note = db.session.get(Notification, 201)
    assert (note.address, note.status.value, note.next_attempt_at) == (
        "physician@example.org", "pending", WRITTEN)


# --- 0003: flags, job runs, the sweep's columns --------------------------------------------


def write_0003(conn: Connection) -> None:
    """A flag that reported the health event and a session, its history, a job run."""
    put(conn, "flags", *[
        {"id": id_, "patient_id": 111, "enrolment_id": RESPIRATORY, "kind": kind, "severity": 3,
         "status": "escalated", "open_key": f"111:{kind}", "evidence": evidence,
         "opened_at": WRITTEN, "updated_at": WRITTEN, "closed_at": None, "owner_id": 101,
         "escalated_to_id": 102, "decision": None, "close_reason": None}
        for id_, kind, evidence in (
            (311, "health_event", {"events": [{"event_id": 161, "kind": "exacerbation"}]}),
            (312, "heart_rate", {"sessions": [{"session_id": 342, "hr_max": 150}]}))])
    put(conn, "flag_events", {
        "id": 321, "flag_id": 311, "at": WRITTEN, "actor_id": None, "action": "opened",
        "from_status": None, "to_status": "open", "note": None})
    put(conn, "job_runs", {
        "id": 331, "job": "sweep", "period": "2026-11-20", "status": "done", "owner": "host:1",
        "started_at": WRITTEN, "finished_at": WRITTEN, "summary": {"flags_opened": 2},
        "error": None})
    put(conn, "ergo_sessions", _session(342, RESPIRATORY, 111, 9, dyspnoea=5, hr_max=150,
                                        safety_flag_id=312))
    conn.execute(sa.text("UPDATE health_events SET flag_id = 311 WHERE id = 161"))
    conn.execute(sa.table("enrolments", sa.column("id"), sa.column(
        "last_received_at", sa.DateTime(timezone=True))).update()
        .where(sa.column("id") == RESPIRATORY).values(last_received_at=WRITTEN))


def check_0003() -> None:
    """Flags, their links and history are intact."""
    flag = db.session.get(Flag, 311)
    assert (flag.kind.value, flag.status.value, flag.open_key) == (
        "health_event", "escalated", "111:health_event")
    assert flag.evidence == {"events": [{"event_id": 161, "kind": "exacerbation"}]}
    assert [e.action for e in db.session.scalars(select(FlagEvent).where(
        FlagEvent.flag_id == 311))] == ["opened"]
    assert db.session.get(ErgoSession, 342).safety_flag_id == 312
    assert db.session.get(JobRun, 331).summary == {"flags_opened": 2}
    assert db.session.get(Enrolment, RESPIRATORY).last_received_at == WRITTEN


# --- 0004: patient documents ---------------------------------------------------------------


CONTENT = b"%PDF-1.4 \x00\xff compte rendu"


def write_0004(conn: Connection) -> None:
    """A document with binary content."""
    put(conn, "documents", {
        "id": 401, "patient_id": 111, "kind": "spirometry", "title": "Spirométrie",
        "filename": "cr.pdf", "content_type": "application/pdf", "size": len(CONTENT),
        "sha256": "s" * 64, "content": CONTENT, "uploaded_by_id": 101, "uploaded_at": WRITTEN})


def check_0004() -> None:
    """Its bytes are unchanged."""
    document = db.session.get(Document, 401)
    assert (document.content, document.size) == (CONTENT, len(CONTENT))


# --- 0005: the TOTP replay guard -----------------------------------------------------------


def write_0005(conn: Connection) -> None:
    """A staff member who used a one-time code."""
    put(conn, "users", {
        "id": 501, "email": "totp@example.org", "full_name": "Dr TOTP", "role": "coordinator",
        "password_hash": "x", "active": True, "locale": "en", "failed_logins": 0,
        "locked_until": None, "totp_secret": "A" * 32, "created_at": WRITTEN,
        "totp_last_step": 59_000_000})


def check_0005() -> None:
    """The last step used is kept."""
    assert db.session.get(User, 501).totp_last_step == 59_000_000
    assert db.session.get(User, 101).totp_last_step is None


# --- 0006: the patient's language ----------------------------------------------------------


def write_0006(conn: Connection) -> None:
    """A patient who reads English."""
    put(conn, "patients", {
        "id": 601, "first_name": "John", "last_name": "BREATH", "birth_date": date(1955, 5, 5),
        "sex": "M", "phone": "0611111111", "email": None, "external_ref": None,
        "referent_id": 101, "physician_id": 102, "hr_rest_min": None, "hr_rest_max": None,
        "hr_ceiling": None, "created_at": WRITTEN, "locale": "en"})


def check_0006() -> None:
    """The language is kept."""
    assert db.session.get(Patient, 601).locale == "en"


# --- 0007: activity weeks kept at ingest -----------------------------------------------------


def write_0007(conn: Connection) -> None:
    """A week-3 session for the respiratory enrolment, with its week's row as ingest kept it."""
    put(conn, "ergo_sessions", _session(741, RESPIRATORY, 111, 15, dyspnoea=10))
    put(conn, "activity_weeks", {
        "enrolment_id": RESPIRATORY, "week": 3, "week_start": day(14), "sessions": 1,
        "high_dyspnoea": 1, "pain_sum": 0, "pain_count": 0, "booklet_credit": 0.0,
        "hr_max_peak": 120, "hr_rest_low": 70, "hr_rest_high": 70})


def check_0007() -> None:
    """The weeks of the sessions written before 0007 were computed from the raw rows."""
    weeks = _activity_weeks()
    assert weeks[RESPIRATORY, 1] == {"week_start": START, "sessions": 3, "pain_sum": 0,
                                     "pain_count": 0, "booklet_credit": 0.0, "hr_max_peak": 150,
                                     "hr_rest_low": 60, "hr_rest_high": 70, "active_days": 3,
                                     **_histogram({3: 1, 7: 1, 8: 1})}
    assert (weeks[RESPIRATORY, 2]["sessions"], weeks[RESPIRATORY, 2]["dyspnoea_9"]) == (2, 1)
    # The histogram keeps every template's scores; low back pain's rules ignore them.
    assert weeks[LOW_BACK, 1] == {"week_start": START, "sessions": 2, "pain_sum": 10,
                                  "pain_count": 2, "booklet_credit": 1.5, "hr_max_peak": 120,
                                  "hr_rest_low": 70, "hr_rest_high": 70, "active_days": 3,
                                  **_histogram({9: 1})}


# --- 0008: the dyspnoea histogram --------------------------------------------------------------


def write_0008(conn: Connection) -> None:
    """Another week-3 session, its week's row as ingest keeps it now."""
    put(conn, "ergo_sessions", _session(841, RESPIRATORY, 111, 16, dyspnoea=6))
    conn.execute(sa.text("UPDATE activity_weeks SET sessions = 2, dyspnoea_6 = 1"
                         " WHERE enrolment_id = :id AND week = 3"), {"id": RESPIRATORY})


def check_0008() -> None:
    """The week counted at 0007 became a histogram; every week is what the services compute."""
    weeks = _activity_weeks()
    assert weeks[RESPIRATORY, 3] == {"week_start": day(14), "sessions": 2, "pain_sum": 0,
                                     "pain_count": 0, "booklet_credit": 0.0, "hr_max_peak": 120,
                                     "hr_rest_low": 70, "hr_rest_high": 70, "active_days": 2,
                                     **_histogram({6: 1, 10: 1})}
    activity_weeks.rebuild()
    assert _activity_weeks() == weeks
    db.session.rollback()


def _histogram(counts: dict[int, int]) -> dict[str, int]:
    return {f"dyspnoea_{level}": counts.get(level, 0) for level in range(11)}


def _activity_weeks() -> dict[tuple[int, int], dict[str, Any]]:
    names = [c for c in activity_weeks.COLUMNS if c not in ("enrolment_id", "week")]
    return {(row.enrolment_id, row.week): {name: getattr(row, name) for name in names}
            for row in db.session.scalars(select(ActivityWeek))}


def write_0009(conn: Connection) -> None:
    """A throttled address, a second factor being enrolled, a job run retried."""
    put(conn, "login_throttle", {"address": "192.0.2.9", "window_start": WRITTEN,
                                 "attempts": 4})
    conn.execute(sa.text("UPDATE users SET totp_pending_secret = 'JBSWY3DPEHPK3PXP' "
                         "WHERE id = 101"))
    put(conn, "job_runs", {
        "id": 931, "job": "reminders", "period": "2026-11-21", "status": "failed",
        "owner": "host:2", "started_at": WRITTEN, "finished_at": WRITTEN, "summary": None,
        "error": "database restarted", "attempts": 2})


def check_0009() -> None:
    """The throttle, the pending secret and the attempts are read back; older runs count 1."""
    assert db.session.get(User, 101).totp_pending_secret == "JBSWY3DPEHPK3PXP"
    assert (db.session.get(JobRun, 931).attempts, db.session.get(JobRun, 331).attempts) == (2, 1)
    throttled = db.session.execute(sa.text("SELECT attempts FROM login_throttle "
                                           "WHERE address = '192.0.2.9'")).scalar_one()
    assert throttled == 4


def write_0010(conn: Connection) -> None:
    """A guided session with its heart-rate and power series packed (the tablet's 1 Hz)."""
    # The day before the start: no programme week counts it, the weeks stay as they were.
    put(conn, "ergo_sessions", _session(1041, RESPIRATORY, 111, -1, dyspnoea=5,
                                        hr_sample_count=3, hr_in_zone_s=2,
                                        hr_above_ceiling_s=1))
    rows = samples.series_rows(1041, {samples.HEART_RATE: [(0, 100), (1, 120), (2, 145)],
                                      samples.POWER: [(0, 40), (1, 45), (2, 50)]})
    put(conn, "session_series", *[dict(zip(samples.COLUMNS, row, strict=True)) for row in rows])


def check_0010() -> None:
    """The series and the time above the ceiling read back; the rows of 0001 were packed."""
    assert samples.read_series([1041], samples.POWER) == {1041: [(0, 40), (1, 45), (2, 50)]}
    session = db.session.get(ErgoSession, 1041)
    assert (session.hr_in_zone_s, session.hr_above_ceiling_s) == (2, 1)


def write_0011(conn: Connection) -> None:
    """A W12 visit report with its endurance test and scored CRQ; the activity project."""
    due = datetime.combine(day(80), datetime.min.time(), UTC) + timedelta(hours=10)
    put(conn, "scheduled_contacts", {
        "id": 1171, "enrolment_id": RESPIRATORY, "key": "visit:w12", "kind": "closing_visit",
        "phase": "intervention", "channel": "home", "week": 12, "month": None, "due_at": due,
        "window_opens": due - timedelta(days=3), "window_closes": due + timedelta(days=3),
        "status": "done", "attempts": 0, "done_at": due, "recorded_by_id": 101,
        "outcome": {"reached": True}, "notes": None})
    put(conn, "visit_reports", {
        "id": 1101, "enrolment_id": RESPIRATORY, "contact_id": 1171, "timepoint": "W12",
        "contents": {"activity_project_sessions": 3}, "recorded_by_id": 101,
        "recorded_at": due})
    put(conn, "endurance_tests", {
        "id": 1102, "patient_id": 111, "enrolment_id": RESPIRATORY, "contact_id": 1171,
        "timepoint": "W12", "performed_on": day(80), "peak_watts": 60, "load_percent": 80,
        "load_watts": 48, "duration_s": 420, "hr_start": 80, "hr_end": 128, "borg_start": 1,
        "borg_end": 6, "stop_reason": "dyspnoea", "notes": None, "recorded_by_id": 101,
        "recorded_at": due})
    conn.execute(sa.text("UPDATE questionnaire_responses SET timepoint = 'W0', "
                         "domain_scores = '{\"DY\": 4.0}' WHERE id = 191"))
    conn.execute(sa.text(f"UPDATE enrolments SET activity_project_sessions = 3 "
                         f"WHERE id = {RESPIRATORY}"))


def check_0011() -> None:
    """The visit, its test and the project are read back by the models."""
    enrolment = db.session.get(Enrolment, RESPIRATORY)
    assert enrolment.activity_project_sessions == 3
    test = db.session.get(EnduranceTest, 1102)
    assert (test.duration_s, test.load_watts, test.contact_id) == (420, 48, 1171)
    report = db.session.get(VisitReport, 1101)
    assert (report.timepoint, report.contents) == ("W12", {"activity_project_sessions": 3})
    response = db.session.get(QuestionnaireResponse, 191)
    assert (response.timepoint, response.domain_scores) == ("W0", {"DY": 4.0})


def write_0012(conn: Connection) -> None:
    """The low back pain enrolment paused by the physician; its work status at inclusion."""
    conn.execute(sa.text(
        "UPDATE enrolments SET state = 'suspended', suspended_on = :on, "
        "suspension_review_on = :review, suspension_reason = 'Chute', "
        "work_status = 'sick_leave' WHERE id = :id"),
        {"on": day(20), "review": day(34), "id": LOW_BACK})


def check_0012() -> None:
    """The pause and the work status are read back; booklet days count as active days."""
    enrolment = db.session.get(Enrolment, LOW_BACK)
    assert (enrolment.state, enrolment.suspended_on, enrolment.suspension_review_on,
            enrolment.work_status) == ("suspended", day(20), day(34), "sick_leave")
    assert _activity_weeks()[LOW_BACK, 1]["active_days"] == 3


def write_0013(conn: Connection) -> None:
    """A GP on a secure messaging address, a sent synthesis filed and e-mailed to them."""
    put(conn, "care_team_members", {
        "id": 1301, "patient_id": 111, "role": "general_practitioner", "name": "Dr Martin",
        "email": "martin@medecin.mssante.fr", "secure_messaging": True, "phone": None,
        "postal_address": "1 rue de la Paix, 75002 Paris", "receives_syntheses": True,
        "created_at": WRITTEN, "removed_at": None})
    put(conn, "documents", {
        "id": 1302, "patient_id": 111, "kind": "synthesis", "title": "Synthèse initiale",
        "filename": "synthese.pdf", "content_type": "application/pdf", "size": 8,
        "sha256": "s" * 64, "content": b"%PDF-1.7", "uploaded_by_id": 101,
        "uploaded_at": WRITTEN})
    put(conn, "syntheses", {
        "id": 1303, "patient_id": 111, "enrolment_id": RESPIRATORY, "kind": "initial",
        "version": 1, "state": "sent", "sections": {"summary": "Bon départ."},
        "snapshot": {"kind": "initial"}, "created_by_id": 101, "created_at": WRITTEN,
        "updated_at": WRITTEN, "reason": None, "submitted_at": WRITTEN,
        "validated_by_id": 101, "validated_at": WRITTEN, "cosigned_by_id": None,
        "cosigned_at": None, "sent_by_id": 101, "sent_at": WRITTEN, "document_id": 1302})
    put(conn, "notifications", {
        "id": 1304, "channel": "email", "user_id": None, "patient_id": 111,
        "address": "martin@medecin.mssante.fr", "subject": "Synthèse", "body": "Ci-joint.",
        "kind": "synthesis", "dedupe_key": "synthesis:1303:1301", "created_at": WRITTEN,
        "status": "pending", "attempts": 0, "next_attempt_at": WRITTEN, "sent_at": None,
        "read_at": None, "last_error": None, "document_id": 1302})
    put(conn, "synthesis_recipients", {
        "id": 1305, "synthesis_id": 1303, "care_team_member_id": 1301,
        "channel": "secure_email", "name": "Dr Martin", "role": "general_practitioner",
        "address": "martin@medecin.mssante.fr", "notification_id": 1304, "posted_at": None,
        "posted_by_id": None})


def check_0013() -> None:
    """Running enrolments got the new synthesis contacts (a closed window cancelled); the
    synthesis, its document, recipient and outbox attachment read back."""
    contacts = {(c.enrolment_id, c.key): c for c in db.session.scalars(
        select(ScheduledContact).where(ScheduledContact.key.like("synthesis:%")))}
    for enrolment_id in (RESPIRATORY, LOW_BACK):
        assert {"synthesis:w0", "synthesis:w6", "synthesis:w12"} <= {
            key for eid, key in contacts if eid == enrolment_id}
    initial = contacts[RESPIRATORY, "synthesis:w0"]
    assert initial.status == "cancelled"  # its window closed before the migration ran
    assert initial.due_at == datetime(2026, 11, 9, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    assert db.session.get(CareTeamMember, 1301).secure_messaging is True
    synthesis = db.session.get(Synthesis, 1303)
    assert (synthesis.kind, synthesis.state, synthesis.document_id) == ("initial", "sent", 1302)
    assert db.session.get(SynthesisRecipient, 1305).notification_id == 1304
    assert db.session.get(Notification, 1304).document_id == 1302


def write_0014(conn: Connection) -> None:
    """Days in hospital reported at the W12 visit written at revision 0011."""
    conn.execute(sa.text("UPDATE scheduled_contacts SET hospital_days = 6 WHERE id = 1171"))


def check_0014() -> None:
    """The days are read back; contacts written before the revision report none."""
    assert db.session.get(ScheduledContact, 1171).hospital_days == 6
    assert db.session.scalar(select(sa.func.count()).select_from(ScheduledContact).where(
        ScheduledContact.hospital_days.is_not(None))) == 1


def write_0015(conn: Connection) -> None:
    """A reinforcement visit done in the low back pain follow-up, written at revision 0015."""
    due = datetime.combine(day(150), datetime.min.time(), UTC) + timedelta(hours=10)
    put(conn, "scheduled_contacts", {
        "id": 1501, "enrolment_id": LOW_BACK, "key": "reinforcement_visit:4",
        "kind": "reinforcement_visit", "phase": "follow_up", "channel": "home", "week": None,
        "month": 4, "due_at": due, "window_opens": due - timedelta(days=7),
        "window_closes": due + timedelta(days=7), "status": "done", "attempts": 0,
        "done_at": due, "recorded_by_id": 101, "outcome": {"reached": True}, "notes": None})


def check_0015() -> None:
    """The sweep's question finds that visit, and only it, through the partial index."""
    assert set(db.session.scalars(sweep_read.reinforcement_visits())) == {LOW_BACK}
    indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("scheduled_contacts")}
    assert "ix_scheduled_contacts_reinforced" in indexes


def write_0016(conn: Connection) -> None:
    """The indicators of 2026 as the nightly job left them, written at revision 0016."""
    put(conn, "indicator_snapshots", {
        "year": 2026, "computed_at": WRITTEN,
        "tables": [{"programme": "respiratory_home", "figures": []}]})


def check_0016() -> None:
    """The snapshot reads back, and is taken for stale: its figures are not today's list."""
    row = db.session.get(IndicatorSnapshot, 2026)
    assert (row.computed_at, row.tables[0]["programme"]) == (WRITTEN, "respiratory_home")
    assert indicators.stored(2026) is None


def write_0017(conn: Connection) -> None:
    """A sweep's run, and an enrolment changed after it, written at revision 0017."""
    put(conn, "sweep_runs", {"id": 1701, "day": WRITTEN.date(), "started_at": WRITTEN,
                             "full": True, "rules": "0" * 64, "examined": 2})
    conn.execute(sa.text("UPDATE enrolments SET facts_changed_at = :at WHERE id = :id"),
                 {"at": WRITTEN + timedelta(hours=1), "id": RESPIRATORY})


def check_0017() -> None:
    """The mark reads back; a run under other rules than today's calls for a full sweep."""
    assert db.session.get(Enrolment, RESPIRATORY).facts_changed_at == WRITTEN + timedelta(
        hours=1)
    assert db.session.get(Enrolment, LOW_BACK).facts_changed_at is None
    assert sweep_scope.plan(WRITTEN.date() + timedelta(days=1)).full
    indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("flag_events")}
    assert "ix_flag_events_staff_at" in indexes


@dataclass(frozen=True)
class RevisionData:
    """What a revision's data test writes (at that revision) and checks (at head)."""

    write: Callable[[Connection], None]
    check: Callable[[], None]


DATA: dict[str, RevisionData] = {
    "0001": RevisionData(write_0001, check_0001),
    "0002": RevisionData(write_0002, check_0002),
    "0003": RevisionData(write_0003, check_0003),
    "0004": RevisionData(write_0004, check_0004),
    "0005": RevisionData(write_0005, check_0005),
    "0006": RevisionData(write_0006, check_0006),
    "0007": RevisionData(write_0007, check_0007),
    "0008": RevisionData(write_0008, check_0008),
    "0009": RevisionData(write_0009, check_0009),
    "0010": RevisionData(write_0010, check_0010),
    "0011": RevisionData(write_0011, check_0011),
    "0012": RevisionData(write_0012, check_0012),
    "0013": RevisionData(write_0013, check_0013),
    "0014": RevisionData(write_0014, check_0014),
    "0015": RevisionData(write_0015, check_0015),
    "0016": RevisionData(write_0016, check_0016),
    "0017": RevisionData(write_0017, check_0017),
}
