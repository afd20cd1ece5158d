"""Rows of the record turned into FHIR R4 (4.0.1) resources, as plain dicts.

Pure functions: no database, no request, no translation. Each takes a row
(anything with the named attributes: a SQLAlchemy ``Row`` of the export's
column selects, or a model instance) and a :class:`Context` naming the
deployment's identifier system, and returns the resource as a ``dict`` ready
for ``json.dumps``. ``services.fhir_export`` runs the queries and feeds them.

Ids are stable: a resource type and the row's primary key (``Patient/12``,
``Observation/session-345``), so that a second export updates what a first
one created. Every resource also carries its row's identifier under the
deployment's system URL, and references between resources are relative
(``Patient/12``), as the FHIR Bulk Data files have them.

Terminology. LOINC where a code exists (each cited where it is used), else
a local CodeSystem under ``{system}/CodeSystem/...``:
- ergocycle session: the activity measures of the HL7 Physical Activity IG
  (R4, value set ``pa-observation-code-activity``): 73985-4 Exercise
  activity, 55411-3 Exercise duration, 55425-3 / 55426-1 Heart rate mean /
  maximum during the activity ("by Pedometer" in LOINC's name: the IG uses
  them for any wearable); 40443-4 Heart rate --resting (FHIR vital-signs
  heart-rate value set); 72514-3 Pain severity 0-10 verbal numeric rating.
- no LOINC code was found for the mean power of an ergocycle session (W),
  the post-session dyspnoea and effort scores (modified Borg CR10; LOINC's
  64113-4 is dyspnoea at rest), the bike's distance, the minutes in the
  prescribed heart-rate zone, nor for the constant-load endurance test and
  its parts: these are local codes.
- documents: 34133-9 Summary of episode note (syntheses), 57133-1 Referral
  note; the other kinds are local only.
- phone or video: the channel of a contact, coded with HL7 v3
  ParticipationMode (PHONE, VIDEOCONF, FACE) beside the local channel code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import gcd
from typing import Any

from shared.enums import Channel, ContactKind, ContactStatus, EnrolmentState
from shared.instruments import get_instrument
from shared.programmes import get_template
from shared.rules import FlagKind

FHIR_VERSION = "4.0.1"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_PRIORITY_EXT = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_PRIORITY = "http://terminology.hl7.org/CodeSystem/flag-priority-code"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
URN = "urn:ietf:rfc:3986"


class Whole(dict):  # type: ignore[type-arg]
    """An element built complete (a coding, a quantity): :func:`_prune` skips it, which
    halves the cost of mapping a session."""


@dataclass(frozen=True)
class Context:
    """What every mapping needs besides the row: the deployment's identifier system
    (a URL it controls, e.g. ``https://fhir.chu-exemple.fr/reprise``) and the API's root,
    where documents are downloaded."""

    system: str
    api_root: str

    def code_system(self, name: str) -> str:
        """The URL of one of Reprise's local code systems."""
        return f"{self.system}/CodeSystem/{name}"

    def identifier(self, kind: str, value: object) -> dict[str, str]:
        """A row's identifier under the deployment's system."""
        return Whole(system=f"{self.system}/{kind}", value=str(value))

    def coding(self, name: str, code: str, display: str | None = None) -> dict[str, str]:
        """A coding in one of Reprise's local code systems."""
        coding = Whole(system=self.code_system(name), code=code)
        if display:
            coding["display"] = display
        return coding


def ref(resource_type: str, resource_id: object) -> dict[str, str]:
    """A relative reference, resolved within a bundle or an export."""
    return {"reference": f"{resource_type}/{resource_id}"}


def instant(value: datetime | None) -> str | None:
    """An aware datetime as a FHIR instant/dateTime (seconds, with its offset)."""
    return value.replace(microsecond=0).isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _quantity(value: float, unit: str, code: str | None = None) -> dict[str, Any]:
    return Whole(value=value, unit=unit, system=UCUM, code=code or unit)


def _loinc(code: str, display: str) -> dict[str, Any]:
    return Whole(coding=[{"system": LOINC, "code": code, "display": display}])


def _prune(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop empty elements: FHIR forbids null values and empty arrays or objects."""
    out = {}
    for key, value in resource.items():
        if type(value) is dict:
            value = _prune(value)
        elif type(value) is list:
            value = [_prune(v) if type(v) is dict else v for v in value]
            value = [v for v in value if v is not None and v != {} and v != []]
        if value is not None and value != "" and value != {} and value != []:
            out[key] = value
    return out


# --- Patient ---------------------------------------------------------------------------

GENDERS = {"F": "female", "M": "male", "X": "unknown"}


def patient(row: Any, ctx: Context) -> dict[str, Any]:
    """Patient: identity, contact details, language; the hospital's IPP when known."""
    identifiers = [ctx.identifier("patient", row.id)]
    if row.external_ref:
        identifiers.append({
            "type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR"}]},
            "system": f"{ctx.system}/ipp", "value": row.external_ref})
    return _prune({
        "resourceType": "Patient",
        "id": str(row.id),
        "identifier": identifiers,
        "name": [{"use": "official", "family": row.last_name, "given": [row.first_name]}],
        "gender": GENDERS.get(row.sex, "unknown"),
        "birthDate": _day(row.birth_date),
        "telecom": [{"system": "phone", "value": row.phone},
                    {"system": "email", "value": row.email} if row.email else None],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47",
                                                    "code": row.locale}]},
                           "preferred": True}],
    })


