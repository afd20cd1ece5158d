"""The one error body, as the OpenAPI document declares it (see server.api.errors)."""

from __future__ import annotations

from marshmallow import Schema, fields


class ErrorOut(Schema):
    """Every error of the API: a code word, the HTTP status, a sentence, the bad fields."""

    code = fields.String(required=True, metadata={
        "description": "What went wrong, as a word: invalid_credentials, not_found..."})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status."})
    message = fields.String(required=True, metadata={
        "description": "A readable sentence naming every bad field, translated."})
    errors = fields.Dict(metadata={"description": "Messages per field, nested like the input."})
