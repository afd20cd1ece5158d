"""Questionnaires and endurance tests: validated and scored on the server, read as outcomes.

Every answer is checked item by item against its instrument's definition
(``shared.instruments``) and scored here; a score sent by a client is never
read. The tablet learns from the plan which instruments are due (timepoint
windows); staff enter them at visits. Outcomes compare W0 with W12 (and 12
months) per domain against the MCID.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select

from server.clock import get_clock, utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import (
    EnduranceTest,
    Enrolment,
    QuestionnaireResponse,
    ScheduledContact,
    User,
)
from server.services.access import READ, WRITE, get_enrolment
from server.services.errors import Invalid
from shared.endurance import ENDURANCE_TIMEPOINTS, load_watts
from shared.enums import ContactKind, Questionnaire
from shared.instruments import (
    AnswerProblem,
    Domain,
    Filler,
    Instrument,
    InvalidAnswers,
    Score,
    get_instrument,
    instruments_for,
)
from shared.instruments.timepoints import window_on
from shared.instruments.wording import item_text, load_wording
from shared.outcomes import Change, compare, compare_endurance

Row = dict[str, Any]

# The visit a contact is, as a timepoint of the instruments.
VISIT_TIMEPOINTS = {ContactKind.INCLUSION_VISIT: "W0", ContactKind.HOME_VISIT: "W6",
                    ContactKind.CLOSING_VISIT: "W12"}
# Of the synthesis contacts, only the 12-month one measures again (the others are documents).
M12_CONTACT_KEY = "synthesis:m12"


def contact_timepoint(contact: ScheduledContact | None) -> str | None:
    """The instruments' timepoint a contact measures (W0, W6, W12, M12), or None."""
    if contact is None:
        return None
    if contact.kind == ContactKind.SYNTHESIS:
        return "M12" if contact.key == M12_CONTACT_KEY else None
    return VISIT_TIMEPOINTS.get(contact.kind)
OUTCOME_TIMEPOINTS = ("W0", "W12", "M12")


# -- checking and scoring -------------------------------------------------------------------

def _problem_text(instrument: Instrument, code: str, problem: AnswerProblem) -> str:
    if problem == AnswerProblem.UNKNOWN_ITEM:
        return _("No such item in this questionnaire.")
    if problem == AnswerProblem.NOT_A_NUMBER:
        return _("Must be a number.")
    if problem == AnswerProblem.MISSING:
        return _("This item must be answered.")
    scale = instrument.item_by_code[code].scale
    return _("Must be a whole number from %(low)s to %(high)s.", low=scale.low, high=scale.high)


def answer_errors(instrument: Instrument, error: InvalidAnswers) -> dict[str, list[str]]:
    """The problems of a set of answers as translated messages per item code."""
    return {code: [_problem_text(instrument, code, problem)]
            for code, problem in sorted(error.problems.items())}


def score_answers(instrument: Instrument, answers: Mapping[str, object]) -> Score:
    """The server's score of these answers; 422 naming each bad item otherwise."""
    try:
        return instrument.score(answers)
    except InvalidAnswers as error:
        raise Invalid(_("Invalid request:"), "invalid_answers",
                      {"answers": answer_errors(instrument, error)}) from None


def _local_day(at: datetime) -> date:
    return at.astimezone(get_clock().tz).date()


def timepoint_of(enrolment: Enrolment, instrument_timepoints: tuple, day: date) -> str | None:
    """The window ``day`` answers for this enrolment (W0, W12, week:N...), if any."""
    window = window_on(instrument_timepoints, enrolment.template, enrolment.start_date, day)
    return window.timepoint if window else None


def _scored_fields(enrolment: Enrolment, instrument: Instrument, score: Score,
                   answered_at: datetime, timepoint: str | None = None) -> Row:
    if timepoint is None and enrolment.start_date:
        timepoint = timepoint_of(enrolment, instrument.due_at(enrolment.programme_code),
                                 _local_day(answered_at))
    return {"score": score.total, "domain_scores": score.domains, "category": score.category,
            "timepoint": timepoint}


