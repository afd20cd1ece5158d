"""Where live heart rate and bike data come from: the radio (bleak) or a recording.

No Kivy. A :class:`DeviceSource` runs on its own thread and hands every raw
notification (characteristic, bytes, monotonic instant) to a sink, and every
change of link state to a status callback; both are called on the source's
thread, so the receiver must hop to the UI thread itself. Parsing is the
receiver's job (:mod:`mobile.capture`): a source never drops or judges bytes.

- :class:`BleakSource` connects to the remembered strap and bike, subscribes
  to 0x2A37 and 0x2AD2, and reconnects with back-off whenever a link drops.
- :class:`ReplaySource` plays recorded notifications (JSON lines) at their
  recorded pace on the injected clock: tests, the demo, tablets without
  Bluetooth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from shared.ble import (
    FITNESS_MACHINE_SERVICE_UUID,
    HEART_RATE_MEASUREMENT_UUID,
    HEART_RATE_SERVICE_UUID,
    INDOOR_BIKE_DATA_UUID,
)

DEMO_RECORDING = Path(__file__).parent / "recordings" / "demo_ride.jsonl"
# Short names used in recordings and settings; full UUIDs on the radio.
CHARACTERISTICS = {"2a37": HEART_RATE_MEASUREMENT_UUID, "2ad2": INDOOR_BIKE_DATA_UUID}
SHORT_NAMES = {v: k for k, v in CHARACTERISTICS.items()}


class DeviceKind(StrEnum):
    """What a device gives: the strap heart rate, the bike power (and often heart rate)."""

    STRAP = "strap"
    BIKE = "bike"


KIND_CHARACTERISTIC = {DeviceKind.STRAP: "2a37", DeviceKind.BIKE: "2ad2"}
KIND_SERVICE = {DeviceKind.STRAP: HEART_RATE_SERVICE_UUID,
                DeviceKind.BIKE: FITNESS_MACHINE_SERVICE_UUID}


class LinkState(StrEnum):
    """A device's link as the patient should see it."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Notification:
    """Raw bytes from one characteristic (short name ``2a37``/``2ad2``) at a monotonic instant."""

    characteristic: str
    data: bytes
    at: float


@dataclass(frozen=True)
class Device:
    """A device found by a scan or remembered in the settings."""

    kind: DeviceKind
    address: str
    name: str


Sink = Callable[[Notification], None]
StatusSink = Callable[[DeviceKind, LinkState], None]


class DeviceSource(Protocol):
    """The one interface the guided session knows."""

    def start(self, sink: Sink, status: StatusSink) -> None:
        """Begin delivering notifications on a thread of the source's own."""

    def stop(self) -> None:
        """Stop delivering; returns once the thread has ended."""


# --- Replay -------------------------------------------------------------------------------


