"""Schemas of the tablet's notification endpoints (/api/v1/me/notifications)."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.services.notifications import MAX_PAGE
from server.services.validation import InRange, Instant
from shared.ranges import Range


class NotificationQuery(Schema):
    """Query string of the listing: a poll since an instant, or the page after an item."""

    # Query-string values arrive as text: the plain (converting) Integer is right here.
    since = Instant(load_default=None, metadata={
        "description": "Only messages created after this instant (exclusive)."})
    before_id = fields.Integer(load_default=None, validate=InRange(Range(1, 2**31 - 1)), metadata={
        "description": "Only messages older than this one: the next page of a listing."})
    limit = fields.Integer(load_default=50, validate=InRange(Range(1, MAX_PAGE)))


class NotificationOut(Schema):
    """An in-app message as the tablet shows it."""

    id = fields.Integer()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None)


class NotificationPage(Schema):
    """Newest first; ``has_more`` says an older page exists (ask with ``before_id``)."""

    items = fields.List(fields.Nested(NotificationOut))
    has_more = fields.Boolean()
    unread = fields.Integer(metadata={"description": "Unread messages in all, not only here."})