# --- CarePlan: the enrolment, its sessions target and its contacts ---------------------

CAREPLAN_STATUS = {
    EnrolmentState.REQUESTED: "draft",
    EnrolmentState.DOSSIER_COMPLETE: "draft",
    EnrolmentState.VALIDATED: "draft",
    EnrolmentState.ACTIVE: "active",
    EnrolmentState.FOLLOW_UP: "active",
    EnrolmentState.SUSPENDED: "on-hold",
    EnrolmentState.COMPLETED: "completed",
    # Ended before its term (possibly replaced by another modality): revoked.
    EnrolmentState.DECLINED: "revoked",
    EnrolmentState.INTERRUPTED: "revoked",
    EnrolmentState.REORIENTED: "revoked",
}
# The plan's status -> its sessions activity's status.
SESSIONS_STATUS = {"draft": "not-started", "active": "in-progress", "on-hold": "on-hold",
                   "completed": "completed", "revoked": "stopped"}


def _contact_activity_status(statuses: list[ContactStatus], plan_status: str) -> str:
    done = statuses.count(ContactStatus.DONE)
    if done == len(statuses):
        return "completed"
    if plan_status in ("revoked", "completed"):
        return "stopped"
    if plan_status == "on-hold":
        return "on-hold"
    return "in-progress" if done else "scheduled"


