"""Sessions from files written by bike computers and watches: FIT, TCX and CSV.

No Kivy. Each reader turns a file into an :class:`ImportedSession` (start,
duration, 1 Hz heart-rate and power series, distance) or raises
:class:`FileImportError` with a sentence the patient can act on; a file
never half-imports.

- FIT (Garmin's binary format), decoded with fitdecode: ``record`` messages
  (timestamp, heart_rate, power, distance), the ``session`` message for the
  start and elapsed time when present.
- TCX (Garmin's XML): Trackpoints with Time, HeartRateBpm, Watts (TPX
  extension) and DistanceMeters.
- CSV with a header: ``time`` (ISO 8601 with its UTC offset), and any of
  ``heart_rate``, ``power``, ``distance_m``.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mobile.i18n import _
from shared.enums import SessionSource
from shared.ranges import HEART_RATE, SESSION_DURATION_S, WATTS
from shared.samples import HeartRateZone, PackedSeries, per_second, summarize

MAX_FILE_BYTES = 20 * 1024 * 1024
TCX_NS = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2",
          "x": "http://www.garmin.com/xmlschemas/ActivityExtension/v2"}


class FileImportError(ValueError):
    """A file that cannot become a session; the message says why, in the patient's words."""


@dataclass(frozen=True)
class Point:
    """One reading of the file: when, and what was measured then (None: not measured)."""

    at: datetime
    heart_rate: int | None = None
    power: int | None = None
    distance_m: float | None = None


@dataclass(frozen=True)
class ImportedSession:
    """A session read from a file, ready to be saved like one ridden on the tablet."""

    started_at: datetime
    duration_s: int
    hr_samples: list[tuple[int, int]]
    power_samples: list[tuple[int, int]]
    distance_km: float | None

    def payload(self) -> dict[str, Any]:
        """The session as the tablet sends it (without its id)."""
        out: dict[str, Any] = {"started_at": self.started_at.isoformat(),
                               "duration_s": self.duration_s,
                               "source": SessionSource.DEVICE.value}
        if self.distance_km is not None:
            out["distance_km"] = self.distance_km
        if self.hr_samples:
            summary = summarize(self.hr_samples, HeartRateZone(None, None))
            out.update(hr_mean=summary.mean, hr_max=summary.maximum,
                       hr_samples=PackedSeries.from_pairs(self.hr_samples).wire())
        if self.power_samples:
            pedalling = [w for _o, w in self.power_samples if w > 0]
            if pedalling:
                out["watts"] = round(sum(pedalling) / len(pedalling))
            out["power_samples"] = PackedSeries.from_pairs(self.power_samples).wire()
        return out


