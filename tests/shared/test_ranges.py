"""Valid ranges are inclusive at both bounds and refuse anything beyond."""

from __future__ import annotations

import math

import pytest

from shared import ranges
from shared.ranges import HEART_RATE, SESSION_DURATION_S, Range


@pytest.mark.parametrize(
    ("value", "inside"),
    [
        (24, False), (math.nextafter(25, 0), False), (25, True), (26, True),
        (100, True),
        (249, True), (250, True), (math.nextafter(250, 1000), False), (251, False),
        (0, False), (-80, False),
    ],
)
def test_heart_rate_is_25_to_250_inclusive(value, inside):
    assert HEART_RATE.contains(value) is inside


@pytest.mark.parametrize(
    ("value", "inside"),
    [
        (0, False), (0.5, False), (1, True), (2, True),
        (3600, True),
        (6 * 3600 - 1, True), (6 * 3600, True), (6 * 3600 + 1, False),
        (-1, False),
    ],
)
def test_session_duration_is_one_second_to_six_hours_inclusive(value, inside):
    assert SESSION_DURATION_S.contains(value) is inside


def test_range_units_and_bounds():
    assert (HEART_RATE.low, HEART_RATE.high, HEART_RATE.unit) == (25, 250, "bpm")
    assert (SESSION_DURATION_S.low, SESSION_DURATION_S.high, SESSION_DURATION_S.unit) == (
        1, 21600, "s")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("bounds", [HEART_RATE, SESSION_DURATION_S], ids=["hr", "duration"])
def test_non_finite_values_are_never_in_range(bounds, value):
    assert bounds.contains(value) is False


@pytest.mark.parametrize(
    "name", [n for n, v in vars(ranges).items() if isinstance(v, Range)],
)
def test_every_declared_range_contains_both_its_bounds(name):
    bounds = getattr(ranges, name)
    assert bounds.low <= bounds.high
    assert bounds.contains(bounds.low) and bounds.contains(bounds.high)
    assert not bounds.contains(bounds.low - 1) and not bounds.contains(bounds.high + 1)
