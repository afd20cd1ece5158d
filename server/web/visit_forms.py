"""The visit form, built for one visit: its contents, its instruments' items, the endurance test.

Fields only type and bound; the payload goes through the API's ``VisitReportIn``
and the service scores every answer (blank items follow each instrument's rule).
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from server.i18n import lazy_gettext as _
from server.services.messages import translate_message
from server.web.forms import choices
from shared.endurance import DEFAULT_LOAD_PERCENT, StopReason
from shared.enums import Questionnaire
from shared.instruments import Filler, Instrument, Item, instruments_for
from shared.instruments.wording import item_text

NOTE = [Optional(), Length(max=2000)]
COMPLIANCE = (("full", _("Full")), ("partial", _("Partial")), ("poor", _("Poor")))
STOP_REASONS = {
    StopReason.DYSPNOEA: _("Breathlessness"), StopReason.LEG_FATIGUE: _("Leg fatigue"),
    StopReason.DYSPNOEA_AND_LEGS: _("Breathlessness and leg fatigue"),
    StopReason.OTHER_SYMPTOM: _("Other symptom (chest pain, dizziness...)"),
    StopReason.TIME_LIMIT: _("Time limit reached"),
    StopReason.STOPPED_BY_STAFF: _("Stopped by the referent (safety)"),
    StopReason.OTHER: _("Other"),
}
ENDURANCE_FIELDS = ("performed_on", "peak_watts", "load_percent", "duration_s", "hr_start",
                    "hr_end", "borg_start", "borg_end", "stop_reason")


def item_field_name(instrument: Questionnaire, item: Item) -> str:
    """The form field of one item."""
    return f"{instrument.value}__{item.code}"


def visit_instruments(programme_code: str, timepoint: str) -> tuple[Instrument, ...]:
    """The instruments staff may enter at this visit of this programme."""
    return tuple(i for i in instruments_for(programme_code)
                 if Filler.STAFF in i.fillers
                 and timepoint in {tp.code for tp in i.due_at(programme_code)})


def _item_label(instrument: Instrument, item: Item, wording: dict, lang: str) -> str:
    domain = next((d for d in instrument.domains if d.code == item.domain), None)
    domain_title = (domain.title_fr if lang == "fr" else domain.title_en) if domain else ""
    text = item_text(wording, instrument.code, item.code,
                     item.text_fr if lang == "fr" else item.text_en, lang)
    head = f"{item.number}. {domain_title}" if domain_title else f"{item.number}."
    return f"{head} — {text}" if text and text != domain_title else head


def _item_field(instrument: Instrument, item: Item, wording: dict, lang: str) -> Any:
    label = _item_label(instrument, item, wording, lang)
    scale = item.scale
    if scale.step > 1:
        return IntegerField(label, validators=[Optional(), NumberRange(scale.low, scale.high)])
    names = scale.labels_fr if lang == "fr" else scale.labels_en
    return RadioField(label, validators=[Optional()], choices=choices(
        (str(p), f"{p} · {names[p - scale.low]}" if names else str(p)) for p in scale.points()))


class VisitForm(FlaskForm):
    """Notes; the rest is added per visit by :func:`visit_form`."""

    notes = TextAreaField(_("Notes"), validators=NOTE)

    timepoint: str
    instruments: tuple[Instrument, ...]
    with_endurance: bool

    def payload(self) -> dict[str, Any]:
        """The form as ``VisitReportIn`` reads it; an instrument left blank is not sent."""
        data: dict[str, Any] = {"notes": self.notes.data or None}
        for name in ("objectives", "compliance", "adaptation", "activity_project_sessions",
                     "certificate_given", "ergocycle_collected", "hospital_days"):
            if hasattr(self, name):
                value = getattr(self, name).data
                data[name] = value if value not in ("", None) else None
        data["questionnaires"] = []
        for instrument in self.instruments:
            answers = {item.code: int(self[item_field_name(instrument.code, item)].data)
                       for item in instrument.items
                       if self[item_field_name(instrument.code, item)].data not in (None, "")}
            if answers:
                data["questionnaires"].append({"instrument": instrument.code.value,
                                               "answers": answers})
        if self.with_endurance and self.peak_watts.data is not None:
            test = {name: self[name].data for name in ENDURANCE_FIELDS if name != "duration_s"}
            minutes, seconds = self.duration_min.data, self.duration_sec.data
            test["duration_s"] = (None if minutes is None and seconds is None
                                  else (minutes or 0) * 60 + (seconds or 0))
            test["performed_on"] = test["performed_on"].isoformat() if test["performed_on"] \
                else None
            test["stop_reason"] = test["stop_reason"] or None
            data["endurance_test"] = {k: v for k, v in test.items() if v is not None}
        return data

    def sent_instruments(self) -> list[Instrument]:
        """The instruments in the payload, in its order (to place errors back)."""
        return [i for i in self.instruments
                if any(self[item_field_name(i.code, item)].data not in (None, "")
                       for item in i.items)]


def visit_form(programme_code: str, timepoint: str, wording: dict, lang: str,
               with_endurance: bool, **kwargs: Any) -> VisitForm:
    """A form class made for this visit, instantiated."""
    fields: dict[str, Any] = {}
    if timepoint == "W0":
        fields["objectives"] = TextAreaField(_("Objectives shared with the patient"),
                                             validators=NOTE)
    if timepoint == "W6":
        fields["compliance"] = SelectField(_("Compliance"), validators=[Optional()],
                                           choices=choices([("", "—"), *COMPLIANCE]))
        fields["adaptation"] = TextAreaField(_("Adaptation of the programme"), validators=NOTE)
    if timepoint == "W12":
        fields["activity_project_sessions"] = IntegerField(
            _("Activity project (sessions a week)"),
            validators=[Optional(), NumberRange(0, 14)])
        fields["certificate_given"] = BooleanField(_("End-of-programme certificate given"))
        fields["ergocycle_collected"] = BooleanField(_("Ergocycle collected"))
    if timepoint in ("W0", "W12"):
        fields["hospital_days"] = IntegerField(
            _("Days in hospital over the 12 months before inclusion") if timepoint == "W0"
            else _("Days in hospital since inclusion"),
            validators=[Optional(), NumberRange(0, 366)])
    instruments = visit_instruments(programme_code, timepoint)
    for instrument in instruments:
        for item in instrument.items:
            fields[item_field_name(instrument.code, item)] = _item_field(
                instrument, item, wording, lang)
    if with_endurance:
        fields.update({
            "performed_on": DateField(_("Test day"), validators=[Optional()]),
            "peak_watts": IntegerField(_("Peak power (W)"), validators=[Optional()]),
            "load_percent": IntegerField(_("Load (percentage of peak)"),
                                         default=DEFAULT_LOAD_PERCENT, validators=[Optional()]),
            "duration_min": IntegerField(_("Time to exhaustion: minutes"),
                                         validators=[Optional(), NumberRange(0, 60)]),
            "duration_sec": IntegerField(_("seconds"), validators=[Optional(), NumberRange(0, 59)]),
            "hr_start": IntegerField(_("Heart rate at start (bpm)"), validators=[Optional()]),
            "hr_end": IntegerField(_("Heart rate at end (bpm)"), validators=[Optional()]),
            "borg_start": IntegerField(_("Borg dyspnoea at start (0-10)"),
                                       validators=[Optional()]),
            "borg_end": IntegerField(_("Borg dyspnoea at end (0-10)"), validators=[Optional()]),
            "stop_reason": SelectField(
                _("Reason for stopping"), validators=[Optional()],
                choices=choices([("", "—"), *((r.value, t) for r, t in STOP_REASONS.items())])),
        })
    form_class = type("VisitFormFor" + timepoint, (VisitForm,), fields)
    form = form_class(**kwargs)
    form.timepoint, form.instruments, form.with_endurance = timepoint, instruments, with_endurance
    return form


def place_errors(form: VisitForm, errors: dict[str, Any]) -> None:
    """Schema or service errors next to their fields (questionnaire items included)."""
    sent = form.sent_instruments()
    for key, value in errors.items():
        if key == "questionnaires" and isinstance(value, dict):
            for index, entry in value.items():
                instrument = sent[int(index)]
                for code, messages in (entry.get("answers") or {}).items():
                    item = instrument.item_by_code.get(code)
                    _add(form, item_field_name(instrument.code, item) if item else None,
                         messages)
            continue
        if key == "endurance_test" and isinstance(value, dict):
            for name, messages in value.items():
                _add(form, "duration_min" if name == "duration_s" else name, messages)
            continue
        _add(form, key, value)


def _add(form: VisitForm, name: str | None, messages: Any) -> None:
    listed = messages if isinstance(messages, list) else [messages]
    texts = [translate_message(str(m)) for m in listed if isinstance(m, str)]
    field = form._fields.get(name) if name else None
    if field is not None:
        field.errors = [*list(field.errors), *texts]
    else:
        form.form_errors.extend(texts)
