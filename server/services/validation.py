"""Marshmallow fields and validators with translated messages, shared by the API schemas
and the web forms' validation (neither interface imports the other)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate

from shared.ranges import HEART_RATE, HR_SAMPLE_OFFSET_S, MAX_HR_SAMPLES, MAX_NOTE_LENGTH, Range


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


class HeartRateSeries(fields.Field):
    """Samples as ``[[offset_s, bpm], ...]``, offsets strictly increasing.

    Checked in one plain loop: a session carries thousands of samples and a
    nested schema per sample would cost more than storing them.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> list[tuple[int, int]]:
        if not isinstance(value, list):
            raise ValidationError(_("Must be a list of [offset_s, bpm] pairs."))
        if len(value) > MAX_HR_SAMPLES:
            raise ValidationError(_("At most %(n)d samples.", n=MAX_HR_SAMPLES))
        samples: list[tuple[int, int]] = []
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
            if not HEART_RATE.contains(bpm):
                raise ValidationError(_(
                    "Sample %(i)d: %(bpm)d bpm is outside %(low)d-%(high)d bpm.", i=index,
                    bpm=bpm, low=int(HEART_RATE.low), high=int(HEART_RATE.high)))
            previous = offset
            samples.append((offset, bpm))
        return samples