def score_batch(enrolment: Enrolment, items: list[Row]) -> dict[Any, Row]:
    """Scores of a tablet batch by client id; 422 naming ``items.<i>.answers.<item>``."""
    errors: dict[int, Any] = {}
    scored: dict[Any, Row] = {}
    for index, item in enumerate(items):
        instrument = get_instrument(item["instrument"])
        if not instrument.due_at(enrolment.programme_code):
            errors[index] = {"instrument": [_("This questionnaire is not used in this programme.")]}
            continue
        if Filler.PATIENT not in instrument.fillers:
            errors[index] = {"instrument": [_("This questionnaire is filled in by staff.")]}
            continue
        try:
            score = instrument.score(item["answers"])
        except InvalidAnswers as error:
            errors[index] = {"answers": answer_errors(instrument, error)}
            continue
        scored[item["id"]] = _scored_fields(enrolment, instrument, score, item["answered_at"])
    if errors:
        raise Invalid(_("Invalid request:"), "invalid_items", {"items": errors})
    return scored


# -- staff entries --------------------------------------------------------------------------

def visit_contact(enrolment: Enrolment, contact_id: int | None) -> ScheduledContact | None:
    """The enrolment's contact ``contact_id`` (422 when it is another patient's)."""
    if contact_id is None:
        return None
    contact = db.session.get(ScheduledContact, contact_id)
    if contact is None or contact.enrolment_id != enrolment.id:
        raise Invalid(_("Invalid request:"), "invalid_contact",
                      {"contact_id": [_("No such contact for this enrolment.")]})
    return contact


def add_questionnaire(user: User, enrolment: Enrolment, data: Row,
                      contact: ScheduledContact | None = None) -> QuestionnaireResponse:
    """Score and add (not commit) a questionnaire entered by staff."""
    instrument = get_instrument(data["instrument"])
    if not instrument.due_at(enrolment.programme_code):
        raise Invalid(_("Invalid request:"), "invalid_instrument", {"instrument": [
            _("This questionnaire is not used in this programme.")]})
    score = score_answers(instrument, data["answers"])
    answered_at = data.get("answered_at") or utcnow()
    timepoint = contact_timepoint(contact)
    answers = {code: int(value) for code, value in data["answers"].items()}
    row = QuestionnaireResponse(
        client_id=uuid.uuid4(), payload_digest="staff", received_at=utcnow(),
        patient_id=enrolment.patient_id, enrolment_id=enrolment.id,
        instrument=instrument.code, answered_at=answered_at, answers=answers,
        recorded_by_id=user.id, contact_id=contact.id if contact else None,
        **_scored_fields(enrolment, instrument, score, answered_at, timepoint))
    db.session.add(row)
    return row


def record_questionnaire(user: User, enrolment_id: int, data: Row) -> QuestionnaireResponse:
    """A questionnaire entered by staff (at a visit, or from a paper form); committed."""
    enrolment = get_enrolment(user, enrolment_id, WRITE)
    row = add_questionnaire(user, enrolment, data, visit_contact(enrolment, data.get("contact_id")))
    db.session.commit()
    return row


def add_endurance_test(user: User, enrolment: Enrolment, data: Row,
                       contact: ScheduledContact | None = None) -> EnduranceTest:
    """Add (not commit) an endurance test; the load in watts is computed here."""
    timepoint = contact_timepoint(contact)
    if timepoint is None and enrolment.start_date:
        timepoint = timepoint_of(enrolment, ENDURANCE_TIMEPOINTS, data["performed_on"])
    test = EnduranceTest(
        patient_id=enrolment.patient_id, enrolment_id=enrolment.id,
        contact_id=contact.id if contact else None, timepoint=timepoint,
        load_watts=load_watts(data["peak_watts"], data["load_percent"]),
        recorded_by_id=user.id, recorded_at=utcnow(),
        **{k: data.get(k) for k in ("performed_on", "peak_watts", "load_percent", "duration_s",
                                    "hr_start", "hr_end", "borg_start", "borg_end",
                                    "stop_reason", "notes")})
    db.session.add(test)
    return test


