"""Bluetooth LE fitness characteristics, decoded from their notification bytes.

Pure: bytes in, a frozen record out, or :class:`BleParseError` naming what is
wrong. Layouts follow the Bluetooth SIG specifications:

- Heart Rate Measurement (0x2A37), Heart Rate Service 1.0 section 3.1: one
  flags octet (bit 0 value format UINT8/UINT16, bits 1-2 sensor contact
  status, bit 3 energy expended present, bit 4 RR intervals present, bits 5-7
  reserved), the heart rate, then energy expended (UINT16, kJ) and any
  number of RR intervals (UINT16, 1/1024 s) filling the rest of the packet.
- Indoor Bike Data (0x2AD2), Fitness Machine Service 1.0 section 4.9: a
  16-bit flags field, then the fields its bits announce in a fixed order
  (bit 0 "More Data" is inverted: instantaneous speed is present when it is 0).

A field whose length does not match what the flags announce (a truncated
packet, or bytes left over) is corrupt: the whole notification is refused, so
a bad packet never becomes a plausible-looking value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEART_RATE_MEASUREMENT_UUID = "00002a37-0000-1000-8000-00805f9b34fb"
INDOOR_BIKE_DATA_UUID = "00002ad2-0000-1000-8000-00805f9b34fb"
HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
FITNESS_MACHINE_SERVICE_UUID = "00001826-0000-1000-8000-00805f9b34fb"

# RR intervals are sent in units of 1/1024 second.
RR_UNITS_PER_S = 1024


class BleParseError(ValueError):
    """A notification that does not decode: truncated, too long or empty."""


@dataclass(frozen=True)
class HeartRateMeasurement:
    """One 0x2A37 notification.

    ``sensor_contact`` is None when the strap does not support contact
    detection (bits 1-2 both clear or only bit 1 set), else whether the strap
    touches the skin.
    """

    bpm: int
    sensor_contact: bool | None
    energy_expended_kj: int | None
    rr_intervals_s: tuple[float, ...]

    @property
    def usable(self) -> bool:
        """A reading worth keeping: a strap known to be off the skin sends noise."""
        return self.sensor_contact is not False and self.bpm > 0


@dataclass(frozen=True)
class IndoorBikeData:
    """One 0x2AD2 notification; a field the flags leave out is None."""

    more_data: bool
    speed_kmh: float | None = None
    average_speed_kmh: float | None = None
    cadence_rpm: float | None = None
    average_cadence_rpm: float | None = None
    distance_m: int | None = None
    resistance: int | None = None
    power_w: int | None = None
    average_power_w: int | None = None
    total_energy_kcal: int | None = None
    energy_per_hour_kcal: int | None = None
    energy_per_minute_kcal: int | None = None
    heart_rate_bpm: int | None = None
    metabolic_equivalent: float | None = None
    elapsed_time_s: int | None = None
    remaining_time_s: int | None = None


# Compiled once: a session decodes thousands of notifications.
_STRUCTS = {fmt: struct.Struct(fmt) for fmt in ("<B", "<H", "<h")}


class _Reader:
    """Reads little-endian fields in order, naming the field that runs short."""

    __slots__ = ("data", "pos", "what")

    def __init__(self, data: bytes, what: str) -> None:
        self.data = bytes(data)
        self.what = what
        self.pos = 0

    def take(self, fmt: str, field: str) -> int:
        compiled = _STRUCTS[fmt]
        size = compiled.size
        if self.pos + size > len(self.data):
            raise BleParseError(
                f"{self.what}: truncated at {field} (needs {size} byte(s) at offset {self.pos}, "
                f"packet has {len(self.data)})")
        (value,) = compiled.unpack_from(self.data, self.pos)
        self.pos += size
        return value

    def uint24(self, field: str) -> int:
        low = self.take("<H", field)
        return low | (self.take("<B", field) << 16)

    def left(self) -> int:
        return len(self.data) - self.pos

    def done(self) -> None:
        if self.pos != len(self.data):
            raise BleParseError(
                f"{self.what}: {len(self.data) - self.pos} unexpected byte(s) after the last "
                f"field announced by the flags")


def parse_heart_rate_measurement(data: bytes) -> HeartRateMeasurement:
    """Decode a Heart Rate Measurement (0x2A37) notification."""
    reader = _Reader(data, "heart rate measurement")
    flags = reader.take("<B", "flags")
    bpm = reader.take("<H" if flags & 0x01 else "<B", "heart rate value")
    contact_status = (flags >> 1) & 0x03
    # Bit 2 says the feature is supported; bit 1 is then whether contact is made.
    contact = bool(contact_status & 0x01) if contact_status & 0x02 else None
    energy = reader.take("<H", "energy expended") if flags & 0x08 else None
    rr: tuple[float, ...] = ()
    if flags & 0x10:
        if reader.left() % 2:
            raise BleParseError("heart rate measurement: truncated RR interval (odd byte count)")
        rr = tuple(reader.take("<H", "RR interval") / RR_UNITS_PER_S
                   for _ in range(reader.left() // 2))
    reader.done()
    return HeartRateMeasurement(bpm, contact, energy, rr)


def parse_indoor_bike_data(data: bytes) -> IndoorBikeData:
    """Decode an Indoor Bike Data (0x2AD2) notification, every flag combination."""
    reader = _Reader(data, "indoor bike data")
    flags = reader.take("<H", "flags")
    fields: dict[str, int | float | None] = {}
    if not flags & 0x0001:
        fields["speed_kmh"] = reader.take("<H", "instantaneous speed") / 100
    if flags & 0x0002:
        fields["average_speed_kmh"] = reader.take("<H", "average speed") / 100
    if flags & 0x0004:
        fields["cadence_rpm"] = reader.take("<H", "instantaneous cadence") / 2
    if flags & 0x0008:
        fields["average_cadence_rpm"] = reader.take("<H", "average cadence") / 2
    if flags & 0x0010:
        fields["distance_m"] = reader.uint24("total distance")
    if flags & 0x0020:
        fields["resistance"] = reader.take("<h", "resistance level")
    if flags & 0x0040:
        fields["power_w"] = reader.take("<h", "instantaneous power")
    if flags & 0x0080:
        fields["average_power_w"] = reader.take("<h", "average power")
    if flags & 0x0100:
        fields["total_energy_kcal"] = reader.take("<H", "total energy")
        fields["energy_per_hour_kcal"] = reader.take("<H", "energy per hour")
        fields["energy_per_minute_kcal"] = reader.take("<B", "energy per minute")
    if flags & 0x0200:
        fields["heart_rate_bpm"] = reader.take("<B", "heart rate")
    if flags & 0x0400:
        fields["metabolic_equivalent"] = reader.take("<B", "metabolic equivalent") / 10
    if flags & 0x0800:
        fields["elapsed_time_s"] = reader.take("<H", "elapsed time")
    if flags & 0x1000:
        fields["remaining_time_s"] = reader.take("<H", "remaining time")
    reader.done()
    return IndoorBikeData(more_data=bool(flags & 0x0001), **fields)  # type: ignore[arg-type]
