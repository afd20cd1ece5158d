"""Schemas of the patient's tablet endpoints (/api/v1/me/...)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from server.i18n import gettext as _
from server.services.validation import (
    Day,
    HeartRateSeries,
    InRange,
    Instant,
    Integer,
    Number,
    PowerSeries,
    heart_rate,
    note,
    score,
)
from shared.enums import (
    BookletStatus,
    HealthEventKind,
    Modality,
    Questionnaire,
    SessionSource,
    WarningSign,
)
from shared.ranges import (
    DISTANCE_KM,
    MAX_BATCH_ITEMS,
    RESISTANCE,
    SESSION_DURATION_S,
    WATTS,
)
from shared.samples import columns


class SessionIn(Schema):
    """One ergocycle session as the tablet sends it."""

    id = fields.UUID(required=True)
    started_at = Instant(required=True)
    duration_s = Integer(required=True, validate=InRange(SESSION_DURATION_S))
    resistance = Integer(allow_none=True, validate=InRange(RESISTANCE))
    watts = Integer(allow_none=True, validate=InRange(WATTS))
    distance_km = Number(allow_none=True, validate=InRange(DISTANCE_KM))
    hr_rest = heart_rate()
    hr_mean = heart_rate()
    hr_max = heart_rate()
    dyspnoea = score()
    effort = score()
    pain_eva = score()
    notes = note()
    source = fields.Enum(SessionSource, by_value=True, load_default=SessionSource.MANUAL)
    hr_samples = HeartRateSeries(load_default=list)
    power_samples = PowerSeries(load_default=list)

    @validates_schema
    def _coherent(self, data: dict[str, Any], **kwargs: Any) -> None:
        mean, peak = data.get("hr_mean"), data.get("hr_max")
        if mean is not None and peak is not None and mean > peak:
            raise ValidationError(_("Mean heart rate cannot exceed the maximum."), "hr_mean")
        for name in ("hr_samples", "power_samples"):
            samples = data.get(name) or ()
            if samples and columns(samples)[0][-1] > data["duration_s"]:
                raise ValidationError(_("Samples run past the end of the session."), name)


class BookletEntryIn(Schema):
    """One booklet exercise ticked on one day."""

    id = fields.UUID(required=True)
    item_id = Integer(required=True)
    day = Day(required=True)
    status = fields.Enum(BookletStatus, by_value=True, required=True)
    pain_eva = score()
    notes = note()


class HealthEventIn(Schema):
    """A health event reported from home."""

    id = fields.UUID(required=True)
    kind = fields.Enum(HealthEventKind, by_value=True, required=True)
    occurred_on = Day(required=True)
    description = note()
    warning_signs = fields.List(fields.Enum(WarningSign, by_value=True), load_default=list)


class QuestionnaireIn(Schema):
    """Answers to a questionnaire: item code to the point chosen on the item's scale.

    Each answer is checked against the instrument's definition and the server
    scores it (``services.measures``); there is no score field to send.
    """

    id = fields.UUID(required=True)
    instrument = fields.Enum(Questionnaire, by_value=True, required=True)
    answered_at = Instant(required=True)
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=Number(), required=True, validate=validate.Length(min=1, max=100),
    )


class Batch(Schema):
    """``{"items": [...]}``: the item count is checked before any item is read."""

    @pre_load
    def _bounded(self, data: Any, **kwargs: Any) -> Any:
        items = data.get("items") if isinstance(data, dict) else None
        if isinstance(items, list) and not 1 <= len(items) <= MAX_BATCH_ITEMS:
            raise ValidationError(_("Length must be between %(low)s and %(high)s.",
                                    low=1, high=MAX_BATCH_ITEMS), "items")
        return data


def batch_of(item: type[Schema], name: str) -> type[Schema]:
    """A ``{"items": [...]}`` batch schema of 1 to MAX_BATCH_ITEMS items."""
    return Batch.from_dict(
        {"items": fields.List(fields.Nested(item), required=True,
                              validate=validate.Length(min=1, max=MAX_BATCH_ITEMS))},
        name=name,
    )


SessionBatch = batch_of(SessionIn, "SessionBatch")
BookletEntryBatch = batch_of(BookletEntryIn, "BookletEntryBatch")
HealthEventBatch = batch_of(HealthEventIn, "HealthEventBatch")
QuestionnaireBatch = batch_of(QuestionnaireIn, "QuestionnaireBatch")


class StoredItem(Schema):
    """The server's receipt for one item: the client's UUID and the server's id."""

    id = fields.String()
    server_id = fields.Integer()


class BatchResult(Schema):
    """Receipts in the order the items were sent; identical when a batch is re-sent."""

    items = fields.List(fields.Nested(StoredItem))


class PrescriptionOut(Schema):
    """The ergocycle prescription in force this week."""

    from_week = fields.Integer()
    session_minutes = fields.Integer()
    watts = fields.Integer(allow_none=True)
    modality = fields.Enum(Modality, by_value=True)
    work_s = fields.Integer(allow_none=True)
    rest_s = fields.Integer(allow_none=True)
    sessions_min = fields.Integer()
    sessions_max = fields.Integer()
    hr_target_low = fields.Integer(allow_none=True)
    hr_target_high = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)


class BookletItemOut(Schema):
    """A prescribed exercise."""

    id = fields.Integer()
    code = fields.String()
    title_fr = fields.String()
    title_en = fields.String()
    description_fr = fields.String()
    repetitions = fields.Integer()
    sets = fields.Integer()
    per_week = fields.Integer()


class ContactOut(Schema):
    """A planned contact as the patient sees it."""

    id = fields.Integer()
    kind = fields.String()
    channel = fields.String()
    due_at = fields.AwareDateTime()
    window_opens = fields.AwareDateTime()
    window_closes = fields.AwareDateTime()


class SuspensionOut(Schema):
    """The physician's pause of the programme, as the tablet shows it."""

    since = fields.Date()
    review_on = fields.Date()


class PlanOut(Schema):
    """The tablet's home screen data."""

    programme = fields.Dict()
    phase = fields.String()
    week = fields.Integer()
    intervention_weeks = fields.Integer()
    total_weeks = fields.Integer()
    start_date = fields.Date()
    intervention_end = fields.Date()
    end_date = fields.Date()
    prescription = fields.Nested(PrescriptionOut, allow_none=True)
    targets = fields.Dict()
    booklet = fields.List(fields.Nested(BookletItemOut))
    next_contacts = fields.List(fields.Nested(ContactOut))
    suspension = fields.Nested(SuspensionOut, allow_none=True)
    # Instruments to fill now, each with its items laid out (works offline once cached).
    questionnaires_due = fields.List(fields.Dict())


class WeekOut(Schema):
    """One programme week of progress."""

    week = fields.Integer()
    sessions = fields.Integer()
    target_min = fields.Integer()
    target_max = fields.Integer()
    status = fields.String()
    minutes = fields.Integer()
    mean_watts = fields.Float(allow_none=True)
    mean_hr = fields.Float(allow_none=True)
    mean_symptom = fields.Float(allow_none=True)


class ProgressOut(Schema):
    """Weekly counts against target and slopes per week of the means."""

    weeks = fields.List(fields.Nested(WeekOut))
    total_sessions = fields.Integer()
    programme_sessions_min = fields.Integer()
    programme_sessions_max = fields.Integer()
    trends = fields.Dict(values=fields.Float(allow_none=True))
