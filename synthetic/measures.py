"""Demo clinical measures: questionnaires, endurance tests and visit reports for a cohort.

Realistic shares from seed 003's indicators (l.5102-5114): about 80 % of
patients improve their CRQ by at least the MCID and 75 % their endurance
time. Answers are drawn item by item and scored by ``shared.instruments``
exactly as the server scores the tablet's; rows go in through the bulk helper.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update

from server.extensions import db
from server.models import (
    EnduranceTest,
    Enrolment,
    Patient,
    QuestionnaireResponse,
    ScheduledContact,
    VisitReport,
)
from server.services.bulk import insert_rows
from server.services.measures import VISIT_TIMEPOINTS
from server.services.visits import VISIT_FIELDS
from shared.endurance import StopReason, load_watts
from shared.enums import ContactStatus, Questionnaire
from shared.instruments import Better, Instrument, get_instrument, instruments_for
from shared.instruments.timepoints import W0, W6, W12, anchor_day
from shared.timeline import PARIS, programme_dates

Row = dict[str, Any]
IMPROVED_SHARE = 0.8  # CRQ target, seed 003
ENDURANCE_IMPROVED_SHARE = 0.75
VISIT_POINTS = {"W0": W0, "W6": W6, "W12": W12}


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _at(day: date, rng: random.Random, cutoff: datetime) -> datetime:
    instant = datetime.combine(day, time(rng.randint(9, 19), rng.randint(0, 59)), PARIS)
    return min(instant, cutoff - timedelta(minutes=1))


def _draw(instrument: Instrument, level: float, rng: random.Random) -> dict[str, int]:
    """Answers around ``level`` (0 worst to 1 best) on every item's scale."""
    answers = {}
    for item in instrument.items:
        domain = next((d for d in instrument.domains if d.code == item.domain), None)
        better_high = domain is None or domain.better == Better.HIGHER
        goodness = min(1.0, max(0.0, level + rng.gauss(0, 0.12)))
        fraction = goodness if better_high else 1 - goodness
        value = item.scale.low + fraction * (item.scale.high - item.scale.low)
        step = item.scale.step
        answers[item.code] = int(min(item.scale.high, max(item.scale.low,
                                                          round(value / step) * step)))
    return answers


def _response(enrolment: Enrolment, instrument: Instrument, answers: dict[str, int],
              answered: datetime, timepoint: str, rng: random.Random,
              recorded_by: int | None = None, contact_id: int | None = None) -> Row:
    score = instrument.score(answers)
    client_id = _uuid(rng)
    return {"patient_id": enrolment.patient_id, "enrolment_id": enrolment.id,
            "instrument": instrument.code, "answered_at": answered, "answers": answers,
            "score": score.total, "domain_scores": score.domains, "category": score.category,
            "timepoint": timepoint, "recorded_by_id": recorded_by, "contact_id": contact_id,
            "client_id": client_id,
            "payload_digest": hashlib.sha256(client_id.bytes).hexdigest(),
            "received_at": answered}


