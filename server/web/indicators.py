"""The coordinator's indicators page, the patients behind each figure, and its exports."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError

from server.i18n import gettext as _
from server.services import indicators
from server.services.indicators import IndicatorArgs, PatientsArgs, export_csv
from server.services.messages import flatten_errors
from server.web.session import current_user, roles_required
from shared.enums import Role
from shared.programmes import TEMPLATES

bp = Blueprint("indicators", __name__, url_prefix="/indicators")


def _args(schema: Schema) -> dict[str, Any]:
    """The query string through the service's schema; a bad parameter is a 422 naming it."""
    try:
        return schema.load(request.args)
    except ValidationError as error:
        message = _("Invalid request:") + " " + "; ".join(flatten_errors(error.messages))
        abort(Response(render_template("web/error.html", status=422, message=message), 422))


@bp.route("/")
@roles_required(Role.COORDINATOR)
def index() -> str:
    """The year's figures of one programme against the seed's targets."""
    args = _args(IndicatorArgs())
    programme = args["programme"] or next(iter(TEMPLATES))
    result = indicators.indicator_table(current_user(), args["year"], programme)
    return render_template("web/indicators/index.html", table=result.programmes[0],
                           year=result.year, programmes=TEMPLATES,
                           computed_at=result.computed_at,
                           years=indicators.selectable_years(result.year))


@bp.route("/recompute", methods=["POST"])
@roles_required(Role.COORDINATOR)
def recompute() -> Response:
    """Compute the year's figures again now (the page shows them as last computed)."""
    args = _args(IndicatorArgs())
    result = indicators.recompute(current_user(), args["year"])
    flash(_("The figures were computed again."), "ok")
    return redirect(url_for(".index", year=result.year, programme=args["programme"]))


@bp.route("/patients")
@roles_required(Role.COORDINATOR)
def patients() -> str:
    """The patients behind one figure, a page at a time (``page`` in the query string)."""
    args = _args(PatientsArgs())
    result = indicators.patients_behind(current_user(), args["indicator"], args["year"],
                                        args["programme"], args["part"], args["key"],
                                        args["page"])
    return render_template("web/indicators/patients.html", result=result)


@bp.route("/export.<fmt>")
@roles_required(Role.COORDINATOR)
def export(fmt: str) -> Response:
    """The year's figures for every programme (or one), as CSV or JSON: no patient identity."""
    if fmt not in ("csv", "json"):
        abort(404)
    args = _args(IndicatorArgs())
    result = indicators.indicator_table(current_user(), args["year"], args["programme"])
    rows = indicators.export_rows(result)
    name = f"indicators-{result.year}.{fmt}"
    body = (export_csv(rows) if fmt == "csv"
            else json.dumps({"year": result.year, "rows": rows}, ensure_ascii=False, indent=1))
    return Response(body, mimetype="text/csv" if fmt == "csv" else "application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
