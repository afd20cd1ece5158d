"""Live capture of a guided session: notifications in, what to show and what to save out.

No Kivy. Notifications arrive on the device source's thread; the screen reads
:meth:`LiveCapture.snapshot` on its own tick. Bytes that do not decode are
counted and dropped (a corrupt packet must not stop the session), heart rate
from a strap that says it is off the skin is ignored, and the strap wins over
the bike's own heart-rate field when both speak.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mobile.devices import DeviceKind, LinkState, Notification
from shared.ble import BleParseError, parse_heart_rate_measurement, parse_indoor_bike_data
from shared.samples import (
    HeartRateZone,
    PackedSeries,
    SeriesSummary,
    ZoneState,
    per_second,
    summarize,
)

# A value older than this is no longer shown: the patient must not read a stale number.
STALE_S = 5.0
# While heart rate stays above the ceiling the sound comes back this often.
ALARM_REPEAT_S = 30.0


@dataclass(frozen=True)
class LiveValues:
    """What the guided screen shows at one instant."""

    bpm: int | None
    watts: int | None
    cadence: float | None
    zone: ZoneState
    alarm: bool
    sound: bool  # ring now (a new crossing, or still above after ALARM_REPEAT_S)
    links: dict[DeviceKind, LinkState]


@dataclass(frozen=True)
class Recorded:
    """The 1 Hz series of a session and its heart-rate summary."""

    hr_samples: list[tuple[int, int]]
    power_samples: list[tuple[int, int]]
    summary: SeriesSummary

    @property
    def mean_watts(self) -> int | None:
        """Mean power while pedalling, for the session's ``watts``."""
        values = [w for _, w in self.power_samples if w > 0]
        return round(sum(values) / len(values)) if values else None

    def attach(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The session ``payload`` with its series (packed, as the server takes them) and,
        unless typed, mean power.

        The form rounds the duration to the minute; samples past it stretch it
        to the last sample so the server never finds a sample after the end.
        """
        out = dict(payload, hr_samples=PackedSeries.from_pairs(self.hr_samples).wire(),
                   power_samples=PackedSeries.from_pairs(self.power_samples).wire())
        last = max([o for o, _v in self.hr_samples + self.power_samples], default=0)
        out["duration_s"] = max(out["duration_s"], last)
        if out.get("watts") is None and self.mean_watts is not None:
            out["watts"] = self.mean_watts
        return out


class LiveCapture:
    """Keeps the last values and every reading, in session time.

    ``session_time(at)`` turns a notification's monotonic instant into seconds
    of session (pauses excluded), or None while the session is paused.
    """

    def __init__(self, zone: HeartRateZone, session_time: Callable[[float], float | None],
                 now: Callable[[], float]) -> None:
        self.zone = zone
        self.session_time = session_time
        self.now = now
        self.corrupt = 0
        self._lock = threading.Lock()
        self._hr: list[tuple[float, int]] = []
        self._bike_hr: list[tuple[float, int]] = []
        self._power: list[tuple[float, int]] = []
        self._last_hr: tuple[float, int] | None = None
        self._last_bike_hr: tuple[float, int] | None = None
        self._last_power: tuple[float, int] | None = None
        self._last_cadence: tuple[float, float] | None = None
        self._links: dict[DeviceKind, LinkState] = {}
        self._alarm_since: float | None = None
        self._last_ring: float | None = None

    # Called on the source's thread -------------------------------------------------------

    def receive(self, note: Notification) -> None:
        """Decode one notification and keep what it says."""
        try:
            if note.characteristic == "2a37":
                hr = parse_heart_rate_measurement(note.data)
                bike = None
            else:
                bike = parse_indoor_bike_data(note.data)
                hr = None
        except BleParseError:
            with self._lock:
                self.corrupt += 1
            return
        t = self.session_time(note.at)
        with self._lock:
            if hr is not None and hr.usable:
                self._last_hr = (note.at, hr.bpm)
                if t is not None:
                    self._hr.append((t, hr.bpm))
            if bike is not None:
                if bike.power_w is not None:
                    self._last_power = (note.at, max(bike.power_w, 0))
                    if t is not None:
                        self._power.append((t, max(bike.power_w, 0)))
                if bike.cadence_rpm is not None:
                    self._last_cadence = (note.at, bike.cadence_rpm)
                if bike.heart_rate_bpm:
                    self._last_bike_hr = (note.at, bike.heart_rate_bpm)
                    if t is not None:
                        self._bike_hr.append((t, bike.heart_rate_bpm))

    def link(self, kind: DeviceKind, state: LinkState) -> None:
        """A device's link changed."""
        with self._lock:
            self._links[kind] = state

    # Called on the UI thread ----------------------------------------------------------

    def _fresh(self, value: tuple[float, Any] | None, now: float) -> Any:
        return value[1] if value is not None and now - value[0] <= STALE_S else None

    def snapshot(self) -> LiveValues:
        """The values to show now, the zone and whether to raise or ring the alarm."""
        now = self.now()
        with self._lock:
            bpm = self._fresh(self._last_hr, now) or self._fresh(self._last_bike_hr, now)
            watts = self._fresh(self._last_power, now)
            cadence = self._fresh(self._last_cadence, now)
            links = dict(self._links)
        zone = self.zone.state(bpm)
        alarm = zone is ZoneState.ABOVE
        sound = False
        if alarm:
            if self._alarm_since is None:
                self._alarm_since = now
            if self._last_ring is None or now - self._last_ring >= ALARM_REPEAT_S:
                sound, self._last_ring = True, now
        else:
            self._alarm_since = self._last_ring = None
        return LiveValues(bpm, watts, cadence, zone, alarm, sound, links)

    def recorded(self) -> Recorded:
        """The 1 Hz series (the bike's heart rate only when no strap spoke) and the summary."""
        with self._lock:
            hr = per_second(self._hr or self._bike_hr)
            power = per_second(self._power)
        return Recorded(hr, power, summarize(hr, self.zone))
