"""What a synthesis reports, gathered from the record in a fixed number of queries.

:func:`gather` reads one enrolment's record up to the last day the synthesis
reports on (its weeks, outcomes, health events, flags and decisions, contacts,
prescription, care team) and returns it as plain JSON-able data: the draft's
preview renders it live, and validation freezes it in ``Synthesis.snapshot``
so that the document never changes afterwards. Templates only format it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from server.extensions import db
from server.models import Enrolment, Flag, HealthEvent, Prescription, ScheduledContact
from server.services import measures
from server.services.care_team import members_of
from server.services.flag_text import describe
from server.services.patient_file import weekly_series
from shared.enums import ContactKind, ContactStatus, SynthesisKind
from shared.synthesis import report_until
from shared.timeline import programme_dates, week_of

CALL_KINDS = (ContactKind.WEEKLY_CALL, ContactKind.FOLLOW_UP_CALL,
              ContactKind.MICRO_PROJECT_CALL)
NEXT_CONTACTS = 6


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def gather(enrolment: Enrolment, kind: SynthesisKind, today: date) -> dict[str, Any]:
    """The record a synthesis of ``kind`` reports, up to its period's end or ``today``."""
    template = enrolment.template
    start = enrolment.start_date
    dates = programme_dates(template, start)
    until = min(report_until(kind, start, template.intervention_weeks, template.total_weeks),
                today)
    weeks = weekly_series(enrolment, template, until) if until >= start else []
    patient = enrolment.patient
    low, high = template.sessions_per_week_min, template.sessions_per_week_max
    done_weeks = [w for w in weeks if w.week <= week_of(start, until)]
    booklet = [w.booklet_share for w in done_weeks if w.booklet_share is not None]
    record: dict[str, Any] = {
        "kind": kind.value,
        "until": until.isoformat(),
        "patient": {"first_name": patient.first_name, "last_name": patient.last_name,
                    "birth_date": _iso(patient.birth_date), "sex": patient.sex,
                    "external_ref": patient.external_ref},
        "programme": {"code": template.code, "title_fr": template.title_fr,
                      "title_en": template.title_en, "start": _iso(start),
                      "intervention_end": _iso(dates.intervention_end), "end": _iso(dates.end),
                      "intervention_weeks": template.intervention_weeks,
                      "week": min(week_of(start, until), template.total_weeks),
                      "referral_source": enrolment.referral_source,
                      "state": enrolment.state.value,
                      "symptom_score": template.symptom_score.value},
        "staff": {"referent": patient.referent.full_name if patient.referent else None,
                  "physician": patient.physician.full_name if patient.physician else None},
        "target": {"low": low, "high": high,
                   "follow_up_min": enrolment.activity_project_sessions
                   or template.follow_up_min_sessions},
        "weeks": [{"week": w.week, "sessions": w.sessions, "mean_minutes": w.mean_minutes,
                   "mean_watts": w.mean_watts, "hr_rest": w.hr_rest, "hr_mean": w.hr_mean,
                   "hr_max": w.hr_max, "symptom": w.symptom,
                   "booklet_share": w.booklet_share} for w in weeks],
        "totals": {
            "sessions": sum(w.sessions for w in done_weeks),
            "weeks": len(done_weeks),
            "weeks_at_target": sum(1 for w in done_weeks if w.sessions >= low),
            "per_week": round(sum(w.sessions for w in done_weeks) / len(done_weeks), 1)
            if done_weeks else None,
            "booklet_percent": round(100 * sum(booklet) / len(booklet)) if booklet else None,
        },
        "activity_project_sessions": enrolment.activity_project_sessions,
    }
    record["outcomes"] = _outcomes(enrolment)
    record["events"] = [
        {"kind": e.kind.value, "occurred_on": _iso(e.occurred_on),
         "description": e.description, "warning_signs": list(e.warning_signs or [])}
        for e in db.session.scalars(
            select(HealthEvent).where(HealthEvent.enrolment_id == enrolment.id,
                                      HealthEvent.occurred_on <= until)
            .order_by(HealthEvent.occurred_on, HealthEvent.id))]
    record["flags"] = [
        {"kind": f.kind.value, "status": f.status.value,
         "decision": f.decision.value if f.decision else None,
         "opened_on": _iso(f.opened_at.date()), "summary": describe(f.kind, f.evidence),
         "close_reason": f.close_reason}
        for f in db.session.scalars(
            select(Flag).where(Flag.enrolment_id == enrolment.id)
            .order_by(Flag.opened_at, Flag.id))
        if f.opened_at.date() <= until]
    record.update(_contacts(enrolment, until))
    rx = db.session.scalar(
        select(Prescription)
        .where(Prescription.enrolment_id == enrolment.id,
               Prescription.from_week <= max(week_of(start, until), 1))
        .order_by(Prescription.from_week.desc()).limit(1))
    record["prescription"] = None if rx is None else {
        "session_minutes": rx.session_minutes, "watts": rx.watts,
        "modality": rx.modality.value, "sessions_min": rx.sessions_min,
        "sessions_max": rx.sessions_max, "hr_low": rx.hr_target_low,
        "hr_high": rx.hr_target_high}
    record["care_team"] = [{"role": m.role.value, "name": m.name}
                           for m in members_of(patient.id)]
    return record


def _outcomes(enrolment: Enrolment) -> dict[str, Any]:
    found = measures.outcomes(enrolment)

    def change(c: Any) -> dict[str, Any]:
        return {"before": c.before, "after": c.after, "change": c.change,
                "verdict": c.verdict.value}

    return {
        "instruments": [
            {"code": i.code.value, "title_fr": i.title_fr, "title_en": i.title_en,
             "domains": [{"title_fr": d.title_fr, "title_en": d.title_en, "unit": d.unit,
                          "values": d.values, "w12": change(d.at_w12),
                          "m12": change(d.at_m12)} for d in i.domains]}
            for i in found.instruments],
        "endurance_measured": found.endurance_measured,
        "endurance": {tp: None if t is None else {"duration_s": t.duration_s,
                                                  "load_watts": t.load_watts}
                      for tp, t in found.endurance.items()},
        "endurance_w12": change(found.endurance_w12),
        "endurance_m12": change(found.endurance_m12),
    }


def _contacts(enrolment: Enrolment, until: date) -> dict[str, Any]:
    contacts = db.session.scalars(
        select(ScheduledContact).where(ScheduledContact.enrolment_id == enrolment.id)
        .order_by(ScheduledContact.due_at, ScheduledContact.id)).all()
    past = [c for c in contacts if c.due_at.date() <= until and c.kind in CALL_KINDS]
    upcoming = [c for c in contacts if c.due_at.date() > until
                and c.status == ContactStatus.PLANNED and c.kind != ContactKind.SYNTHESIS]
    return {
        "calls": {"done": sum(1 for c in past if c.status == ContactStatus.DONE),
                  "planned": len(past)},
        "next_contacts": [{"kind": c.kind.value, "due_on": _iso(c.due_at.date()),
                           "month": c.month, "week": c.week}
                          for c in upcoming[:NEXT_CONTACTS]],
    }