def record_endurance_test(user: User, enrolment_id: int, data: Row) -> EnduranceTest:
    """An endurance test entered by staff; committed."""
    enrolment = get_enrolment(user, enrolment_id, WRITE)
    test = add_endurance_test(user, enrolment, data,
                              visit_contact(enrolment, data.get("contact_id")))
    db.session.commit()
    return test


def list_questionnaires(user: User, enrolment_id: int) -> list[QuestionnaireResponse]:
    """The enrolment's questionnaires, latest first; audited."""
    enrolment = get_enrolment(user, enrolment_id, READ)
    rows = db.session.scalars(
        select(QuestionnaireResponse).where(QuestionnaireResponse.enrolment_id == enrolment.id)
        .order_by(QuestionnaireResponse.answered_at.desc(), QuestionnaireResponse.id.desc())
    ).all()
    db.session.commit()
    return list(rows)


def list_endurance_tests(user: User, enrolment_id: int) -> list[EnduranceTest]:
    """The enrolment's endurance tests, latest first; audited."""
    enrolment = get_enrolment(user, enrolment_id, READ)
    rows = db.session.scalars(
        select(EnduranceTest).where(EnduranceTest.enrolment_id == enrolment.id)
        .order_by(EnduranceTest.performed_on.desc(), EnduranceTest.id.desc())).all()
    db.session.commit()
    return list(rows)


# -- what the tablet shows -----------------------------------------------------------------

def wording() -> dict[str, dict[str, dict[str, str]]]:
    """The wording the programme installed (``INSTRUMENT_WORDING_PATH``), read once."""
    cache = current_app.extensions.setdefault("instrument_wording", {})
    path = current_app.config.get("INSTRUMENT_WORDING_PATH")
    if path not in cache:
        cache[path] = load_wording(path)
    return cache[path]


def definition(instrument: Instrument) -> Row:
    """An instrument as a form lays it out: items with number, domain, scale and wording."""
    texts = wording()
    domains = {d.code: d for d in instrument.domains}
    return {
        "code": instrument.code.value, "title_fr": instrument.title_fr,
        "title_en": instrument.title_en,
        "items": [{
            "code": item.code, "number": item.number, "domain": item.domain,
            "domain_fr": domains[item.domain].title_fr if item.domain in domains
            else instrument.title_fr,
            "domain_en": domains[item.domain].title_en if item.domain in domains
            else instrument.title_en,
            "text_fr": item_text(texts, instrument.code, item.code, item.text_fr, "fr"),
            "text_en": item_text(texts, instrument.code, item.code, item.text_en, "en"),
            "low": item.scale.low, "high": item.scale.high, "step": item.scale.step,
            "anchor_low_fr": item.scale.anchor_low_fr, "anchor_low_en": item.scale.anchor_low_en,
            "anchor_high_fr": item.scale.anchor_high_fr,
            "anchor_high_en": item.scale.anchor_high_en,
            "labels_fr": list(item.scale.labels_fr), "labels_en": list(item.scale.labels_en),
        } for item in instrument.items],
    }


def due_questionnaires(enrolment: Enrolment, today: date) -> list[Row]:
    """Instruments the patient should fill now: in a window and not yet answered for it."""
    done = {(row.instrument, row.timepoint) for row in db.session.execute(
        select(QuestionnaireResponse.instrument, QuestionnaireResponse.timepoint)
        .where(QuestionnaireResponse.enrolment_id == enrolment.id,
               QuestionnaireResponse.timepoint.is_not(None)))}
    due = []
    for instrument in instruments_for(enrolment.programme_code):
        if Filler.PATIENT not in instrument.fillers:
            continue
        window = window_on(instrument.due_at(enrolment.programme_code), enrolment.template,
                           enrolment.start_date, today)
        if window is None or (instrument.code, window.timepoint) in done:
            continue
        due.append({**definition(instrument), "timepoint": window.timepoint,
                    "opens_on": window.first.isoformat(), "closes_on": window.last.isoformat()})
    return due


# -- outcomes -------------------------------------------------------------------------------

@dataclass
class DomainOutcome:
    """One domain of one instrument over the timepoints."""

    code: str
    title_fr: str
    title_en: str
    unit: str
    values: dict[str, float | None]
    at_w12: Change
    at_m12: Change