def read_recording(path: Path) -> list[dict[str, Any]]:
    """Lines ``{"t": s, "char": "2a37", "hex": "..."}`` or ``{"t": s, "link": "down"|"up",
    "kind": "strap"|"bike"}``, in time order."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return sorted(rows, key=lambda r: r["t"])


def write_recording(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write a recording (one JSON object a line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))


class ReplaySource:
    """Recorded notifications played at their pace on ``now`` (a monotonic clock).

    A line ``{"link": "down"}`` plays a dropped link: the device's notifications
    stop until its ``{"link": "up"}``, and the status callback says so, as the
    radio would.
    """

    def __init__(self, rows: list[dict[str, Any]], now: Callable[[], float] = time.monotonic,
                 poll_s: float = 0.02) -> None:
        self.rows = rows
        self.now = now
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_file(cls, path: Path = DEMO_RECORDING, **kwargs: Any) -> ReplaySource:
        """A source playing the recording at ``path`` (the demo ride by default)."""
        return cls(read_recording(path), **kwargs)

    def start(self, sink: Sink, status: StatusSink) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._play, args=(sink, status), daemon=True,
                                        name="replay-source")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _play(self, sink: Sink, status: StatusSink) -> None:
        started = self.now()
        kinds = {DeviceKind.STRAP, DeviceKind.BIKE}
        for kind in kinds:
            status(kind, LinkState.CONNECTED)
        down: set[DeviceKind] = set()
        for row in self.rows:
            due = started + float(row["t"])
            # Polling the injected clock (not sleeping the gap) lets tests move time by hand.
            while self.now() < due:
                if self._stop.wait(self.poll_s):
                    return
            if self._stop.is_set():
                return
            if "link" in row:
                kind = DeviceKind(row["kind"])
                if row["link"] == "down":
                    down.add(kind)
                    status(kind, LinkState.RECONNECTING)
                else:
                    down.discard(kind)
                    status(kind, LinkState.CONNECTED)
                continue
            kind = DeviceKind.STRAP if row["char"] == "2a37" else DeviceKind.BIKE
            if kind not in down:
                sink(Notification(row["char"], bytes.fromhex(row["hex"]), due))
        for kind in kinds:
            status(kind, LinkState.STOPPED)


# --- What the settings chose ------------------------------------------------------------

# Store keys: the remembered strap and bike (JSON), and the demo recording switch.
DEVICE_KEYS = {DeviceKind.STRAP: "device_strap", DeviceKind.BIKE: "device_bike"}
DEMO_KEY = "device_demo"


class SettingsStore(Protocol):
    """The part of :class:`mobile.store.Store` the device choice needs."""

    def get(self, key: str, default: str | None = None) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, *keys: str) -> None: ...


def remembered(store: SettingsStore) -> list[Device]:
    """The strap and bike chosen in the settings."""
    out = []
    for kind, key in DEVICE_KEYS.items():
        raw = store.get(key)
        if raw:
            data = json.loads(raw)
            out.append(Device(kind, data["address"], data["name"]))
    return out


def remember(store: SettingsStore, device: Device) -> None:
    """Keep ``device`` as the strap or the bike (replacing the previous one)."""
    store.set(DEVICE_KEYS[device.kind], json.dumps({"address": device.address,
                                                    "name": device.name}))


def forget(store: SettingsStore, kind: DeviceKind) -> None:
    """No strap (or bike) any more."""
    store.delete(DEVICE_KEYS[kind])


def configured_source(store: SettingsStore, now: Callable[[], float]) -> DeviceSource | None:
    """The demo recording when chosen, the remembered devices over Bluetooth, or nothing.

    Never the demo by default: a patient must not read a recorded heart rate as theirs.
    """
    if store.get(DEMO_KEY) == "1":
        return ReplaySource.from_file(now=now)
    devices = remembered(store)
    if devices and bluetooth_available():
        return BleakSource(devices, now=now)
    return None


# --- Bluetooth (bleak) --------------------------------------------------------------------


def bluetooth_available() -> bool:
    """Whether bleak is installed (it may still find no adapter: scans then fail cleanly)."""
    try:
        import bleak  # noqa: F401
    except ImportError:
        return False
    return True


async def _scan(seconds: float) -> list[Device]:
    from bleak import BleakScanner

    found = await BleakScanner.discover(timeout=seconds, return_adv=True)
    devices = []
    for device, adv in found.values():
        uuids = {u.lower() for u in adv.service_uuids or ()}
        for kind, service in KIND_SERVICE.items():
            if service in uuids:
                devices.append(Device(kind, device.address, device.name or device.address))
    return sorted(devices, key=lambda d: (d.kind.value, d.name))


def scan(seconds: float = 6.0) -> list[Device]:
    """Straps (Heart Rate service) and bikes (Fitness Machine service) in range.

    Blocking: call it from a worker thread. Raises :class:`BluetoothUnavailable`
    when the platform has no Bluetooth adapter or stack.
    """
    if not bluetooth_available():
        raise BluetoothUnavailable("bleak is not installed")
    try:
        return asyncio.run(_scan(seconds))
    except Exception as error:  # bleak raises backend-specific errors for a missing adapter
        raise BluetoothUnavailable(str(error) or type(error).__name__) from error


class BluetoothUnavailable(RuntimeError):
    """No Bluetooth here (no adapter, no stack, or bleak missing)."""


class BleakSource:
    """Live notifications from the remembered devices, reconnecting when a link drops.

    ``client_factory(address, disconnected_callback)`` builds the client (bleak's
    ``BleakClient`` by default; tests pass a simulated one).
    """

    def __init__(self, devices: list[Device], client_factory: Callable[..., Any] | None = None,
                 now: Callable[[], float] = time.monotonic, retry_s: float = 1.0,
                 retry_cap_s: float = 15.0) -> None:
        self.devices = devices
        self.client_factory = client_factory or _bleak_client
        self.now = now
        self.retry_s = retry_s
        self.retry_cap_s = retry_cap_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def start(self, sink: Sink, status: StatusSink) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(sink, status, ready),
                                        daemon=True, name="bleak-source")
        self._thread.start()
        ready.wait(5)

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self, sink: Sink, status: StatusSink, ready: threading.Event) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            ready.set()
            await asyncio.gather(*(self._follow(d, sink, status) for d in self.devices))

        asyncio.run(main())

    async def _follow(self, device: Device, sink: Sink, status: StatusSink) -> None:
        """Connect, subscribe, wait for the link to drop, back off, again, until stopped."""
        assert self._stopping is not None
        char = KIND_CHARACTERISTIC[device.kind]
        delay = self.retry_s
        state = LinkState.CONNECTING
        # bleak may call the disconnect callback from another thread.
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            status(device.kind, state)
            dropped = asyncio.Event()
            client = self.client_factory(
                device.address,
                lambda _c, ev=dropped: loop.call_soon_threadsafe(ev.set))
            try:
                await client.connect()
                await client.start_notify(
                    CHARACTERISTICS[char],
                    lambda _ch, data: sink(Notification(char, bytes(data), self.now())))
                status(device.kind, LinkState.CONNECTED)
                delay = self.retry_s
                stop_wait = asyncio.ensure_future(self._stopping.wait())
                drop_wait = asyncio.ensure_future(dropped.wait())
                await asyncio.wait({stop_wait, drop_wait}, return_when=asyncio.FIRST_COMPLETED)
                stop_wait.cancel()
                drop_wait.cancel()
            except Exception:  # noqa: S110 - any radio failure means "try again later"
                pass
            finally:
                with contextlib.suppress(Exception):  # the link may already be gone
                    await client.disconnect()
            if self._stopping.is_set():
                break
            state = LinkState.RECONNECTING
            status(device.kind, state)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            delay = min(delay * 2, self.retry_cap_s)
        status(device.kind, LinkState.STOPPED)


def _bleak_client(address: str, disconnected_callback: Callable[[Any], None]) -> Any:
    from bleak import BleakClient

    return BleakClient(address, disconnected_callback=disconnected_callback)
