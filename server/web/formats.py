"""Dates as the pages show them, in the reader's language and the programme's time zone.

Babel's formatting costs tens of microseconds a call and a patient file shows
a few hundred dates, most of them the same from one request to the next:
results are cached per (day or minute, format, locale) (days by server.i18n).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from babel import dates as babel_dates

from server.clock import get_clock
from server.i18n import LocaleKey, format_day, locale_key


@lru_cache(maxsize=8192)
def _moment(moment: datetime, style: str, key: LocaleKey | None) -> str:
    return babel_dates.format_datetime(moment, format=style, tzinfo=moment.tzinfo,
                                       locale=Locale(*key) if key else None)


def format_date(value: date | datetime | str | None, style: str = "medium") -> str:
    """A calendar day (a datetime is read as its local day; a string is an ISO day, as the
    frozen JSON of a synthesis holds them)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(get_clock().tz).date()
    return format_day(value, style)


def format_datetime(value: datetime | None, style: str = "medium") -> str:
    """A local date and time, to the minute."""
    if value is None:
        return ""
    local = value.astimezone(get_clock().tz).replace(second=0, microsecond=0)
    return _moment(local, style, locale_key())