def care_plan(row: Any, contacts: Iterable[Any], ctx: Context) -> dict[str, Any]:
    """CarePlan: one enrolment in a programme, with the sessions a week it targets and one
    activity per kind of contact on its timeline (done contacts as Encounter outcomes).

    ``contacts``: the enrolment's contacts (``id``, ``kind``, ``status``, ``due_at``).
    """
    template = get_template(row.programme_code, row.intervention_weeks)
    status = CAREPLAN_STATUS[EnrolmentState(row.state)]
    period: dict[str, Any] = {}
    intervention: dict[str, Any] = {}
    if row.start_date is not None:
        intervention_end = row.start_date + timedelta(weeks=template.intervention_weeks)
        period = {"start": _day(row.start_date),
                  "end": instant(row.ended_at) if row.ended_at else _day(
                      row.start_date + timedelta(weeks=template.total_weeks))}
        intervention = {"start": _day(row.start_date), "end": _day(intervention_end)}
    activities = [{"detail": {
        "code": {"coding": [ctx.coding("activity", "ergocycle-sessions",
                                       "Ergocycle sessions at home")]},
        "status": SESSIONS_STATUS[status],
        "scheduledTiming": {"repeat": {
            "boundsPeriod": intervention or None,
            "frequency": template.sessions_per_week_min,
            "frequencyMax": template.sessions_per_week_max, "period": 1, "periodUnit": "wk",
            # 55 to 60 sessions over the programme (seed 003), as a range of repetitions.
            "count": template.total_sessions_min, "countMax": template.total_sessions_max}},
    }}]
    by_kind: dict[ContactKind, list[Any]] = {}
    for contact in contacts:
        by_kind.setdefault(ContactKind(contact.kind), []).append(contact)
    for kind, rows in by_kind.items():
        done = [c for c in rows if c.status == ContactStatus.DONE]
        activities.append({
            "outcomeReference": [ref("Encounter", c.id) for c in done]
            if kind != ContactKind.SYNTHESIS else [],
            "detail": {
                "kind": "Appointment" if kind != ContactKind.SYNTHESIS else None,
                "code": {"coding": [ctx.coding("contact-kind", kind.value)]},
                "status": _contact_activity_status([ContactStatus(c.status) for c in rows],
                                                   status),
                "scheduledTiming": {"repeat": {
                    "count": len(rows),
                    "boundsPeriod": {"start": instant(min(c.due_at for c in rows)),
                                     "end": instant(max(c.due_at for c in rows))}}},
            }})
    return _prune({
        "resourceType": "CarePlan",
        "id": str(row.id),
        "identifier": [ctx.identifier("enrolment", row.id)],
        "status": status,
        "intent": "plan",
        "category": [{"coding": [ctx.coding("programme", template.code, template.title_en)]}],
        "title": template.title_fr,
        "subject": ref("Patient", row.patient_id),
        "period": period,
        "created": instant(row.requested_at),
        "activity": activities,
        "note": [{"text": row.end_reason}] if row.end_reason else [],
    })


# --- Encounter (done) and Appointment (to come, missed, cancelled) ----------------------

# Phone and video are counted apart (seed 003 indicators): v3 ParticipationMode codes.
CHANNEL_MODE = {Channel.PHONE: ("PHONE", "telephone"),
                Channel.VIDEO: ("VIDEOCONF", "videoconferencing"),
                Channel.HOME: ("FACE", "face-to-face"),
                Channel.CLINIC: ("FACE", "face-to-face"),
                Channel.OFFICE: ("FACE", "face-to-face")}
# Encounter.class (v3 ActCode): virtual for calls, home health for visits at home.
CHANNEL_CLASS = {Channel.PHONE: ("VR", "virtual"), Channel.VIDEO: ("VR", "virtual"),
                 Channel.HOME: ("HH", "home health"), Channel.CLINIC: ("AMB", "ambulatory"),
                 Channel.OFFICE: ("AMB", "ambulatory")}


def _channel(channel: Channel, ctx: Context) -> dict[str, Any]:
    code, display = CHANNEL_MODE[channel]
    return {"coding": [{"system": PARTICIPATION_MODE, "code": code, "display": display},
                       ctx.coding("contact-channel", channel.value)]}


def encounter(row: Any, ctx: Context) -> dict[str, Any]:
    """Encounter: a contact that took place (a call, a visit, a consultation)."""
    channel = Channel(row.channel)
    code, display = CHANNEL_CLASS[channel]
    return _prune({
        "resourceType": "Encounter",
        "id": str(row.id),
        "identifier": [ctx.identifier("contact", row.id)],
        "status": "finished",
        "class": {"system": ACT_CODE, "code": code, "display": display},
        "type": [{"coding": [ctx.coding("contact-kind", ContactKind(row.kind).value)]},
                 _channel(channel, ctx)],
        "subject": ref("Patient", row.patient_id),
        "period": {"start": instant(row.done_at)},
    })


APPOINTMENT_STATUS = {ContactStatus.PLANNED: "proposed", ContactStatus.MISSED: "noshow",
                      ContactStatus.CANCELLED: "cancelled",
                      # Due while the programme was suspended: it will not take place.
                      ContactStatus.SUSPENDED: "cancelled"}
