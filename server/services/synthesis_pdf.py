"""Synthesis documents as PDF: the Jinja templates and the server's SVG charts, through
WeasyPrint (Debian's Pango). Always in French: the documents go to French professionals.

Rendering reads nothing from the database: it formats a record gathered by
``services.synthesis_record`` (live for a draft's preview, frozen once
validated) and the version's signatures.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup

from server.i18n import gettext as _
from server.services.charts import Band, Series, bar_chart, line_chart
from server.services.flag_text import DECISION_LABELS, EVENT_LABELS, STATUS_LABELS
from server.services.flag_text import KIND_LABELS as KIND_LABELS_FLAG
from server.services.synthesis_text import (
    CONTACT_LABELS,
    KIND_LABELS,
    MODALITY_LABELS,
    ROLE_LABELS,
    SECTION_LABELS,
    STATE_LABELS,
    VERDICT_LABELS,
)

# The charts' colours (static/web.css for the pages), inside each SVG: WeasyPrint applies a
# page's stylesheet to HTML only, an SVG's own <style> to its shapes.
CHART_STYLE = Markup("<style>" + " ".join((
    "svg.chart .grid { stroke: #e1e5ea; stroke-width: 1; }",
    "svg.chart .tick, svg.chart text.legend { font-size: 11px; fill: #555; }",
    "svg.chart .band { fill: #e3f0e6; }",
    "svg.chart .ceiling-line { stroke: #a4161a; stroke-width: 1.5; stroke-dasharray: 5 3; }",
    "svg.chart .threshold-line { stroke: #8a5300; stroke-width: 1.5; stroke-dasharray: 5 3; }",
    "svg.chart .bar { fill: #5b7fa6; }",
    "svg.chart .bar.within { fill: #1d6b32; }",
    "svg.chart .bar.below { fill: #a4161a; }",
    "svg.chart .line { fill: none; stroke-width: 2; }",
    "svg.chart polyline.line { fill: none; }",
    "svg.chart .minutes { stroke: #0b4f9c; fill: #0b4f9c; }",
    "svg.chart .watts { stroke: #8a5300; fill: #8a5300; }",
    "svg.chart .hr-rest { stroke: #1d6b32; fill: #1d6b32; }",
    "svg.chart .hr-mean { stroke: #0b4f9c; fill: #0b4f9c; }",
    "svg.chart .hr-max { stroke: #a4161a; fill: #a4161a; }",
)) + "</style>")


def _styled(svg: Markup) -> Markup:
    """The chart with its colours inside it."""
    head, _close, body = str(svg).partition(">")
    return Markup(f"{head}>{CHART_STYLE}{body}")


def charts(record: dict[str, Any]) -> list[tuple[str, Markup]]:
    """The document's charts as (caption, SVG): sessions against the target, heart rate and
    power, booklet; none before the first week."""
    weeks = record["weeks"]
    if not weeks:
        return []
    labels = [w["week"] for w in weeks]
    low, high = record["target"]["low"], record["target"]["high"]
    band = Band(low, high, _("Target band: %(low)d to %(high)d sessions", low=low, high=high))
    out = []
    title = _("Sessions per week (target %(low)d to %(high)d)", low=low, high=high)
    out.append((title, bar_chart(
        title, _("Ergocycle sessions each programme week against the target band."), labels,
        Series("sessions", _("Sessions"), [w["sessions"] for w in weeks]), bands=[band],
        classify=band, y_max=max(high + 2, *(w["sessions"] for w in weeks)))))
    title = _("Heart rate: resting, mean, maximum (bpm)")
    out.append((title, line_chart(
        title, _("Resting, mean and maximum heart rate each week."), labels,
        [Series("hr-rest", _("Resting"), [w["hr_rest"] for w in weeks]),
         Series("hr-mean", _("Mean"), [w["hr_mean"] for w in weeks]),
         Series("hr-max", _("Maximum"), [w["hr_max"] for w in weeks])],
        y_min=40, y_max=max(180, *(w["hr_max"] or 0 for w in weeks)))))
    title = _("Minutes per session and mean power (W)")
    out.append((title, line_chart(
        title, _("Mean minutes per session and mean watts each week."), labels,
        [Series("minutes", _("Minutes per session"), [w["mean_minutes"] for w in weeks]),
         Series("watts", _("Mean power (W)"), [w["mean_watts"] for w in weeks])])))
    title = _("Booklet exercises done (%)")
    out.append((title, bar_chart(
        title, _("Share of the prescribed booklet exercises done each week."), labels,
        Series("booklet", _("Done (%)"), [None if w["booklet_share"] is None
                                          else round(100 * w["booklet_share"]) for w in weeks]),
        bands=[Band(50, 50, _("50% threshold"), "threshold")], y_max=100,
        classify=Band(50, 100, ""))))
    return [(caption, _styled(svg)) for caption, svg in out]


def day(value: str | None) -> str:
    """An ISO day of the record as the French documents write it (03/12/2026)."""
    if not value:
        return "—"
    return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")


def number(value: float | None, digits: int = 1) -> str:
    """A figure with a decimal comma, or a dash when it was not measured."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",")


def render_html(record: dict[str, Any], sections: dict[str, str], version: dict[str, Any],
                letters: list[dict[str, Any]] | None = None) -> str:
    """The document as HTML, in French (``letters``: a cover letter before each copy)."""
    with force_locale("fr"):
        return render_template(
            "pdf/synthesis.html", r=record, sections=sections, v=version,
            charts=charts(record), letters=letters or [None], kind_label=KIND_LABELS,
            role_label=ROLE_LABELS, section_label=SECTION_LABELS, state_label=STATE_LABELS,
            verdict_label=VERDICT_LABELS, event_label=EVENT_LABELS, flag_label=KIND_LABELS_FLAG,
            contact_label=CONTACT_LABELS, decision_label=DECISION_LABELS,
            flag_status_label=STATUS_LABELS, modality_label=MODALITY_LABELS, day=day,
            number=number)


def render_pdf(record: dict[str, Any], sections: dict[str, str], version: dict[str, Any],
               letters: list[dict[str, Any]] | None = None) -> bytes:
    """The document as PDF bytes."""
    # Imported here: WeasyPrint loads Pango when imported, which only the PDF needs.
    from weasyprint import HTML

    return HTML(string=render_html(record, sections, version, letters)).write_pdf()
