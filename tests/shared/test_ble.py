"""BLE parsers against byte vectors written from the SIG specifications, and arbitrary bytes."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.ble import (
    BleParseError,
    HeartRateMeasurement,
    IndoorBikeData,
    parse_heart_rate_measurement,
    parse_indoor_bike_data,
)

# --- Heart Rate Measurement (0x2A37) ------------------------------------------------------

# The machine is shared: a slow example is not a failure.
NO_DEADLINE = settings(deadline=None)


@pytest.mark.parametrize(("packet", "expected"), [
    # flags 0x00: UINT8 value, contact feature not supported, nothing else.
    (bytes([0x00, 72]), HeartRateMeasurement(72, None, None, ())),
    # flags 0x01: UINT16 value (little-endian 0x0134 = 308 is legal on the wire).
    (bytes([0x01, 0x34, 0x01]), HeartRateMeasurement(308, None, None, ())),
    # flags 0x02: bit 1 alone (contact bit without the supported bit) means unsupported.
    (bytes([0x02, 90]), HeartRateMeasurement(90, None, None, ())),
    # flags 0x04: supported, no contact.
    (bytes([0x04, 0]), HeartRateMeasurement(0, False, None, ())),
    # flags 0x06: supported and in contact.
    (bytes([0x06, 128]), HeartRateMeasurement(128, True, None, ())),
    # flags 0x08: energy expended 0x0203 = 515 kJ.
    (bytes([0x08, 100, 0x03, 0x02]), HeartRateMeasurement(100, None, 515, ())),
    # flags 0x10: two RR intervals 1024 (1 s) and 512 (0.5 s).
    (bytes([0x10, 60, 0x00, 0x04, 0x00, 0x02]), HeartRateMeasurement(60, None, None, (1.0, 0.5))),
    # Everything: UINT16, in contact, energy 10 kJ, one RR of 0x0333 = 819/1024 s.
    (bytes([0x1F, 0x4B, 0x00, 0x0A, 0x00, 0x33, 0x03]),
     HeartRateMeasurement(75, True, 10, (819 / 1024,))),
    # Reserved bits 5-7 are ignored.
    (bytes([0xE0, 70]), HeartRateMeasurement(70, None, None, ())),
])
def test_heart_rate_vectors_from_the_specification(packet, expected):
    assert parse_heart_rate_measurement(packet) == expected


@pytest.mark.parametrize(("packet", "field"), [
    (b"", "flags"),
    (bytes([0x00]), "heart rate value"),
    (bytes([0x01, 0x50]), "heart rate value"),
    (bytes([0x08, 80, 0x01]), "energy expended"),
    (bytes([0x10, 80, 0x01]), "RR interval"),
    (bytes([0x00, 80, 0x01]), "unexpected byte"),
])
def test_heart_rate_truncated_or_overlong_is_a_named_error(packet, field):
    with pytest.raises(BleParseError, match=field):
        parse_heart_rate_measurement(packet)


def test_heart_rate_off_the_skin_is_not_usable():
    assert not parse_heart_rate_measurement(bytes([0x04, 75])).usable
    assert parse_heart_rate_measurement(bytes([0x06, 75])).usable
    assert parse_heart_rate_measurement(bytes([0x00, 75])).usable
    assert not parse_heart_rate_measurement(bytes([0x00, 0])).usable


def encode_hr(bpm: int, wide: bool, contact: int, energy: int | None, rr: list[int]) -> bytes:
    """A 0x2A37 packet built field by field, the way a strap writes it."""
    flags = (0x01 if wide else 0) | (contact << 1) | (0x08 if energy is not None else 0) | (
        0x10 if rr else 0)
    out = bytes([flags]) + (struct.pack("<H", bpm) if wide else bytes([bpm]))
    if energy is not None:
        out += struct.pack("<H", energy)
    return out + b"".join(struct.pack("<H", r) for r in rr)


@NO_DEADLINE
@given(bpm=st.integers(0, 255), wide=st.booleans(), contact=st.integers(0, 3),
       energy=st.none() | st.integers(0, 0xFFFF),
       rr=st.lists(st.integers(0, 0xFFFF), max_size=9))
def test_heart_rate_round_trip_any_flag_combination(bpm, wide, contact, energy, rr):
    parsed = parse_heart_rate_measurement(encode_hr(bpm, wide, contact, energy, rr))
    assert parsed.bpm == bpm
    assert parsed.sensor_contact == (bool(contact & 1) if contact & 2 else None)
    assert parsed.energy_expended_kj == energy
    assert parsed.rr_intervals_s == tuple(r / 1024 for r in rr)


@NO_DEADLINE
@given(st.binary(max_size=40))
def test_heart_rate_arbitrary_bytes_decode_or_raise_the_parse_error(packet):
    try:
        parsed = parse_heart_rate_measurement(packet)
    except BleParseError as error:
        assert str(error).startswith("heart rate measurement: ")
    else:
        assert 0 <= parsed.bpm <= 0xFFFF


@NO_DEADLINE
@given(bpm=st.integers(0, 255), energy=st.integers(0, 0xFFFF),
       rr=st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=5), cut=st.integers(1, 20))
def test_heart_rate_any_truncation_is_refused_or_shorter_rr(bpm, energy, rr, cut):
    packet = encode_hr(bpm, True, 3, energy, rr)
    cut = min(cut, len(packet))
    truncated = packet[:-cut]
    try:
        parsed = parse_heart_rate_measurement(truncated)
    except BleParseError:
        return
    # Only whole RR intervals can go missing unnoticed: the packet says "the rest is RR".
    assert parsed.bpm == bpm and parsed.energy_expended_kj == energy
    assert len(parsed.rr_intervals_s) < len(rr)


# --- Indoor Bike Data (0x2AD2) -------------------------------------------------------------


def test_bike_minimal_packet_is_instantaneous_speed_only():
    # Flags 0x0000: More Data clear, so Instantaneous Speed is present: 0x0960 = 24.00 km/h.
    assert parse_indoor_bike_data(bytes([0x00, 0x00, 0x60, 0x09])) == IndoorBikeData(
        more_data=False, speed_kmh=24.0)


def test_bike_more_data_set_carries_no_speed():
    assert parse_indoor_bike_data(bytes([0x01, 0x00])) == IndoorBikeData(more_data=True)


def test_bike_typical_trainer_packet():
    # Flags 0x0244: speed, cadence, power, heart rate.
    packet = bytes([0x44, 0x02, 0xC4, 0x09, 0xB4, 0x00, 0x64, 0x00, 0x78])
    assert parse_indoor_bike_data(packet) == IndoorBikeData(
        more_data=False, speed_kmh=25.0, cadence_rpm=90.0, power_w=100, heart_rate_bpm=120)


def test_bike_every_field_present_in_specification_order():
    packet = bytes([0xFF, 0x1F]) + b"".join([
        struct.pack("<H", 2250),            # average speed 22.50 km/h
        struct.pack("<H", 171),             # cadence 85.5 rpm
        struct.pack("<H", 160),             # average cadence 80 rpm
        (12345).to_bytes(3, "little"),      # total distance 12,345 m
        struct.pack("<h", -3),              # resistance level (signed)
        struct.pack("<h", 215),             # power 215 W
        struct.pack("<h", 180),             # average power 180 W
        struct.pack("<HHB", 300, 600, 10),  # total energy, per hour, per minute (kcal)
        bytes([142]),                       # heart rate
        bytes([65]),                        # 6.5 METs
        struct.pack("<H", 1800),            # elapsed 30 min
        struct.pack("<H", 600),             # remaining 10 min
    ])
    assert parse_indoor_bike_data(packet) == IndoorBikeData(
        more_data=True, average_speed_kmh=22.5, cadence_rpm=85.5, average_cadence_rpm=80.0,
        distance_m=12345, resistance=-3, power_w=215, average_power_w=180,
        total_energy_kcal=300, energy_per_hour_kcal=600, energy_per_minute_kcal=10,
        heart_rate_bpm=142, metabolic_equivalent=6.5, elapsed_time_s=1800,
        remaining_time_s=600)


def test_bike_negative_power_is_signed():
    assert parse_indoor_bike_data(bytes([0x41, 0x00, 0xFF, 0xFF])).power_w == -1


@pytest.mark.parametrize(("packet", "field"), [
    (b"", "flags"),
    (bytes([0x00]), "flags"),
    (bytes([0x00, 0x00, 0x60]), "instantaneous speed"),
    (bytes([0x11, 0x00, 0x01, 0x02]), "total distance"),
    (bytes([0x01, 0x01, 0x10, 0x00, 0x20, 0x00]), "energy per minute"),
    (bytes([0x01, 0x00, 0x00]), "unexpected byte"),
])
def test_bike_truncated_or_overlong_is_a_named_error(packet, field):
    with pytest.raises(BleParseError, match=field):
        parse_indoor_bike_data(packet)


BIKE_FIELDS = [  # (flag bit, attribute, struct format, scale)
    (0x0002, "average_speed_kmh", "<H", 100), (0x0004, "cadence_rpm", "<H", 2),
    (0x0008, "average_cadence_rpm", "<H", 2), (0x0010, "distance_m", "uint24", 1),
    (0x0020, "resistance", "<h", 1), (0x0040, "power_w", "<h", 1),
    (0x0080, "average_power_w", "<h", 1), (0x0100, "energy", "<HHB", 1),
    (0x0200, "heart_rate_bpm", "<B", 1), (0x0400, "metabolic_equivalent", "<B", 10),
    (0x0800, "elapsed_time_s", "<H", 1), (0x1000, "remaining_time_s", "<H", 1),
]


@NO_DEADLINE
@given(flags=st.integers(0, 0xFFFF), seed=st.randoms(use_true_random=False))
def test_bike_round_trip_every_flag_combination(flags, seed):
    expected: dict[str, object] = {"more_data": bool(flags & 1)}
    packet = struct.pack("<H", flags)
    if not flags & 1:
        raw = seed.randint(0, 0xFFFF)
        packet += struct.pack("<H", raw)
        expected["speed_kmh"] = raw / 100
    for bit, name, fmt, scale in BIKE_FIELDS:
        if not flags & bit:
            continue
        if fmt == "uint24":
            raw = seed.randint(0, 0xFFFFFF)
            packet += raw.to_bytes(3, "little")
            expected[name] = raw
        elif fmt == "<HHB":
            total, hour, minute = seed.randint(0, 0xFFFF), seed.randint(0, 0xFFFF), seed.randint(
                0, 0xFF)
            packet += struct.pack(fmt, total, hour, minute)
            expected.update(total_energy_kcal=total, energy_per_hour_kcal=hour,
                            energy_per_minute_kcal=minute)
        else:
            signed = fmt == "<h"
            size = struct.calcsize(fmt) * 8
            raw = seed.randint(-(1 << (size - 1)), (1 << (size - 1)) - 1) if signed else (
                seed.randint(0, (1 << size) - 1))
            packet += struct.pack(fmt, raw)
            expected[name] = raw / scale if scale != 1 else raw
    assert parse_indoor_bike_data(packet) == IndoorBikeData(**expected)
    if len(packet) > 2:
        with pytest.raises(BleParseError):
            parse_indoor_bike_data(packet[:-1])
    with pytest.raises(BleParseError):
        parse_indoor_bike_data(packet + b"\x00")


@NO_DEADLINE
@given(st.binary(max_size=64))
def test_bike_arbitrary_bytes_decode_or_raise_the_parse_error(packet):
    try:
        parsed = parse_indoor_bike_data(packet)
    except BleParseError as error:
        assert str(error).startswith("indoor bike data: ")
    else:
        assert isinstance(parsed, IndoorBikeData)
