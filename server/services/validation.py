"""Marshmallow fields and validators with translated messages, shared by the API schemas
and the web forms' validation (neither interface imports the other)."""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Sequence
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

from marshmallow import ValidationError, fields, validate

from server.i18n import gettext as _
from shared.ranges import (
    HEART_RATE,
    HR_SAMPLE_OFFSET_S,
    MAX_HR_SAMPLES,
    MAX_NOTE_LENGTH,
    WATTS,
    Range,
)
from shared.samples import BadPacking, PackedSeries


class InRange(validate.Validator):
    """Refuses a number outside a :class:`shared.ranges.Range`."""

    def __init__(self, bounds: Range) -> None:
        self.bounds = bounds

    def __call__(self, value: float) -> float:
        if not self.bounds.contains(value):
            raise ValidationError(_(
                "Must be between %(low)s and %(high)s %(unit)s.",
                low=_number(self.bounds.low), high=_number(self.bounds.high),
                unit=self.bounds.unit).strip().replace(" .", "."))
        return value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Number(fields.Float):
    """A JSON number: refuses strings and booleans instead of coercing them."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(_("Must be a number."))
        try:
            finite = math.isfinite(value)  # Python's JSON reads NaN, Infinity and 1e400
        except OverflowError:  # an integer beyond any float
            finite = False
        if not finite:
            raise ValidationError(_("Must be a finite number."))
        return super()._deserialize(value, attr, data, **kwargs)


class Integer(fields.Integer):
    """A JSON integer: refuses strings, booleans and fractions."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_("Must be a whole number."))
        return super()._deserialize(value, attr, data, **kwargs)


def note() -> fields.String:
    """Free text typed by the patient or the referent."""
    return fields.String(allow_none=True, validate=validate.Length(max=MAX_NOTE_LENGTH))


def score(**kwargs: Any) -> Integer:
    """A 0-10 score (effort, dyspnoea, pain EVA)."""
    return Integer(validate=InRange(Range(0, 10)), allow_none=True, **kwargs)


def heart_rate(**kwargs: Any) -> Integer:
    """A heart rate in bpm within the physiological range."""
    return Integer(validate=InRange(HEART_RATE), allow_none=True, **kwargs)


_PAIRS = {"type": "array", "maxItems": MAX_HR_SAMPLES,
          "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2,
                    "maxItems": 2}}
_PACKED = {"type": "object", "required": ["offsets", "values"], "additionalProperties": False,
           "properties": {name: {"type": "string", "format": "byte", "description": desc}
                          for name, desc in (
                              ("offsets", "seconds from the start, uint16 little-endian"),
                              ("values", "one value per offset, int16 little-endian"))}}


# Every 16-bit offset in order, as packed arrays hold them: a gap-free series is a slice.
_EVERY_OFFSET = array("H", range(2**16)).tobytes()


def _increasing(offsets: Sequence[int]) -> bool:
    """Whether ``offsets`` strictly increase; a gap-free series (one sample a second, what
    devices record) is told at C speed, by comparing it with its range."""
    first, last = offsets[0], offsets[-1]
    if last - first == len(offsets) - 1:
        if isinstance(offsets, array) and offsets.typecode == "H":
            if offsets.tobytes() == _EVERY_OFFSET[2 * first:2 * last + 2]:
                return True
        elif offsets == list(range(first, last + 1)):
            return True
    # operator.lt over an islice: half the time of int.__lt__ over a copy.
    return all(map(operator.lt, offsets, islice(offsets, 1, None)))


