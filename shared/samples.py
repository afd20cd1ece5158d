"""Per-second series of a session (heart rate, power) and what they say against the zone.

Pure. A series is a list of ``(offset_s, value)`` pairs, offsets in seconds
from the session's start, strictly increasing, or the same samples packed
(:class:`PackedSeries`): two little-endian 16-bit arrays, offsets unsigned and
values signed, which is how the server stores them and how the tablet sends
them (base64 in JSON: a 30-minute ride is 10 KB instead of 30,000 numbers to
decode and check one by one). Each sample stands for the second it was taken
in; a gap longer than :data:`MAX_GAP_S` (strap off, link lost) counts as no
time at all, so a dropout never adds minutes in or above the zone.
"""

from __future__ import annotations

import base64
import binascii
import sys
from array import array
from bisect import bisect_left, bisect_right
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


def pack(values: Iterable[int], typecode: str) -> bytes:
    """Values as a little-endian array (``H`` unsigned or ``h`` signed 16-bit)."""
    packed = array(typecode, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack(blob: bytes, typecode: str) -> array:
    """The values of :func:`pack` (ValueError when the bytes are not whole values)."""
    values = array(typecode)
    values.frombytes(blob)
    if sys.byteorder == "big":
        values.byteswap()
    return values


class BadPacking(ValueError):
    """A packed series that cannot be read: ``reason`` is "encoding" or "count"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PackedSeries:
    """A series as two parallel arrays (offsets ``H``, values ``h``), as stored and sent."""

    offsets: array
    values: array

    def __len__(self) -> int:
        return len(self.offsets)

    def wire(self) -> dict[str, str]:
        """The JSON form: ``{"offsets": base64, "values": base64}``."""
        return {"offsets": base64.b64encode(pack(self.offsets, "H")).decode(),
                "values": base64.b64encode(pack(self.values, "h")).decode()}

    @classmethod
    def from_pairs(cls, series: Sequence[tuple[int, int]]) -> PackedSeries:
        """Packs ``(offset_s, value)`` pairs (offsets 0-65535, values within 16 bits)."""
        return cls(array("H", (o for o, _v in series)), array("h", (v for _o, v in series)))

    @classmethod
    def from_wire(cls, data: dict[str, str]) -> PackedSeries:
        """Reads :meth:`wire`'s form; :class:`BadPacking` says what is wrong."""
        try:
            offsets = unpack(base64.b64decode(data["offsets"], validate=True), "H")
            values = unpack(base64.b64decode(data["values"], validate=True), "h")
        except (binascii.Error, ValueError, TypeError, KeyError) as error:
            raise BadPacking("encoding") from error
        if len(offsets) != len(values):
            raise BadPacking("count")
        return cls(offsets, values)


def columns(series: Sequence[tuple[int, int]] | PackedSeries) -> tuple[Sequence[int],
                                                                        Sequence[int]]:
    """``(offsets, values)`` of a series in either form."""
    if isinstance(series, PackedSeries):
        return series.offsets, series.values
    return [o for o, _ in series], [v for _, v in series]


def _weights(offsets: Sequence[int]) -> list[int]:
    """Seconds each sample stands for: up to the next one, capped by the gap limit."""
    out = [b - a if b - a <= MAX_GAP_S else MAX_GAP_S
           for a, b in zip(offsets, offsets[1:], strict=False)]
    if offsets:
        out.append(1)
    return out


def summarize(series: Sequence[tuple[int, int]] | PackedSeries,
              zone: HeartRateZone) -> SeriesSummary:
    """Mean (time-weighted), maximum, seconds in the zone and above the ceiling."""
    if not series:
        return SeriesSummary(0, None, None, None, None)
    offsets, values = columns(series)
    if offsets[-1] - offsets[0] == len(offsets) - 1:
        return _summarize_unbroken(values, zone)
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


def _summarize_unbroken(values: Sequence[int], zone: HeartRateZone) -> SeriesSummary:
    """:func:`summarize` of a series with a sample every second (each weighs one second),
    the usual ride: counted on the sorted values by bisection, no Python loop per sample."""
    count = len(values)
    mean = round(sum(values) / count)
    if zone.ceiling is None:
        return SeriesSummary(count, mean, max(values), None, None)
    ordered = sorted(values)
    up_to_ceiling = bisect_right(ordered, zone.ceiling)
    below = bisect_left(ordered, zone.low) if zone.low is not None else 0
    return SeriesSummary(count, mean, ordered[-1], max(up_to_ceiling - below, 0),
                         count - up_to_ceiling)


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