PARTICIPANT_STATUS = {"proposed": "needs-action", "noshow": "accepted",
                      "cancelled": "declined"}


def appointment(row: Any, ctx: Context) -> dict[str, Any]:
    """Appointment: a contact of the timeline not (yet) done, requested within its window."""
    status = APPOINTMENT_STATUS[ContactStatus(row.status)]
    # A proposed or cancelled appointment may have no time; a missed one had its due time.
    when = ({"start": instant(row.due_at), "end": instant(row.due_at)}
            if status == "noshow" else {})
    return _prune({
        "resourceType": "Appointment",
        "id": str(row.id),
        "identifier": [ctx.identifier("contact", row.id)],
        "status": status,
        "cancelationReason": {"coding": [ctx.coding("contact-status", row.status)]}
        if status == "cancelled" else None,
        "serviceType": [{"coding": [ctx.coding("contact-kind", ContactKind(row.kind).value)]}],
        "appointmentType": _channel(Channel(row.channel), ctx),
        **when,
        "requestedPeriod": [{"start": instant(row.window_opens),
                             "end": instant(row.window_closes)}],
        "supportingInformation": [ref("CarePlan", row.enrolment_id)],
        "participant": [{"actor": ref("Patient", row.patient_id), "required": "required",
                         "status": PARTICIPANT_STATUS[status]}],
    })


# --- Observation: ergocycle sessions and endurance tests -------------------------------

def _component(code: dict[str, Any], value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    key = "valueQuantity" if isinstance(value, dict) else "valueInteger"
    return Whole({"code": code, key: value})


def _local(ctx: Context, code: str, display: str) -> dict[str, Any]:
    return Whole(coding=[ctx.coding("observation", code, display)])


def session_observation(row: Any, ctx: Context) -> dict[str, Any]:
    """Observation: one ergocycle session with its duration, heart rate, power and scores."""
    per_min = "/min"
    end = row.started_at + timedelta(seconds=row.duration_s)
    components = [
        # LOINC 55411-3 Exercise duration (HL7 Physical Activity IG, activity measures).
        _component(_loinc("55411-3", "Exercise duration"),
                   _quantity(round(row.duration_s / 60, 2), "min")),
        # LOINC 40443-4 Heart rate --resting (FHIR vital-signs heart-rate value set).
        _component(_loinc("40443-4", "Heart rate --resting"),
                   None if row.hr_rest is None else _quantity(row.hr_rest, per_min)),
        # LOINC 55425-3 / 55426-1: heart rate mean / maximum over the activity (PA IG).
        _component(_loinc("55425-3", "Heart rate unspecified time mean by Pedometer"),
                   None if row.hr_mean is None else _quantity(row.hr_mean, per_min)),
        _component(_loinc("55426-1", "Heart rate unspecified time maximum by Pedometer"),
                   None if row.hr_max is None else _quantity(row.hr_max, per_min)),
        # No LOINC code for an ergocycle session's mean power, distance or zone time: local.
        _component(_local(ctx, "mean-power", "Mean power"),
                   None if row.watts is None else _quantity(row.watts, "W")),
        _component(_local(ctx, "distance", "Distance on the bike's odometer"),
                   None if row.distance_km is None else _quantity(row.distance_km, "km")),
        _component(_local(ctx, "resistance", "Resistance level"), row.resistance),
        _component(_local(ctx, "hr-in-zone", "Time in the prescribed heart-rate zone"),
                   None if row.hr_in_zone_s is None else _quantity(row.hr_in_zone_s, "s")),
        _component(_local(ctx, "hr-above-ceiling", "Time above the heart-rate ceiling"),
                   None if row.hr_above_ceiling_s is None
                   else _quantity(row.hr_above_ceiling_s, "s")),
        # Modified Borg CR10 after the session: LOINC has dyspnoea at rest only (64113-4).
        _component(_local(ctx, "dyspnoea-borg", "Dyspnoea after the session (Borg CR10)"),
                   row.dyspnoea),
        _component(_local(ctx, "effort", "Perceived effort (0-10)"), row.effort),
        # LOINC 72514-3 Pain severity - 0-10 verbal numeric rating [Score] - Reported.
        _component(_loinc("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - "
                                     "Reported"), row.pain_eva),
    ]
    return _prune({
        "resourceType": "Observation",
        "id": f"session-{row.id}",
        "identifier": [ctx.identifier("ergo-session", row.id),
                       {"system": URN, "value": f"urn:uuid:{row.client_id}"}],
        "basedOn": [ref("CarePlan", row.enrolment_id)],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "activity"}]}],
        # LOINC 73985-4 Exercise activity (PA IG), the kind of activity as its value.
        "code": {"coding": [{"system": LOINC, "code": "73985-4",
                             "display": "Exercise activity"},
                            ctx.coding("observation", "ergocycle-session", "Ergocycle session")]},
        "subject": ref("Patient", row.patient_id),
        "effectivePeriod": {"start": instant(row.started_at), "end": instant(end)},
        "issued": instant(row.received_at),
        "valueCodeableConcept": {"coding": [ctx.coding("activity-type", "ergocycle",
                                                       "Stationary bicycle")]},
        "method": {"coding": [ctx.coding("session-source", str(row.source))]},
        "note": [{"text": row.notes}] if row.notes else [],
        "hasMember": [ref("Observation", series_id(row.id, signal))
                      for signal, present in (("hr", row.has_hr), ("power", row.has_power))
                      if present],
        "component": components,
    })


