"""The one clock of the server: injectable so tests and the CLI act "as of" a date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


class Clock:
    """Wall clock in UTC, with local days in the programme's time zone."""

    def __init__(self, tz: str = "Europe/Paris") -> None:
        self.tz = ZoneInfo(tz)

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        return datetime.now(UTC)

    def today(self) -> date:
        """The current local calendar day."""
        return self.now().astimezone(self.tz).date()


class FixedClock(Clock):
    """A clock stopped at a given instant; ``advance`` moves it."""

    def __init__(self, instant: datetime, tz: str = "Europe/Paris") -> None:
        super().__init__(tz)
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.instant = instant.astimezone(UTC)

    @classmethod
    def on_day(cls, day: date, tz: str = "Europe/Paris", at: time = time(12, 0)) -> FixedClock:
        """A clock at ``at`` local time on ``day``."""
        return cls(datetime.combine(day, at, tzinfo=ZoneInfo(tz)), tz)

    def now(self) -> datetime:
        return self.instant

    def set(self, instant: datetime) -> None:
        """Move the clock to another aware instant."""
        self.instant = instant.astimezone(UTC)


def get_clock() -> Clock:
    """The clock of the current application."""
    return current_app.extensions["reprise.clock"]


def utcnow() -> datetime:
    """Shortcut for ``get_clock().now()``."""
    return get_clock().now()
