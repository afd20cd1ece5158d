"""The programme's indicators for the external evaluator: aggregates, no patient identity."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields

from server.api.blueprint import Blueprint
from server.api.security import current_user, require_staff
from server.services import indicators
from server.services.indicators import IndicatorArgs, export_csv

blp = Blueprint("indicators", __name__, url_prefix="/api/v1",
                description="The programme's indicators against the seed's targets",
                security="staff")
blp.before_request(require_staff)


class IndicatorRowOut(Schema):
    """One figure (``part`` empty) or one part of a figure (a quarter, a kind of incident)."""

    year = fields.Integer()
    programme = fields.String()
    year_of_programme = fields.String(allow_none=True)
    indicator = fields.String()
    part = fields.String(allow_none=True)
    kind = fields.String()
    unit = fields.String()
    value = fields.Float(allow_none=True)
    numerator = fields.Integer(allow_none=True)
    denominator = fields.Integer(allow_none=True)
    target = fields.Float(allow_none=True)
    goal = fields.String()
    met = fields.Boolean(allow_none=True)
    applies = fields.Boolean()
    days_before = fields.Integer(allow_none=True)
    days_after = fields.Integer(allow_none=True)
    contacts = fields.Integer(allow_none=True)
    seed_lines = fields.String()
    seed_note = fields.String()
    computed_at = fields.String(metadata={"description": "When the figures were computed "
                                          "(ISO 8601): the nightly job, or a recompute."})


class IndicatorsOut(Schema):
    """The year's indicator rows."""

    year = fields.Integer()
    rows = fields.List(fields.Nested(IndicatorRowOut))


@blp.route("/indicators")
class Indicators(MethodView):
    @blp.arguments(IndicatorArgs, location="query")
    @blp.response(200, IndicatorsOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The year's indicators per programme (coordinator): figures, targets, parts."""
        table = indicators.indicator_table(current_user(), args["year"], args["programme"])
        return {"year": table.year, "rows": indicators.export_rows(table)}


@blp.route("/indicators.csv")
class IndicatorsCsv(MethodView):
    @blp.arguments(IndicatorArgs, location="query")
    @blp.response(200, content_type="text/csv",
                  description="The same rows as CSV (UTF-8, header line).")
    @blp.doc(responses={"200": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, args: dict[str, Any]) -> Response:
        """The year's indicators as CSV (coordinator), for the external evaluator."""
        table = indicators.indicator_table(current_user(), args["year"], args["programme"])
        return Response(export_csv(indicators.export_rows(table)), mimetype="text/csv",
                        headers={"Content-Disposition":
                                 f'attachment; filename="indicators-{table.year}.csv"'})