# The per-second series a strap or a bike recorded: LOINC 8867-4 Heart rate (the vital-signs
# code); the bike's power has no LOINC code (local).
SIGNALS = {"hr": ({"coding": [{"system": LOINC, "code": "8867-4", "display": "Heart rate"}]},
                  "vital-signs", ("/min", "/min")),
           "power": (None, "activity", ("W", "W"))}


def series_id(session_id: int, signal: str) -> str:
    """The id of the Observation holding one signal of a session."""
    return f"session-{session_id}-{signal}"


def sampled_data(samples: list[tuple[int, int]], unit: str, code: str) -> dict[str, Any]:
    """Samples (seconds from the start, value) as SampledData: one value per period, the
    period the greatest common step of the offsets, "E" where a second has no sample."""
    step = 0
    for offset, _value in samples:
        step = gcd(step, offset)
    step = step or 1
    by_index = {offset // step: value for offset, value in samples}
    last = max(by_index, default=0)
    data = " ".join(str(by_index[i]) if i in by_index else "E" for i in range(last + 1))
    return {"origin": _quantity(0, unit, code), "period": step * 1000, "dimensions": 1,
            "data": data}


def series_observation(row: Any, samples: list[tuple[int, int]],
                       ctx: Context) -> dict[str, Any]:
    """Observation: one signal of a session second by second (``row``: the session's
    ``session_id``, ``patient_id``, ``enrolment_id``, ``started_at``, ``duration_s`` and the
    ``signal``), member of the session's Observation."""
    code, category, (unit, ucum) = SIGNALS[row.signal]
    end = row.started_at + timedelta(seconds=row.duration_s)
    return _prune({
        "resourceType": "Observation",
        "id": series_id(row.session_id, row.signal),
        "basedOn": [ref("CarePlan", row.enrolment_id)],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
        "code": code or _local(ctx, "power", "Power"),
        "subject": ref("Patient", row.patient_id),
        "effectivePeriod": {"start": instant(row.started_at), "end": instant(end)},
        "valueSampledData": sampled_data(samples, unit, ucum),
        "derivedFrom": [ref("Observation", f"session-{row.session_id}")],
    })


def endurance_observation(row: Any, ctx: Context) -> dict[str, Any]:
    """Observation: a constant-load ergocycle endurance test; its value is the endurance
    time (no LOINC code for the test or its parts: local codes)."""
    return _prune({
        "resourceType": "Observation",
        "id": f"endurance-{row.id}",
        "identifier": [ctx.identifier("endurance-test", row.id)],
        "basedOn": [ref("CarePlan", row.enrolment_id)],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "exam"}]}],
        "code": _local(ctx, "endurance-test", "Constant-load ergocycle endurance time"),
        "subject": ref("Patient", row.patient_id),
        "encounter": ref("Encounter", row.contact_id) if row.contact_done else None,
        "effectiveDateTime": _day(row.performed_on),
        "issued": instant(row.recorded_at),
        "valueQuantity": _quantity(row.duration_s, "s"),
        "note": [{"text": row.notes}] if row.notes else [],
        "component": [
            {"code": _local(ctx, "timepoint", "Timepoint"), "valueString": row.timepoint}
            if row.timepoint else None,
            _component(_local(ctx, "peak-power", "Peak power of the incremental test"),
                       _quantity(row.peak_watts, "W")),
            _component(_local(ctx, "load-percent", "Load, share of peak power"),
                       _quantity(row.load_percent, "%")),
            _component(_local(ctx, "load-power", "Constant load"),
                       _quantity(row.load_watts, "W")),
            _component(_local(ctx, "hr-start", "Heart rate at the start"),
                       None if row.hr_start is None else _quantity(row.hr_start, "/min")),
            _component(_local(ctx, "hr-end", "Heart rate at the end"),
                       None if row.hr_end is None else _quantity(row.hr_end, "/min")),
            _component(_local(ctx, "borg-start", "Dyspnoea at the start (Borg CR10)"),
                       row.borg_start),
            _component(_local(ctx, "borg-end", "Dyspnoea at the end (Borg CR10)"),
                       row.borg_end),
            {"code": _local(ctx, "stop-reason", "Reason for stopping"),
             "valueCodeableConcept": {"coding": [ctx.coding("endurance-stop-reason",
                                                            str(row.stop_reason))]}},
        ],
    })


