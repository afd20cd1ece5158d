"""Schemas of the staff work endpoints: contacts, flags, the queue.

The outcome of a call (``ContactRecordIn``) is the services' own
(server.services.call_outcome), shared with the web form.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.services.validation import Day, InRange
from shared.enums import FlagDecision
from shared.ranges import Range


class StaffContactOut(Schema):
    """A scheduled contact with its outcome."""

    id = fields.Integer()
    enrolment_id = fields.Integer()
    key = fields.String()
    kind = fields.String()
    phase = fields.String()
    channel = fields.String()
    week = fields.Integer(allow_none=True)
    month = fields.Integer(allow_none=True)
    due_at = fields.AwareDateTime()
    window_opens = fields.AwareDateTime()
    window_closes = fields.AwareDateTime()
    status = fields.String()
    attempts = fields.Integer()
    done_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.Dict(allow_none=True)
    notes = fields.String(allow_none=True)


class FlagEventOut(Schema):
    """One change of a flag."""

    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    note = fields.String(allow_none=True)


class FlagOut(Schema):
    """A flag with its one-line evidence and its history."""

    id = fields.Integer()
    patient_id = fields.Integer()
    enrolment_id = fields.Integer()
    kind = fields.String()
    label = fields.String()
    summary = fields.String()
    severity = fields.Integer()
    status = fields.String()
    evidence = fields.Dict()
    opened_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    escalated_to_id = fields.Integer(allow_none=True)
    decision = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)
    events = fields.List(fields.Nested(FlagEventOut))


class FlagNoteIn(Schema):
    """A note given with a flag action (required to resolve)."""

    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class FlagDecisionIn(Schema):
    """The physician's decision on an escalated flag or a committee item."""

    decision = fields.Enum(FlagDecision, by_value=True, required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    visit_day = Day(allow_none=True)
    # Suspension: the day the physician will review it.
    review_on = Day(allow_none=True)


class QueueContactOut(Schema):
    """A contact due today or overdue, with whom to call."""

    id = fields.Integer()
    patient_id = fields.Integer()
    patient_name = fields.String()
    kind = fields.String()
    channel = fields.String()
    phase = fields.String()
    due_at = fields.AwareDateTime()
    window_closes = fields.AwareDateTime()
    overdue = fields.Boolean()
    attempts = fields.Integer()


class QueueFlagOut(Schema):
    """An open flag in the queue."""

    id = fields.Integer()
    patient_id = fields.Integer()
    patient_name = fields.String()
    kind = fields.String()
    label = fields.String()
    summary = fields.String()
    severity = fields.Integer()
    status = fields.String()
    opened_at = fields.AwareDateTime()
    phase = fields.String()


class QueueOut(Schema):
    """The caller's work: due contacts and open flags."""

    as_of = fields.Date()
    contacts = fields.List(fields.Nested(QueueContactOut))
    flags = fields.List(fields.Nested(QueueFlagOut))


class QueueArgs(Schema):
    """Filters of the queue."""

    phase = fields.String(validate=validate.OneOf(["intervention", "follow_up"]))
    # Query strings are text: the lenient integer field parses "50".
    limit = fields.Integer(load_default=200, validate=InRange(Range(1, 1000, "")))
