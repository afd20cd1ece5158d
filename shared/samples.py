"""Per-second series of a session (heart rate, power) and what they say against the zone.

Pure. A series is a list of ``(offset_s, value)`` pairs, offsets in seconds
from the session's start, strictly increasing. Each sample stands for the
second it was taken in; a gap longer than :data:`MAX_GAP_S` (strap off, link
lost) counts as no time at all, so a dropout never adds minutes in or above
the zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

# A reading carries forward this long at most: above it the link was down.
MAX_GAP_S = 5


class ZoneState(StrEnum):
    """Where one heart-rate reading stands against the prescription."""

    UNKNOWN = "unknown"
    BELOW = "below"
    IN_ZONE = "in_zone"
    ABOVE = "above"


@dataclass(frozen=True)
class HeartRateZone:
    """The prescribed zone: ``low`` may be None (a ceiling only), ``ceiling`` may be None."""

    low: int | None
    ceiling: int | None

    def state(self, bpm: int | None) -> ZoneState:
        """Below, in or above the zone; unknown without a reading or without a ceiling."""
        if bpm is None or self.ceiling is None:
            return ZoneState.UNKNOWN
        if bpm > self.ceiling:
            return ZoneState.ABOVE
        if self.low is not None and bpm < self.low:
            return ZoneState.BELOW
        return ZoneState.IN_ZONE


@dataclass(frozen=True)
class SeriesSummary:
    """Mean, maximum and time spent in and above the zone of one heart-rate series."""

    count: int
    mean: int | None
    maximum: int | None
    in_zone_s: int | None
    above_ceiling_s: int | None


def _weights(offsets: Sequence[int]) -> list[int]:
    """Seconds each sample stands for: up to the next one, capped by the gap limit."""
    out = [b - a if b - a <= MAX_GAP_S else MAX_GAP_S
           for a, b in zip(offsets, offsets[1:], strict=False)]
    if offsets:
        out.append(1)
    return out


def summarize(series: Sequence[tuple[int, int]], zone: HeartRateZone) -> SeriesSummary:
    """Mean (time-weighted), maximum, seconds in the zone and above the ceiling."""
    if not series:
        return SeriesSummary(0, None, None, None, None)
    offsets = [o for o, _ in series]
    values = [v for _, v in series]
    weights = _weights(offsets)
    total = sum(weights)
    mean = round(sum(v * w for v, w in zip(values, weights, strict=True)) / total)
    if zone.ceiling is None:
        in_zone = above = None
    else:
        # The same test as HeartRateZone.state, inlined: a session has thousands of samples.
        ceiling, low = zone.ceiling, zone.low if zone.low is not None else 0
        above = sum(w for v, w in zip(values, weights, strict=True) if v > ceiling)
        in_zone = sum(w for v, w in zip(values, weights, strict=True) if low <= v <= ceiling)
    return SeriesSummary(len(values), mean, max(values), in_zone, above)


def per_second(readings: Iterable[tuple[float, int]]) -> list[tuple[int, int]]:
    """1 Hz series from readings at any rate: the last reading of each whole second.

    ``readings`` are ``(seconds_since_start, value)`` in time order, as a strap
    or a bike notifies them (often 1 to 4 per second).
    """
    out: dict[int, int] = {}
    for t, value in readings:
        if t >= 0:
            out[int(t)] = value
    return sorted(out.items())