# --- QuestionnaireResponse -------------------------------------------------------------

def questionnaire_response(row: Any, ctx: Context) -> dict[str, Any]:
    """QuestionnaireResponse: the answers in the instrument's item order, then the server's
    scores (per domain, total, category) as a ``scores`` group: the scores the programme
    judges outcomes on travel with the answers they come from."""
    instrument = get_instrument(row.instrument)
    answers: Mapping[str, Any] = row.answers or {}
    order = [i.code for i in instrument.items if i.code in answers]
    order += sorted(set(answers) - set(order))
    items = [{"linkId": code, "answer": [{"valueInteger": int(answers[code])}]}
             for code in order]
    scores = [{"linkId": f"score.{domain}", "answer": [{"valueDecimal": round(value, 4)}]}
              for domain, value in (row.domain_scores or {}).items() if value is not None]
    if row.score is not None:
        scores.append({"linkId": "score.total", "answer": [{"valueDecimal":
                                                             round(row.score, 4)}]})
    if row.category:
        scores.append({"linkId": "score.category", "answer": [{"valueString": row.category}]})
    if scores:
        items.append({"linkId": "scores", "text": "Scores computed by Reprise", "item": scores})
    if row.timepoint:
        items.append({"linkId": "timepoint", "answer": [{"valueString": row.timepoint}]})
    by_patient = row.recorded_by_id is None
    return _prune({
        "resourceType": "QuestionnaireResponse",
        "id": str(row.id),
        "identifier": ctx.identifier("questionnaire-response", row.id),
        "basedOn": [ref("CarePlan", row.enrolment_id)],
        "questionnaire": f"{ctx.system}/Questionnaire/{instrument.code.value}",
        "status": "completed",
        "subject": ref("Patient", row.patient_id),
        "encounter": ref("Encounter", row.contact_id) if row.contact_done else None,
        "authored": instant(row.answered_at),
        "author": ref("Patient", row.patient_id) if by_patient else None,
        "source": ref("Patient", row.patient_id) if by_patient else None,
        "item": items,
    })


# --- Flag --------------------------------------------------------------------------------