def write_measures(enrolments: list[Enrolment], rng: random.Random, today: date,
                   last_days: Mapping[int, date] | None = None) -> None:
    """Questionnaires, endurance tests and visit reports of started enrolments, up to today.

    ``last_days`` gives the last day each enrolment could answer (an early end).
    Visit reports attach to the W0/W6/W12 visits already marked done.
    """
    cutoff = datetime.combine(today, time(0), PARIS)
    started = [e for e in enrolments if e.start_date is not None and e.start_date < today]
    # Every started enrolment's rows, filtered here: a list of 100,000 ids in an IN clause
    # passes PostgreSQL's limit of 65,535 parameters.
    ids = {e.id for e in started}
    referents = {row.id: row.referent_id for row in db.session.execute(
        select(Enrolment.id, Patient.referent_id).join(Patient)
        .where(Enrolment.start_date.is_not(None))) if row.id in ids}
    visits = {(row.enrolment_id, VISIT_TIMEPOINTS[row.kind]): row.id
              for row in db.session.execute(
                  select(ScheduledContact.id, ScheduledContact.enrolment_id,
                         ScheduledContact.kind)
                  .where(ScheduledContact.kind.in_(tuple(VISIT_TIMEPOINTS)),
                         ScheduledContact.status == ContactStatus.DONE))
              if row.enrolment_id in ids}
    responses: list[Row] = []
    tests: list[Row] = []
    reports: list[Row] = []
    projects: dict[int, int] = {}
    for enrolment in started:
        template = enrolment.template
        last = min(today - timedelta(days=1),
                   (last_days or {}).get(enrolment.id) or programme_dates(
                       template, enrolment.start_date).end)
        referent = referents.get(enrolment.id)
        level = rng.uniform(0.3, 0.55)
        gain = rng.uniform(0.12, 0.3) if rng.random() < IMPROVED_SHARE else rng.uniform(
            -0.06, 0.04)
        peak = rng.randint(40, 90)
        endurance_w0 = rng.randint(180, 420)
        endurance_gain = (rng.uniform(0.35, 0.9) if rng.random() < ENDURANCE_IMPROVED_SHARE
                          else rng.uniform(-0.15, 0.2))
        for instrument in instruments_for(enrolment.programme_code):
            for timepoint in instrument.due_at(enrolment.programme_code):
                if timepoint.code == "weekly":
                    continue
                day = anchor_day(timepoint, template, enrolment.start_date)
                if day > last:
                    continue
                at_visit = timepoint.code in ("W0", "W6", "W12")
                contact = visits.get((enrolment.id, timepoint.code)) if at_visit else None
                now_level = level + (gain if timepoint.code in ("W12", "M12") else 0)
                if timepoint.code == "M12":
                    now_level -= rng.uniform(0, 0.1)  # some of the gain fades over the year
                if instrument.code == Questionnaire.SATISFACTION:
                    answers = {"satisfaction": rng.choices(range(5, 11),
                                                           (1, 2, 4, 8, 10, 6))[0]}
                else:
                    answers = _draw(instrument, now_level, rng)
                responses.append(_response(
                    enrolment, instrument, answers, _at(day, rng, cutoff), timepoint.code, rng,
                    referent if contact else None, contact))
        weekly = get_instrument(Questionnaire.WEEKLY_SYMPTOMS)
        for week in range(2, template.intervention_weeks + 1, 2):
            day = enrolment.start_date + timedelta(days=7 * week - 1)
            if day > last:
                break
            responses.append(_response(
                enrolment, weekly, _draw(weekly, level + gain * week / template.intervention_weeks,
                                         rng), _at(day, rng, cutoff), f"week:{week}", rng))
        for timepoint, factor in (("W0", 1.0), ("W12", 1 + endurance_gain)):
            day = anchor_day(VISIT_POINTS[timepoint], template, enrolment.start_date)
            if day > last or not template.endurance_test:
                continue
            duration = round(endurance_w0 * factor)
            tests.append({
                "patient_id": enrolment.patient_id, "enrolment_id": enrolment.id,
                "contact_id": visits.get((enrolment.id, timepoint)), "timepoint": timepoint,
                "performed_on": day, "peak_watts": peak, "load_percent": 80,
                "load_watts": load_watts(peak, 80), "duration_s": duration,
                "hr_start": rng.randint(70, 90), "hr_end": rng.randint(110, 135),
                "borg_start": rng.randint(0, 2), "borg_end": rng.randint(5, 8),
                "stop_reason": rng.choices(list(StopReason), (5, 4, 3, 1, 1, 0.3, 0.5))[0],
                "notes": None, "recorded_by_id": referent,
                "recorded_at": _at(day, rng, cutoff)})
        for timepoint, fields in VISIT_FIELDS.items():
            contact = visits.get((enrolment.id, timepoint))
            if contact is None or referent is None:
                continue
            contents: Row = {"W0": {"objectives": "Marcher 30 minutes chaque jour"},
                             "W6": {"compliance": rng.choice(("full", "full", "partial")),
                                    "adaptation": None},
                             "W12": {"activity_project_sessions": rng.choice((3, 3, 4, 5)),
                                     "certificate_given": True, "ergocycle_collected": True},
                             }[timepoint]
            if timepoint == "W12":
                projects[enrolment.id] = contents["activity_project_sessions"]
            day = anchor_day(VISIT_POINTS[timepoint], template, enrolment.start_date)
            reports.append({"enrolment_id": enrolment.id, "contact_id": contact,
                            "timepoint": timepoint,
                            "contents": {k: contents.get(k) for k in fields},
                            "recorded_by_id": referent, "recorded_at": _at(day, rng, cutoff)})
    insert_rows(db.session, QuestionnaireResponse.__table__, responses)
    insert_rows(db.session, EnduranceTest.__table__, tests)
    insert_rows(db.session, VisitReport.__table__, reports)
    if projects:
        db.session.execute(update(Enrolment), [
            {"id": enrolment_id, "activity_project_sessions": sessions}
            for enrolment_id, sessions in projects.items()])
