"""What the patient's tablet shows: the plan for this week and progress so far."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.clock import get_clock
from server.extensions import db
from server.models import BookletItem, Enrolment, ErgoSession, Prescription, ScheduledContact
from server.services.ingest import running_enrolment
from server.services.measures import due_questionnaires
from shared.enums import ContactStatus, EnrolmentState, Phase, SymptomScore
from shared.progress import SessionFigures, trend, weekly_progress
from shared.synthesis import OFFICE_ONLY_KEYS
from shared.timeline import phase_on, programme_dates, week_of

NEXT_CONTACTS = 3


def prescription_for_week(enrolment: Enrolment, week: int) -> Prescription | None:
    """The prescription in force in programme week ``week``."""
    return db.session.scalar(
        select(Prescription)
        .where(Prescription.enrolment_id == enrolment.id, Prescription.from_week <= max(week, 1))
        .order_by(Prescription.from_week.desc())
        .limit(1)
    )


def patient_plan(patient_id: int) -> dict[str, Any]:
    """Phase, week, this week's prescription and targets, booklet and next contacts."""
    enrolment = running_enrolment(patient_id)
    template = enrolment.template
    clock = get_clock()
    today = clock.today()
    week = week_of(enrolment.start_date, today)
    dates = programme_dates(template, enrolment.start_date)
    prescription = prescription_for_week(enrolment, week)
    booklet = db.session.scalars(
        select(BookletItem)
        .where(BookletItem.enrolment_id == enrolment.id, BookletItem.active.is_(True))
        .order_by(BookletItem.id)
    ).all()
    contacts = db.session.scalars(
        select(ScheduledContact)
        .where(ScheduledContact.enrolment_id == enrolment.id,
               ScheduledContact.status == ContactStatus.PLANNED,
               ScheduledContact.window_closes > clock.now(),
               ScheduledContact.key.not_in(sorted(OFFICE_ONLY_KEYS)))
        .order_by(ScheduledContact.due_at)
        .limit(NEXT_CONTACTS)
    ).all()
    sessions_min, sessions_max = weekly_target(enrolment, prescription,
                                               phase_on(template, enrolment.start_date, today))
    return {
        "programme": {"code": template.code, "title_fr": template.title_fr,
                      "title_en": template.title_en,
                      "symptom_score": template.symptom_score.value},
        "phase": phase_on(template, enrolment.start_date, today).value,
        "week": week,
        "intervention_weeks": template.intervention_weeks,
        "total_weeks": template.total_weeks,
        "start_date": enrolment.start_date,
        "intervention_end": dates.intervention_end,
        "end_date": dates.end,
        "prescription": prescription,
        "targets": {
            "sessions_min": sessions_min,
            "sessions_max": sessions_max,
            "programme_sessions_min": template.total_sessions_min,
            "programme_sessions_max": template.total_sessions_max,
        },
        "booklet": booklet,
        "next_contacts": contacts,
        "questionnaires_due": due_questionnaires(enrolment, today),
        # The tablet says so while the physician has paused the programme.
        "suspension": ({"since": enrolment.suspended_on,
                        "review_on": enrolment.suspension_review_on}
                       if enrolment.state == EnrolmentState.SUSPENDED else None),
    }


def weekly_target(enrolment: Enrolment, prescription: Prescription | None,
                  phase: Phase) -> tuple[int, int]:
    """Sessions a week to aim for: the activity project once in follow-up, else the band."""
    if phase == Phase.FOLLOW_UP and enrolment.activity_project_sessions is not None:
        return enrolment.activity_project_sessions, enrolment.activity_project_sessions
    if prescription is not None:
        return prescription.sessions_min, prescription.sessions_max
    return enrolment.template.sessions_per_week_min, enrolment.template.sessions_per_week_max


def patient_progress(patient_id: int) -> dict[str, Any]:
    """Weekly session counts against the target band, with trends of the means."""
    enrolment = running_enrolment(patient_id)
    template = enrolment.template
    clock = get_clock()
    symptom = (ErgoSession.pain_eva if template.symptom_score == SymptomScore.PAIN
               else ErgoSession.dyspnoea)
    rows = db.session.execute(
        select(ErgoSession.day, ErgoSession.duration_s, ErgoSession.watts,
               ErgoSession.hr_mean, symptom)
        .where(ErgoSession.enrolment_id == enrolment.id)
    ).all()
    figures = [
        SessionFigures(day=r[0], duration_s=r[1], watts=r[2],
                       hr_mean=r[3], symptom=r[4])
        for r in rows
    ]
    weeks = weekly_progress(template, enrolment.start_date, clock.today(), figures)
    return {
        "weeks": [dict(vars(w), status=w.status) for w in weeks],
        "total_sessions": len(figures),
        "programme_sessions_min": template.total_sessions_min,
        "programme_sessions_max": template.total_sessions_max,
        "trends": {
            "minutes_per_week": trend([w.minutes for w in weeks]),
            "mean_watts": trend([w.mean_watts for w in weeks]),
            "mean_hr": trend([w.mean_hr for w in weeks]),
            "mean_symptom": trend([w.mean_symptom for w in weeks]),
        },
    }
