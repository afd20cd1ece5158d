"""The API's blueprint class: flask-smorest's, with a JSON body parser that checks text first."""

from __future__ import annotations

import typing

import flask
import flask_smorest
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from server.i18n import gettext as _
from server.inputs import MAX_JSON_DEPTH, find_bad_text, json_text_is_clean, nested_errors


class InputParser(FlaskParser):
    """Parses the JSON body once, refusing deep nesting and forbidden characters (422)."""

    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        if not is_json_request(req):
            return core.missing
        body = req.get_data(cache=True)
        try:
            data = core.parse_json(body)
        except RecursionError:
            raise ValidationError(_("Nested too deeply (at most %(n)d levels).",
                                    n=MAX_JSON_DEPTH)) from None
        # parse_json has decoded the body as UTF-8 already: this cannot fail.
        if json_text_is_clean(body.decode(), data):
            return data
        bad = find_bad_text(data)
        if bad is not None:
            path, message = bad
            raise ValidationError(nested_errors(path, message) if path else [message])
        return data


# The two bearer schemes of the OpenAPI document: who may call an operation.
SECURITY_SCHEMES = {
    "staff": {"type": "http", "scheme": "bearer",
              "description": "A staff token from POST /auth/login."},
    "device": {"type": "http", "scheme": "bearer",
               "description": "A patient's device token from POST /auth/pair."},
}


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: request bodies go through :class:`InputParser`, and each
    operation declares its security scheme (``security``: "staff", "device" or None
    for public operations; one view may differ with ``@blp.doc(security=...)``).
    """

    ARGUMENTS_PARSER = InputParser()

    def __init__(self, *args: typing.Any, security: str | None = None,
                 **kwargs: typing.Any) -> None:
        super().__init__(*args, **kwargs)
        requirement = [{security: []}] if security else []
        self._prepare_doc_cbks.append(
            lambda doc, doc_info, **_kw: {**doc, "security": requirement})
