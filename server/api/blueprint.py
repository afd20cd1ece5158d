"""The API's blueprint class: flask-smorest's, with a JSON body parser that checks text first."""

from __future__ import annotations

import typing

import flask
import flask_smorest
from flask_babel import gettext as _
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from server.inputs import MAX_JSON_DEPTH, find_bad_text, nested_errors


class InputParser(FlaskParser):
    """Parses the JSON body once, refusing deep nesting and forbidden characters (422)."""

    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        if not is_json_request(req):
            return core.missing
        try:
            data = core.parse_json(req.get_data(cache=True))
        except RecursionError:
            raise ValidationError(_("Nested too deeply (at most %(n)d levels).",
                                    n=MAX_JSON_DEPTH)) from None
        bad = find_bad_text(data)
        if bad is not None:
            path, message = bad
            raise ValidationError(nested_errors(path, message) if path else [message])
        return data


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: request bodies go through :class:`InputParser`."""

    ARGUMENTS_PARSER = InputParser()