@dataclass
class InstrumentOutcome:
    """One instrument's domains (and its risk group when it has one) over the timepoints."""

    code: Questionnaire
    title_fr: str
    title_en: str
    mcid_source: str
    domains: list[DomainOutcome]
    categories: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Outcomes:
    """The outcomes panel: questionnaires and endurance, W0 against W12 and 12 months."""

    instruments: list[InstrumentOutcome]
    endurance: dict[str, EnduranceTest | None]
    endurance_w12: Change
    endurance_m12: Change
    # Whether the programme has an endurance test at all (low back pain has none).
    endurance_measured: bool = True


def _latest_by_timepoint(rows: Iterable[Any]) -> dict[tuple[Any, str], Any]:
    latest: dict[tuple[Any, str], Any] = {}
    for row in rows:  # ordered oldest first: the latest wins
        latest[(getattr(row, "instrument", None), row.timepoint)] = row
    return latest


def _domain_outcome(domain: Domain, values: dict[str, float | None]) -> DomainOutcome:
    return DomainOutcome(domain.code, domain.title_fr, domain.title_en, domain.unit, values,
                         compare(domain, values["W0"], values["W12"]),
                         compare(domain, values["W0"], values["M12"]))


# Built once (the patient file shows the outcomes on every view), the enrolment as parameter.
_OUTCOME_TESTS = (
    select(EnduranceTest)
    .where(EnduranceTest.enrolment_id == bindparam("enrolment_id"),
           EnduranceTest.timepoint.in_(OUTCOME_TIMEPOINTS))
    .order_by(EnduranceTest.performed_on, EnduranceTest.id))


def outcomes(enrolment: Enrolment,
             answered: Iterable[QuestionnaireResponse] | None = None) -> Outcomes:
    """The enrolment's outcomes (the caller has checked access); ``answered``: all of the
    enrolment's questionnaire responses, when the caller has read them already."""
    if answered is None:
        found = db.session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.enrolment_id == enrolment.id,
                   QuestionnaireResponse.timepoint.in_(OUTCOME_TIMEPOINTS))
            .order_by(QuestionnaireResponse.answered_at, QuestionnaireResponse.id))
    else:
        found = sorted((r for r in answered if r.timepoint in OUTCOME_TIMEPOINTS),
                       key=lambda r: (r.answered_at, r.id))
    responses = _latest_by_timepoint(found)
    tests = _latest_by_timepoint(db.session.scalars(
        _OUTCOME_TESTS, {"enrolment_id": enrolment.id}))
    result = []
    for instrument in instruments_for(enrolment.programme_code):
        points = [tp.code for tp in instrument.due_at(enrolment.programme_code)
                  if tp.code in OUTCOME_TIMEPOINTS]
        if "W0" not in points:
            continue
        rows = {tp: responses.get((instrument.code, tp)) for tp in OUTCOME_TIMEPOINTS}
        domains = []
        for domain in instrument.domains:
            values = {tp: (row.domain_scores or {}).get(domain.code) if row is not None else None
                      for tp, row in rows.items()}
            domains.append(_domain_outcome(domain, values))
        if instrument.total is not None:
            domains.append(_domain_outcome(instrument.total, {
                tp: row.score if row is not None else None for tp, row in rows.items()}))
        result.append(InstrumentOutcome(
            instrument.code, instrument.title_fr, instrument.title_en, instrument.mcid_source,
            domains, {tp: row.category if row is not None else None for tp, row in rows.items()}
            if instrument.categories else {}))
    endurance = {tp: tests.get((None, tp)) for tp in OUTCOME_TIMEPOINTS}

    def seconds(tp: str) -> float | None:
        return endurance[tp].duration_s if endurance[tp] is not None else None

    return Outcomes(result, endurance, compare_endurance(seconds("W0"), seconds("W12")),
                    compare_endurance(seconds("W0"), seconds("M12")),
                    enrolment.template.endurance_test)


def enrolment_outcomes(user: User, enrolment_id: int) -> Outcomes:
    """Outcomes of an enrolment the user may read; audited."""
    enrolment = get_enrolment(user, enrolment_id, READ)
    result = outcomes(enrolment)
    db.session.commit()
    return result

