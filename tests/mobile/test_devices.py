"""Device sources (replay, bleak with a simulated radio) and the live capture, without Kivy."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from mobile.capture import ALARM_REPEAT_S, LiveCapture
from mobile.devices import (
    DEMO_RECORDING,
    BleakSource,
    BluetoothUnavailable,
    Device,
    DeviceKind,
    LinkState,
    Notification,
    ReplaySource,
    read_recording,
    scan,
)
from shared.ble import parse_heart_rate_measurement
from shared.samples import HeartRateZone, PackedSeries, ZoneState


class ManualClock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


class Collector:
    """Sink and status callback that remember what they were given."""

    def __init__(self) -> None:
        self.notes: list[Notification] = []
        self.links: list[tuple[DeviceKind, LinkState]] = []
        self.changed = threading.Condition()

    def sink(self, note: Notification) -> None:
        with self.changed:
            self.notes.append(note)
            self.changed.notify_all()

    def status(self, kind: DeviceKind, state: LinkState) -> None:
        with self.changed:
            self.links.append((kind, state))
            self.changed.notify_all()

    def wait(self, condition, timeout: float = 5.0) -> None:
        with self.changed:
            assert self.changed.wait_for(condition, timeout), "condition never held"


def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll a condition set by another thread, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.005)


def test_replay_plays_at_the_recorded_pace_on_the_injected_clock():
    clock = ManualClock()
    rows = [{"t": 0.5, "char": "2a37", "hex": "0048"},
            {"t": 1.0, "char": "2ad2", "hex": "41006400"},
            {"t": 2.0, "link": "down", "kind": "strap"},
            {"t": 2.5, "char": "2a37", "hex": "0049"},  # lost: the strap's link is down
            {"t": 3.0, "link": "up", "kind": "strap"},
            {"t": 3.5, "char": "2a37", "hex": "004a"}]
    source, got = ReplaySource(rows, now=clock, poll_s=0.001), Collector()
    source.start(got.sink, got.status)
    time.sleep(0.02)
    assert got.notes == []
    clock.advance(1.0)
    got.wait(lambda: len(got.notes) == 2)
    assert [(n.characteristic, n.data, n.at) for n in got.notes] == [
        ("2a37", b"\x00\x48", 100.5), ("2ad2", b"\x41\x00\x64\x00", 101.0)]
    clock.advance(3.0)
    got.wait(lambda: (DeviceKind.STRAP, LinkState.STOPPED) in got.links)
    source.stop()
    assert [n.data for n in got.notes][2:] == [b"\x00\x4a"]
    strap = [state for kind, state in got.links if kind is DeviceKind.STRAP]
    assert strap == [LinkState.CONNECTED, LinkState.RECONNECTING, LinkState.CONNECTED,
                     LinkState.STOPPED]


def test_replay_stops_when_asked_midway():
    clock = ManualClock()
    source, got = ReplaySource(read_recording(DEMO_RECORDING), now=clock, poll_s=0.001), Collector()
    source.start(got.sink, got.status)
    clock.advance(10)
    got.wait(lambda: len(got.notes) >= 25)
    source.stop()
    seen = len(got.notes)
    clock.advance(100)
    time.sleep(0.02)
    assert len(got.notes) == seen < 3000


def test_demo_recording_is_a_valid_twenty_minute_ride():
    rows = read_recording(DEMO_RECORDING)
    assert rows[-1]["t"] == pytest.approx(1200, abs=1)
    straps = [r for r in rows if r.get("char") == "2a37"]
    assert len(straps) == 1201  # one a second, plus one corrupt packet
    bpms = []
    for row in straps:
        try:
            bpms.append(parse_heart_rate_measurement(bytes.fromhex(row["hex"])).bpm)
        except ValueError:
            bpms.append(None)
    assert bpms.count(None) == 1 and max(b for b in bpms if b) > 130


class SimulatedClient:
    """A BleakClient stand-in: connects, notifies on demand, drops the link on demand."""

    registry: list[SimulatedClient] = []
    fail_next_connects = 0

    def __init__(self, address: str, disconnected_callback) -> None:
        self.address = address
        self.on_disconnect = disconnected_callback
        self.handler = None
        self.connected = False
        SimulatedClient.registry.append(self)

    async def connect(self) -> None:
        if SimulatedClient.fail_next_connects:
            SimulatedClient.fail_next_connects -= 1
            raise OSError("device out of range")
        self.connected = True

    async def start_notify(self, uuid: str, handler) -> None:
        self.uuid = uuid
        self.handler = handler

    async def disconnect(self) -> None:
        self.connected = False

    def notify(self, data: bytes) -> None:
        self.handler(self.uuid, bytearray(data))

    def drop(self) -> None:
        self.connected = False
        self.on_disconnect(self)


def test_bleak_source_reconnects_when_the_link_drops():
    SimulatedClient.registry = []
    SimulatedClient.fail_next_connects = 0
    source = BleakSource([Device(DeviceKind.STRAP, "AA:BB", "Strap")],
                         client_factory=SimulatedClient, retry_s=0.01)
    got = Collector()
    source.start(got.sink, got.status)
    wait_until(lambda: (DeviceKind.STRAP, LinkState.CONNECTED) in got.links)
    first = SimulatedClient.registry[0]
    assert first.uuid == "00002a37-0000-1000-8000-00805f9b34fb"
    first.notify(b"\x00\x50")
    got.wait(lambda: len(got.notes) == 1)
    SimulatedClient.fail_next_connects = 2  # the strap stays out of range for two tries
    first.drop()
    wait_until(lambda: len(SimulatedClient.registry) == 4
               and SimulatedClient.registry[-1].handler is not None)
    SimulatedClient.registry[-1].notify(b"\x00\x51")
    got.wait(lambda: len(got.notes) == 2)
    source.stop()
    assert [n.data for n in got.notes] == [b"\x00\x50", b"\x00\x51"]
    states = [s for _k, s in got.links]
    assert states[:2] == [LinkState.CONNECTING, LinkState.CONNECTED]
    assert states.count(LinkState.RECONNECTING) >= 3 and states[-1] is LinkState.STOPPED
    assert not SimulatedClient.registry[-1].connected


def test_scan_without_an_adapter_is_a_clear_unavailability():
    try:
        devices = scan(0.5)
    except BluetoothUnavailable as error:
        assert str(error)
    else:  # a machine with Bluetooth: whatever is in range, well-formed
        assert all(d.kind in DeviceKind for d in devices)
    assert asyncio.get_event_loop_policy() is not None


# --- Live capture -------------------------------------------------------------------------


def capture(clock: ManualClock, low=None, ceiling=130) -> LiveCapture:
    return LiveCapture(HeartRateZone(low, ceiling), session_time=lambda at: at - 100.0, now=clock)


def test_capture_shows_fresh_values_and_prefers_the_strap():
    clock = ManualClock()
    live = capture(clock)
    live.receive(Notification("2ad2", bytes.fromhex("4102" "3c00" "8c"), 100.0))  # 60 W, 140 bpm
    assert (live.snapshot().bpm, live.snapshot().watts) == (140, 60)
    live.receive(Notification("2a37", bytes([0x06, 118]), 100.2))
    values = live.snapshot()
    assert (values.bpm, values.zone, values.alarm) == (118, ZoneState.IN_ZONE, False)
    clock.advance(6)
    assert (live.snapshot().bpm, live.snapshot().watts) == (None, None)  # stale: not shown


def test_capture_counts_corrupt_packets_and_ignores_a_strap_off_the_skin():
    clock = ManualClock()
    live = capture(clock)
    live.receive(Notification("2a37", b"\x10", 100.0))
    live.receive(Notification("2ad2", b"\x00", 100.0))
    live.receive(Notification("2a37", bytes([0x04, 0]), 100.0))
    assert live.corrupt == 2 and live.snapshot().bpm is None
    assert live.recorded().hr_samples == []


def test_alarm_rings_at_the_crossing_then_again_while_above():
    clock = ManualClock()
    live = capture(clock)
    live.receive(Notification("2a37", bytes([0x00, 131]), clock()))
    first = live.snapshot()
    assert first.alarm and first.sound and first.zone is ZoneState.ABOVE
    clock.advance(1)
    live.receive(Notification("2a37", bytes([0x00, 135]), clock()))
    assert live.snapshot().alarm and not live.snapshot().sound
    clock.advance(ALARM_REPEAT_S)
    live.receive(Notification("2a37", bytes([0x00, 133]), clock()))
    assert live.snapshot().sound
    clock.advance(1)
    live.receive(Notification("2a37", bytes([0x00, 125]), clock()))
    assert not live.snapshot().alarm
    clock.advance(1)
    live.receive(Notification("2a37", bytes([0x00, 132]), clock()))
    assert live.snapshot().sound  # a new crossing rings at once


def test_recorded_series_are_one_hertz_and_summarized_against_the_zone():
    clock = ManualClock()
    live = capture(clock, low=100, ceiling=130)
    bpm = [95, 96, 110, 120, 131, 135, 125, 0]
    for second, value in enumerate(bpm):
        for quarter in range(4):  # the bike notifies at 4 Hz, the strap at 1 Hz
            at = 100.0 + second + quarter / 4
            live.receive(Notification("2ad2", bytes.fromhex("4100") + (40 + quarter).to_bytes(
                2, "little"), at))
        live.receive(Notification("2a37", bytes([0x06 if value else 0x04, value]), 100.0 + second))
    recorded = live.recorded()
    assert recorded.hr_samples == [(i, v) for i, v in enumerate(bpm) if v]
    assert recorded.power_samples == [(i, 43) for i in range(8)]
    assert recorded.mean_watts == 43
    s = recorded.summary
    assert (s.count, s.maximum, s.in_zone_s, s.above_ceiling_s) == (7, 135, 3, 2)
    assert s.mean == round(sum(bpm[:7]) / 7)
    payload = recorded.attach({"duration_s": 6, "source": "guided"})
    hr, power = (PackedSeries.from_wire(payload[k]) for k in ("hr_samples", "power_samples"))
    assert (hr.offsets[0], hr.values[0]) == (0, 95) and (power.offsets[-1], power.values[-1]) == (
        7, 43)
    assert (payload["duration_s"], payload["watts"]) == (7, 43)


def test_paused_time_records_nothing():
    clock = ManualClock()
    live = LiveCapture(HeartRateZone(None, 130), session_time=lambda at: None, now=clock)
    live.receive(Notification("2a37", bytes([0x00, 100]), clock()))
    assert live.snapshot().bpm == 100 and live.recorded().hr_samples == []