class HeartRateSeries(fields.Field):
    """Samples as ``[[offset_s, bpm], ...]``, or packed (:class:`shared.samples.PackedSeries`:
    ``{"offsets": base64, "values": base64}``, what the tablet sends); offsets strictly
    increasing within 6 h, values within the signal's range.

    Checked with whole-list operations: a session carries thousands of samples, and
    a nested schema per sample would cost more than storing them. The pairs load as
    a list of tuples, the packed form as a PackedSeries (its digest is its wire form).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"oneOf": [_PAIRS, _PACKED]}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> list[tuple[int, int]] | PackedSeries:
        if isinstance(value, dict):
            return self._packed(value)
        if not isinstance(value, list):
            raise ValidationError(_("Must be a list of [offset_s, bpm] pairs."))
        if len(value) > MAX_HR_SAMPLES:
            raise ValidationError(_("At most %(n)d samples.", n=MAX_HR_SAMPLES))
        # Whole-list checks first (C loops over built-ins); the per-sample loop below only
        # runs to name the first bad sample. ``type(v) is int`` also refuses booleans.
        if value and set(map(type, value)) == {list} and set(map(len, value)) == {2}:
            offsets, values = (list(column) for column in zip(*value, strict=True))
            if (set(map(type, offsets)) == {int} and set(map(type, values)) == {int}
                    and self._plausible(offsets, values)):
                return list(zip(offsets, values, strict=True))
        if not value:
            return []
        self._name_first_error(value)
        raise AssertionError("unreachable: a failed check names its sample")

    def _packed(self, value: dict[str, Any]) -> PackedSeries:
        unknown = set(value) - {"offsets", "values"}
        if unknown or not all(isinstance(value.get(k), str) for k in ("offsets", "values")):
            raise ValidationError(_("A packed series is {\"offsets\": base64, \"values\": "
                                    "base64} and nothing else."))
        try:
            series = PackedSeries.from_wire(value)
        except BadPacking as error:
            raise ValidationError(
                _("Offsets and values must hold as many samples.") if error.reason == "count"
                else _("Offsets and values must be base64 of 16-bit little-endian arrays.")
            ) from None
        if len(series) > MAX_HR_SAMPLES:
            raise ValidationError(_("At most %(n)d samples.", n=MAX_HR_SAMPLES))
        if series and not self._plausible(series.offsets, series.values):
            self._name_first_error([[o, v] for o, v in zip(series.offsets, series.values,
                                                           strict=True)])
        return series

    def _plausible(self, offsets: Sequence[int], values: Sequence[int]) -> bool:
        return (HR_SAMPLE_OFFSET_S.contains(offsets[0])
                and HR_SAMPLE_OFFSET_S.contains(offsets[-1])
                and _increasing(offsets)
                and self.bounds.contains(min(values))
                and self.bounds.contains(max(values)))

    def _name_first_error(self, value: list[Any]) -> None:
        previous = -1
        for index, pair in enumerate(value):
            ok = (isinstance(pair, list) and len(pair) == 2
                  and all(isinstance(v, int) and not isinstance(v, bool) for v in pair))
            if not ok:
                raise ValidationError(_("Sample %(i)d: must be [offset_s, bpm] whole numbers.",
                                        i=index))
            offset, bpm = pair
            if not HR_SAMPLE_OFFSET_S.contains(offset) or offset <= previous:
                raise ValidationError(_(
                    "Sample %(i)d: offset %(offset)d s must increase and stay within 6 h.",
                    i=index, offset=offset))
            if not self.bounds.contains(bpm):
                raise ValidationError(self._out_of_range(index, bpm))
            previous = offset

    bounds = HEART_RATE

    def _out_of_range(self, index: int, value: int) -> str:
        return _("Sample %(i)d: %(bpm)d bpm is outside %(low)d-%(high)d bpm.", i=index,
                 bpm=value, low=int(HEART_RATE.low), high=int(HEART_RATE.high))


class PowerSeries(HeartRateSeries):
    """Power samples as ``[[offset_s, watts], ...]``, checked like heart rate."""

    bounds = WATTS

    def _out_of_range(self, index: int, value: int) -> str:
        return _("Sample %(i)d: %(watts)d W is outside %(low)d-%(high)d W.", i=index,
                 watts=value, low=int(WATTS.low), high=int(WATTS.high))


# Dates the programme can meet, with room: beyond them date arithmetic and time zone
# conversions overflow (0001-01-01T00:00:00+14:00 is before year 1 in UTC).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def _calendar_error() -> ValidationError:
    return ValidationError(_("Must be between %(first)s and %(last)s.",
                             first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))


class Instant(fields.AwareDateTime):
    """An instant with its UTC offset, between FIRST_DAY and LAST_DAY (in UTC)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        instant = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_utc = instant.astimezone(UTC)
        except OverflowError:
            raise _calendar_error() from None
        if not FIRST_DAY <= in_utc.date() <= LAST_DAY:
            raise _calendar_error()
        return instant


class Day(fields.Date):
    """A calendar day between FIRST_DAY and LAST_DAY."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise _calendar_error()
        return day
