"""What the patient types, checked on the spot against the shared valid ranges.

Each function takes the raw texts of a form and returns either the payload
to store or, per field, a plain message naming the field and what is
expected. The ranges come from :mod:`shared.ranges`, the same the server
checks, so an item the tablet accepts is one the server accepts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from mobile.i18n import N_, _, language
from shared.enums import BookletStatus, HealthEventKind, SessionSource, WarningSign
from shared.ranges import (
    DISTANCE_KM,
    HEART_RATE,
    MAX_NOTE_LENGTH,
    RESISTANCE,
    SCORE_0_10,
    SESSION_DURATION_S,
    WATTS,
    Range,
)
from shared.timeline import PARIS

# The form asks minutes, the rule is in seconds: derive, do not restate.
DURATION_MIN = Range(max(1, SESSION_DURATION_S.low // 60), SESSION_DURATION_S.high // 60, "min")

LABELS = {
    "duration_min": N_("Duration"),
    "resistance": N_("Resistance"),
    "watts": N_("Power"),
    "distance_km": N_("Distance"),
    "hr_rest": N_("Heart rate at rest"),
    "hr_mean": N_("Mean heart rate"),
    "hr_max": N_("Maximum heart rate"),
    "effort": N_("Effort"),
    "dyspnoea": N_("Breathlessness"),
    "pain_eva": N_("Pain"),
    "notes": N_("Comment"),
    "description": N_("What happened"),
    "kind": N_("Kind of event"),
    "occurred_on": N_("Date"),
    # Names the server uses in its refusals.
    "started_at": N_("Date"),
    "day": N_("Date"),
    "duration_s": N_("Duration"),
    "item_id": N_("Exercise"),
    "id": N_("Entry"),
}

UNITS = {"bpm": N_("beats per minute"), "min": N_("minutes"), "W": N_("watts"), "km": N_("km")}


@dataclass
class FormResult:
    """The payload when every field is right, else one message per wrong field."""

    payload: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the form can be saved."""
        return not self.errors


def label(name: str) -> str:
    """The translated label of a field."""
    return _(LABELS.get(name, name))


def readable_reason(reason: str) -> str:
    """A server refusal ``"hr_max: ..."`` with the field's label instead of its API name."""
    parts = []
    for part in reason.split("; "):
        name, sep, text = part.partition(": ")
        parts.append(f"{label(name)} : {text}" if sep and name in LABELS else part)
    return "\n".join(parts)


def _range_message(name: str, bounds: Range, whole: bool) -> str:
    unit = _(UNITS[bounds.unit]) if bounds.unit in UNITS else ""
    template = (_("{field}: enter a whole number from {low} to {high} {unit}.") if whole
                else _("{field}: enter a number from {low} to {high} {unit}."))
    return " ".join(template.format(field=label(name), low=_number(bounds.low),
                                    high=_number(bounds.high), unit=unit).split()).replace(
        " .", ".")


def _number(value: float) -> str:
    text = str(int(value)) if float(value).is_integer() else str(value)
    return text.replace(".", ",") if language() == "fr" else text


def parse_number(name: str, text: str, bounds: Range, result: FormResult, *,
                 whole: bool = True, required: bool = False) -> float | int | None:
    """Read one number field into ``result``; None when left empty and optional."""
    raw = (text or "").strip().replace(",", ".")
    if not raw:
        if required:
            result.errors[name] = _("{field}: this field is required.").format(field=label(name))
        return None
    try:
        value: float | int = int(raw) if whole else float(raw)
    except ValueError:
        result.errors[name] = _range_message(name, bounds, whole)
        return None
    if not bounds.contains(value):
        result.errors[name] = _range_message(name, bounds, whole)
        return None
    return value


