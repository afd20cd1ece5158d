"""FIT (written by a FIT encoder, decoded back), TCX and CSV files into sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import Event, EventType, FileType, Manufacturer, Sport

from mobile import i18n
from mobile.importers import (
    FileImportError,
    ImportedSession,
    import_file,
    read_csv,
    read_fit,
    read_tcx,
)
from shared.samples import PackedSeries

START = datetime(2026, 11, 30, 9, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english():
    """Messages checked in English, whatever a previous test chose."""
    previous = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(previous)


def heart_rate(t: int) -> int:
    return 90 + t // 30 + (5 if 600 <= t < 660 else 0)


def power(t: int) -> int:
    return 35 if (t // 60) % 2 else 15


def write_fit(path: Path, seconds: int = 1200, start: datetime = START) -> Path:
    """An activity file as a bike computer writes it: file id, timer, 1 Hz records, session."""
    millis = round(start.timestamp() * 1000)
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.time_created = millis
    file_id.serial_number = 0x1234
    builder.add(file_id)
    event = EventMessage()
    event.event, event.event_type, event.timestamp = Event.TIMER, EventType.START, millis
    builder.add(event)
    for t in range(seconds):
        record = RecordMessage()
        record.timestamp = millis + 1000 * t
        record.heart_rate = heart_rate(t)
        record.power = power(t)
        record.distance = 5.0 * t
        builder.add(record)
    session = SessionMessage()
    session.timestamp = millis + 1000 * seconds
    session.start_time = millis
    session.total_elapsed_time = float(seconds)
    session.total_timer_time = float(seconds)
    session.sport = Sport.CYCLING
    builder.add(session)
    builder.build().to_file(str(path))
    return path


def test_a_fit_file_from_an_encoder_imports_into_a_session_identical_to_its_source(tmp_path):
    imported = import_file(write_fit(tmp_path / "ride.fit"))
    assert imported == ImportedSession(
        started_at=START, duration_s=1200,
        hr_samples=[(t, heart_rate(t)) for t in range(1200)],
        power_samples=[(t, power(t)) for t in range(1200)],
        distance_km=round(5.0 * 1199 / 1000, 2))
    payload = imported.payload()
    assert payload["source"] == "device" and payload["watts"] == 25
    assert payload["hr_max"] == max(heart_rate(t) for t in range(1200))
    hr = PackedSeries.from_wire(payload["hr_samples"])
    assert list(zip(hr.offsets, hr.values, strict=True)) == imported.hr_samples


def test_a_damaged_fit_file_is_a_clear_error(tmp_path):
    data = write_fit(tmp_path / "ride.fit").read_bytes()
    with pytest.raises(FileImportError, match="damaged or incomplete"):
        read_fit(data[: len(data) // 2])
    with pytest.raises(FileImportError, match="damaged or incomplete"):
        read_fit(b"not a fit file at all")


TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
  xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
 <Activities><Activity Sport="Biking"><Id>2026-11-30T09:15:00Z</Id>
  <Lap StartTime="2026-11-30T09:15:00Z"><TotalTimeSeconds>120</TotalTimeSeconds><Track>
   {points}
  </Track></Lap></Activity></Activities></TrainingCenterDatabase>"""
TRACKPOINT = """<Trackpoint><Time>{time}</Time><DistanceMeters>{d}</DistanceMeters>
   <HeartRateBpm><Value>{hr}</Value></HeartRateBpm>
   <Extensions><ns3:TPX><ns3:Watts>{w}</ns3:Watts></ns3:TPX></Extensions></Trackpoint>"""


def test_tcx_trackpoints_become_samples():
    points = "".join(TRACKPOINT.format(
        time=(START + timedelta(seconds=t)).isoformat().replace("+00:00", "Z"), d=4.0 * t,
        hr=100 + t % 10, w=40) for t in range(0, 120, 2))
    imported = read_tcx(TCX.format(points=points).encode())
    assert imported.started_at == START and imported.duration_s == 119
    assert imported.hr_samples[:2] == [(0, 100), (2, 102)] and len(imported.hr_samples) == 60
    assert imported.distance_km == 0.47


def test_csv_with_header_aliases_and_semicolons():
    rows = ["timestamp;hr;watts"] + [
        f"{(START + timedelta(seconds=t)).isoformat()};{110 + t % 3};{50}" for t in range(90)]
    imported = read_csv("\n".join(rows).encode())
    assert imported.duration_s == 90 and imported.power_samples[-1] == (89, 50)
    assert imported.hr_samples[1] == (1, 111)


@pytest.mark.parametrize(("content", "message"), [
    (b"hr,watts\n100,40\n", 'needs a "time" column'),
    (b"time,hr\nyesterday,100\n", 'Line 2: "yesterday" is not a date and time.'),
    (b"time,hr\n2026-11-30T09:15:00+00:00,fast\n", 'Line 2: "fast" is not a number.'),
    (b"time,hr\n2026-11-30T09:15:00,100\n", "no time zone"),
    (b"time,hr\n2026-11-30T09:15:00+00:00,100\n2026-11-30T17:15:00+00:00,100\n", "6 hours"),
    (b"\xff\xfe\x00", "UTF-8"),
])
def test_bad_csv_files_say_what_is_wrong(content, message):
    with pytest.raises(FileImportError, match=message.replace("(", r"\(").replace(".", r"\.")):
        read_csv(content)


def test_unknown_extensions_are_refused(tmp_path):
    path = tmp_path / "ride.gpx"
    path.write_text("<gpx/>")
    with pytest.raises(FileImportError, match="FIT, TCX and CSV"):
        import_file(path)