def session_from_points(points: Iterable[Point], started_at: datetime | None = None,
                        duration_s: float | None = None) -> ImportedSession:
    """1 Hz series from readings; start and duration from the file's summary when it has one.

    Readings outside the physiological (or the bike's) range are dropped: a
    watch's 0 bpm while it lost the wrist is no heart rate.
    """
    points = sorted(points, key=lambda p: p.at)
    if not points and started_at is None:
        raise FileImportError(_("This file holds no recorded session."))
    start = started_at or points[0].at
    if start.tzinfo is None:
        raise FileImportError(_("This file's times have no time zone; it cannot be placed."))
    hr = per_second((( p.at - start).total_seconds(), p.heart_rate) for p in points
                    if p.heart_rate is not None and HEART_RATE.contains(p.heart_rate))
    power = per_second(((p.at - start).total_seconds(), p.power) for p in points
                       if p.power is not None and WATTS.contains(p.power))
    last = max([o for o, _v in hr + power], default=0)
    duration = round(duration_s) if duration_s else last + 1
    duration = max(duration, last)
    if not SESSION_DURATION_S.contains(duration):
        raise FileImportError(_("This session lasts {minutes} minutes: a session must last "
                                "from 1 minute to 6 hours.").format(minutes=duration // 60))
    distances = [p.distance_m for p in points if p.distance_m is not None]
    distance = round(max(distances) / 1000, 2) if distances else None
    return ImportedSession(start, duration, hr, power, distance)


# --- FIT ----------------------------------------------------------------------------------


def read_fit(data: bytes) -> ImportedSession:
    """A session from a FIT activity file."""
    import fitdecode

    points: list[Point] = []
    started_at, elapsed = None, None
    try:
        with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.ENABLED) as fit:
            for frame in fit:
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                if frame.name == "record":
                    at = _fit_value(frame, "timestamp")
                    if at is not None:
                        points.append(Point(at, _int(_fit_value(frame, "heart_rate")),
                                            _int(_fit_value(frame, "power")),
                                            _fit_value(frame, "distance")))
                elif frame.name == "session":
                    started_at = _fit_value(frame, "start_time") or started_at
                    elapsed = _fit_value(frame, "total_elapsed_time") or elapsed
    except fitdecode.FitError as error:
        raise FileImportError(_("This FIT file is damaged or incomplete ({error}).").format(
            error=error)) from error
    return session_from_points(points, started_at, elapsed)


def _fit_value(frame: Any, name: str) -> Any:
    return frame.get_value(name, fallback=None) if frame.has_field(name) else None


def _int(value: Any) -> int | None:
    return round(value) if isinstance(value, int | float) else None


# --- TCX ----------------------------------------------------------------------------------


def read_tcx(data: bytes) -> ImportedSession:
    """A session from a TCX file (its first activity)."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise FileImportError(_("This TCX file is not valid XML ({error}).").format(
            error=error)) from error
    points = []
    for tp in root.iterfind(".//t:Trackpoint", TCX_NS):
        when = tp.findtext("t:Time", namespaces=TCX_NS)
        if not when:
            continue
        points.append(Point(
            _iso(when), _int(_number(tp.findtext("t:HeartRateBpm/t:Value", namespaces=TCX_NS))),
            _int(_number(tp.findtext(".//x:Watts", namespaces=TCX_NS))),
            _number(tp.findtext("t:DistanceMeters", namespaces=TCX_NS))))
    lap = root.find(".//t:Lap", TCX_NS)
    started = _iso(lap.get("StartTime")) if lap is not None and lap.get("StartTime") else None
    return session_from_points(points, started)


# --- CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = {"time": ("time", "timestamp"), "heart_rate": ("heart_rate", "hr", "bpm"),
               "power": ("power", "watts"), "distance_m": ("distance_m", "distance")}


def read_csv(data: bytes) -> ImportedSession:
    """A session from a CSV file with a header row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileImportError(_("This CSV file is not UTF-8 text.")) from error
    sample = text[:4096]
    dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    rows = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = {(name or "").strip().lower(): name for name in rows.fieldnames or ()}
    columns = {key: next((header[a] for a in aliases if a in header), None)
               for key, aliases in CSV_COLUMNS.items()}
    if columns["time"] is None:
        raise FileImportError(_("This CSV file needs a \"time\" column (ISO 8601 date and "
                                "time with its UTC offset)."))
    points = []
    for line, row in enumerate(rows, start=2):
        try:
            points.append(Point(
                _iso(row[columns["time"]]),
                _int(_number(row.get(columns["heart_rate"]) if columns["heart_rate"] else None)),
                _int(_number(row.get(columns["power"]) if columns["power"] else None)),
                _number(row.get(columns["distance_m"]) if columns["distance_m"] else None)))
        except FileImportError as error:
            raise FileImportError(_("Line {line}: {error}").format(line=line,
                                                                   error=error)) from error
    return session_from_points(points)


def _iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise FileImportError(_("\"{text}\" is not a date and time.").format(
            text=text[:40])) from error


def _number(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text.strip().replace(",", "."))
    except ValueError as error:
        raise FileImportError(_("\"{text}\" is not a number.").format(text=text[:40])) from error


# --- Any file -----------------------------------------------------------------------------

READERS = {".fit": read_fit, ".tcx": read_tcx, ".csv": read_csv}


def import_file(path: Path) -> ImportedSession:
    """The session in ``path``, chosen by its extension (.fit, .tcx, .csv)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise FileImportError(_("Only FIT, TCX and CSV files can be imported."))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FileImportError(_("This file is larger than 20 MB: it is not one session."))
    return reader(path.read_bytes())