def _note(name: str, text: str, result: FormResult) -> str | None:
    note = (text or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        result.errors[name] = _("{field}: at most {n} characters.").format(
            field=label(name), n=MAX_NOTE_LENGTH)
    return note or None


def session_form(fields: dict[str, str], day: date, now: datetime,
                 source: SessionSource = SessionSource.MANUAL,
                 taken: Iterable[tuple[datetime, datetime]] = ()) -> FormResult:
    """An ergocycle session from the manual (or end-of-guided) form.

    ``day`` is the day the patient chose; a session of today ends now, one of
    an earlier day is placed in the afternoon of that day, in both cases ending
    before the sessions already logged that day (``taken``: their start and
    end) rather than overlapping them, which the server refuses.
    """
    result = FormResult()
    minutes = parse_number("duration_min", fields.get("duration_min", ""), DURATION_MIN, result,
                           required=True)
    values: dict[str, Any] = {}
    for name, bounds, whole in (
        ("resistance", RESISTANCE, True), ("watts", WATTS, True),
        ("distance_km", DISTANCE_KM, False), ("hr_rest", HEART_RATE, True),
        ("hr_mean", HEART_RATE, True), ("hr_max", HEART_RATE, True),
        ("effort", SCORE_0_10, True), ("dyspnoea", SCORE_0_10, True),
        ("pain_eva", SCORE_0_10, True),
    ):
        values[name] = parse_number(name, fields.get(name, ""), bounds, result, whole=whole)
    notes = _note("notes", fields.get("notes", ""), result)
    if (values["hr_mean"] is not None and values["hr_max"] is not None
            and values["hr_mean"] > values["hr_max"]):
        result.errors["hr_mean"] = _(
            "Mean heart rate: it cannot be higher than the maximum heart rate.")
    if day > now.astimezone(PARIS).date():
        result.errors["day"] = _("Date: a session cannot be in the future.")
    if not result.ok or minutes is None:
        return result
    duration_s = int(minutes * 60)
    local_now = now.astimezone(PARIS)
    end = local_now if day == local_now.date() else datetime.combine(
        day, datetime.min.time(), PARIS) + timedelta(hours=16)
    for taken_start, taken_end in sorted(taken, reverse=True):
        if taken_start < end and end - timedelta(seconds=duration_s) < taken_end:
            end = taken_start
    started = end - timedelta(seconds=duration_s)
    if started.date() != day:  # a long session typed just after midnight stays on its day
        started = datetime.combine(day, datetime.min.time(), PARIS)
    result.payload = {
        "started_at": started.isoformat(), "duration_s": duration_s, "source": source.value,
        **{k: v for k, v in values.items() if v is not None},
    }
    if notes:
        result.payload["notes"] = notes
    return result


def booklet_entry(item_id: int, day: date, status: BookletStatus, pain: float | None,
                  ) -> FormResult:
    """One exercise of the booklet ticked on ``day`` (pain from the slider, 0-10)."""
    result = FormResult()
    payload: dict[str, Any] = {"item_id": item_id, "day": day.isoformat(),
                               "status": status.value}
    if pain is not None:
        pain_value = int(round(pain))
        if not SCORE_0_10.contains(pain_value):
            result.errors["pain_eva"] = _range_message("pain_eva", SCORE_0_10, True)
        payload["pain_eva"] = pain_value
    result.payload = payload if result.ok else {}
    return result


def health_event_form(kind: str | None, day: date, today: date, description: str,
                      warning_signs: list[str]) -> FormResult:
    """A health event: its kind, its day (not in the future), what happened."""
    result = FormResult()
    if kind not in {k.value for k in HealthEventKind}:
        result.errors["kind"] = _("Kind of event: choose one of the buttons.")
    if day > today:
        result.errors["occurred_on"] = _("Date: an event cannot be in the future.")
    text = _note("description", description, result)
    signs = [s for s in warning_signs if s in {w.value for w in WarningSign}]
    if result.ok:
        result.payload = {"kind": kind, "occurred_on": day.isoformat(),
                          "warning_signs": signs}
        if text:
            result.payload["description"] = text
    return result
