"""Per-second series: resampling, and time in the zone and above the ceiling."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.samples import (
    MAX_GAP_S,
    BadPacking,
    HeartRateZone,
    PackedSeries,
    ZoneState,
    per_second,
    summarize,
)

# The machine is shared: a slow example is not a failure.
NO_DEADLINE = settings(deadline=None)


def test_zone_states():
    zone = HeartRateZone(100, 130)
    assert [zone.state(b) for b in (None, 99, 100, 130, 131)] == [
        ZoneState.UNKNOWN, ZoneState.BELOW, ZoneState.IN_ZONE, ZoneState.IN_ZONE, ZoneState.ABOVE]
    assert HeartRateZone(None, 130).state(60) is ZoneState.IN_ZONE
    assert HeartRateZone(None, None).state(200) is ZoneState.UNKNOWN


def test_per_second_keeps_the_last_reading_of_each_second():
    assert per_second([(0.1, 80), (0.6, 82), (1.2, 85), (3.9, 90), (-0.5, 70)]) == [
        (0, 82), (1, 85), (3, 90)]


def test_summary_at_one_hertz():
    series = [(t, 95 if t < 10 else 120 if t < 50 else 140) for t in range(60)]
    s = summarize(series, HeartRateZone(100, 130))
    assert (s.count, s.maximum, s.in_zone_s, s.above_ceiling_s) == (60, 140, 40, 10)
    assert s.mean == round((10 * 95 + 40 * 120 + 10 * 140) / 60)


def test_a_dropout_counts_no_time():
    # Strap lost for 5 minutes while above the ceiling: only MAX_GAP_S seconds count.
    s = summarize([(0, 140), (300, 120)], HeartRateZone(None, 130))
    assert (s.above_ceiling_s, s.in_zone_s) == (MAX_GAP_S, 1)


def test_two_second_samples_each_stand_for_two_seconds():
    s = summarize([(t, 135) for t in range(0, 100, 2)], HeartRateZone(None, 130))
    assert s.above_ceiling_s == 99


def test_no_ceiling_no_zone_times():
    s = summarize([(0, 100)], HeartRateZone(None, None))
    assert (s.mean, s.in_zone_s, s.above_ceiling_s) == (100, None, None)
    assert summarize([], HeartRateZone(100, 130)).count == 0


@NO_DEADLINE
@given(st.lists(st.integers(25, 250), min_size=1, max_size=300), st.integers(25, 250))
def test_time_in_zone_and_above_never_exceed_the_session(values, ceiling):
    series = list(enumerate(values))
    s = summarize(series, HeartRateZone(None, ceiling))
    assert s.in_zone_s + s.above_ceiling_s == len(values)
    assert min(values) <= s.mean <= max(values) == s.maximum


@NO_DEADLINE
@given(st.lists(st.tuples(st.integers(0, 21600), st.integers(25, 250)), max_size=50))
def test_a_packed_series_round_trips_and_summarizes_like_its_pairs(pairs):
    pairs = sorted(dict(pairs).items())
    packed = PackedSeries.from_wire(PackedSeries.from_pairs(pairs).wire())
    assert list(zip(packed.offsets, packed.values, strict=True)) == pairs
    zone = HeartRateZone(90, 130)
    assert summarize(packed, zone) == summarize(pairs, zone)


@pytest.mark.parametrize(("wire", "reason"), [
    ({"offsets": "***", "values": ""}, "encoding"),
    ({"offsets": "AAEC", "values": "AAEC"}, "encoding"),
    ({"values": ""}, "encoding"),
    ({"offsets": "AAA=", "values": ""}, "count"),
])
def test_a_packed_series_that_cannot_be_read_says_why(wire, reason):
    with pytest.raises(BadPacking) as caught:
        PackedSeries.from_wire(wire)
    assert caught.value.reason == reason


@NO_DEADLINE
@given(st.integers(0, 100), st.lists(st.integers(25, 250), min_size=1, max_size=200),
       st.one_of(st.none(), st.integers(25, 250)), st.one_of(st.none(), st.integers(25, 250)))
def test_a_series_without_gaps_counts_each_sample_as_one_second(start, values, low, ceiling):
    summary = summarize(list(enumerate(values, start)), HeartRateZone(low, ceiling))
    assert summary.count == len(values) and summary.maximum == max(values)
    assert summary.mean == round(sum(values) / len(values))
    if ceiling is None:
        assert summary.in_zone_s is None and summary.above_ceiling_s is None
    else:
        floor = low if low is not None else 0
        assert summary.above_ceiling_s == sum(1 for v in values if v > ceiling)
        assert summary.in_zone_s == sum(1 for v in values if floor <= v <= ceiling)