FLAG_CATEGORIES = {
    FlagKind.HEART_RATE: "safety", FlagKind.HEALTH_EVENT: "clinical",
    FlagKind.DYSPNOEA: "clinical", FlagKind.PAIN_RISE: "clinical",
    FlagKind.ADHERENCE: "behavioral", FlagKind.SILENCE: "behavioral",
    FlagKind.BOOKLET: "behavioral", FlagKind.FOLLOW_UP_RUPTURE: "behavioral",
    FlagKind.MISSED_CONTACT: "admin",
}
# Severity 1-4 (shared.rules.Severity) -> flag priority (low, medium, high).
FLAG_PRIORITIES = {1: "PL", 2: "PM", 3: "PH", 4: "PH"}
OPEN = {"open", "acknowledged", "escalated", "committee"}


def flag(row: Any, ctx: Context, describe: Callable[[str, Any], str]) -> dict[str, Any]:
    """Flag: what the rules raised, with its evidence in one line (``describe``), its
    priority, where it stands and the decision taken on it."""
    kind = FlagKind(row.kind)
    extensions = [{"url": FLAG_PRIORITY_EXT, "valueCodeableConcept": {"coding": [
        {"system": FLAG_PRIORITY, "code": FLAG_PRIORITIES.get(row.severity, "PM")}]}},
        {"url": f"{ctx.system}/StructureDefinition/flag-status",
         "valueCoding": ctx.coding("flag-status", str(row.status))}]
    if row.decision:
        extensions.append({"url": f"{ctx.system}/StructureDefinition/flag-decision",
                           "valueCoding": ctx.coding("flag-decision", str(row.decision))})
    return _prune({
        "resourceType": "Flag",
        "id": str(row.id),
        "identifier": [ctx.identifier("flag", row.id)],
        "extension": extensions,
        "status": "active" if str(row.status) in OPEN else "inactive",
        "category": [{"coding": [{"system": FLAG_CATEGORY, "code": FLAG_CATEGORIES[kind]}]}],
        "code": {"coding": [ctx.coding("flag-kind", kind.value)],
                 "text": describe(kind, row.evidence)},
        "subject": ref("Patient", row.patient_id),
        "period": {"start": instant(row.opened_at), "end": instant(row.closed_at)},
    })


# --- DocumentReference ------------------------------------------------------------------

DOCUMENT_LOINC = {
    "synthesis": ("34133-9", "Summary of episode note"),
    "referral": ("57133-1", "Referral note"),
}


def document_reference(row: Any, ctx: Context) -> dict[str, Any]:
    """DocumentReference: a file of the patient's record. The bytes stay on the server: the
    attachment points at the API's download (staff token, access-checked and audited), so
    an export carries references, not megabytes of PDF."""
    kind = str(row.kind)
    coding = [ctx.coding("document-kind", kind)]
    if kind in DOCUMENT_LOINC:
        code, display = DOCUMENT_LOINC[kind]
        coding.insert(0, {"system": LOINC, "code": code, "display": display})
    return _prune({
        "resourceType": "DocumentReference",
        "id": str(row.id),
        "identifier": [ctx.identifier("document", row.id)],
        "status": "current",
        "type": {"coding": coding},
        "subject": ref("Patient", row.patient_id),
        "date": instant(row.uploaded_at),
        "description": row.title,
        "content": [{"attachment": {
            "contentType": row.content_type,
            "url": f"{ctx.api_root}/patients/{row.patient_id}/documents/{row.id}",
            "size": row.size, "title": row.filename,
            "creation": instant(row.uploaded_at)}}],
    })


def bundle(entries: Iterable[dict[str, Any]], ctx: Context, bundle_id: str,
           timestamp: datetime) -> dict[str, Any]:
    """A ``collection`` Bundle of resources, each with a RESTful fullUrl under the API's FHIR
    base, so that the relative references between them resolve inside the bundle."""
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"lastUpdated": instant(timestamp)},
        "type": "collection",
        "timestamp": instant(timestamp),
        "entry": [{"fullUrl": f"{ctx.api_root}/fhir/{r['resourceType']}/{r['id']}",
                   "resource": r} for r in entries],
    }
