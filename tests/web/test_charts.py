"""The server-side SVG charts: scales, target bands, gaps and escaping."""

from __future__ import annotations

import re

import pytest

from server.services.charts import Band, Series, bar_chart, line_chart, nice_top


@pytest.mark.parametrize(("top", "expected"), [(40.2, 50), (8, 8), (100, 100), (1, 1),
                                                (137, 160), (0.3, 0.3)])
def test_nice_top_rounds_up_to_four_round_steps(top: float, expected: float) -> None:
    assert nice_top(0, top) == pytest.approx(expected)


def test_bars_are_classed_against_the_target_band() -> None:
    band = Band(4, 6, "4 to 6")
    svg = bar_chart("Sessions", "per week", [1, 2, 3, 4], Series("sessions", "S", [3, 4, 7, None]),
                    bands=[band], classify=band, y_max=8)
    assert re.findall(r'class="bar sessions (\w+)"', svg) == ["below", "within", "above"]
    assert svg.count('<rect class="band"') == 1
    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg
    assert "<title>Sessions</title><desc>per week</desc>" in svg


def test_a_gap_breaks_the_line_and_a_reference_is_a_line() -> None:
    svg = line_chart("HR", "weekly", [1, 2, 3, 4, 5],
                     [Series("hr-max", "Max", [120, 125, None, 130, 128]),
                      Series("hr-rest", "Rest", [70, None, None, None, 72])],
                     bands=[Band(130, 130, "ceiling", "ceiling")], y_min=40, y_max=180)
    assert svg.count('<polyline class="line hr-max"') == 2
    assert '<polyline class="line hr-rest"' not in svg  # single points: dots only
    assert svg.count('class="dot hr-rest"') == 2
    assert '<line class="ceiling-line"' in svg
    assert 'class="legend"' in svg


def test_text_is_escaped() -> None:
    svg = bar_chart("<b>x</b>", "a & b", [1], Series("s", "<i>", [1]))
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg and "a &amp; b" in svg
