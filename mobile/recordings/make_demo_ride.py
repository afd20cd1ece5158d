"""Writes ``demo_ride.jsonl``: 20 minutes of a strap (1 Hz) and a bike (2 Hz), as notified.

The ride follows a 60/60 interval session at 35 W after a 4-minute warm-up;
heart rate climbs past 130 bpm for about 40 s in minute 7 (the demo's and the
UI test's ceiling), the strap's link drops for 10 s in minute 10, and one
corrupt packet is sent, so the replay exercises what the radio will do.

Run ``python -m mobile.recordings.make_demo_ride`` to regenerate it.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

from mobile.devices import DEMO_RECORDING, write_recording

DURATION_S = 20 * 60
WARM_UP_S = 4 * 60


def heart_rate(t: float) -> int:
    """Beats per minute at ``t`` seconds: warm-up ramp, intervals, one excursion, cool-down."""
    if t < WARM_UP_S:
        base = 78 + 30 * t / WARM_UP_S
    elif t > DURATION_S - WARM_UP_S:
        base = 112 - 25 * (t - DURATION_S + WARM_UP_S) / WARM_UP_S
    else:
        phase = ((t - WARM_UP_S) % 120) / 120
        base = 112 + 12 * math.sin(2 * math.pi * phase)
    if 405 <= t < 450:  # the excursion above the ceiling
        base = 136 + 4 * math.sin((t - 405) / 45 * math.pi)
    return round(base + 2 * math.sin(t / 7))


def power(t: float) -> int:
    """Watts the bike reports: 20 W warming up and cooling down, 35/10 W intervals."""
    if t < WARM_UP_S or t > DURATION_S - WARM_UP_S:
        return 20
    return 35 if ((t - WARM_UP_S) % 120) < 60 else 10


def strap_packet(bpm: int, rr_s: float) -> bytes:
    """0x2A37: UINT8 value, contact supported and detected, one RR interval."""
    return bytes([0x16, bpm]) + struct.pack("<H", round(rr_s * 1024))


def bike_packet(t: float) -> bytes:
    """0x2AD2: speed, cadence, distance, power and elapsed time (flags 0x0854)."""
    speed = 18.0 + power(t) / 5
    distance = round(speed / 3.6 * t)
    return (struct.pack("<HHH", 0x0854, round(speed * 100), 2 * 60)
            + distance.to_bytes(3, "little") + struct.pack("<hH", power(t), int(t)))


def rows() -> list[dict]:
    """The recording, in time order."""
    out: list[dict] = []
    for tenth in range(0, DURATION_S * 10, 5):
        t = tenth / 10
        out.append({"t": t + 0.1, "char": "2ad2", "hex": bike_packet(t).hex()})
        if tenth % 10 == 0:
            bpm = heart_rate(t)
            out.append({"t": t + 0.3, "char": "2a37", "hex": strap_packet(bpm, 60 / bpm).hex()})
    out.append({"t": 300.35, "char": "2a37", "hex": "10"})  # truncated by a radio glitch
    out += [{"t": 600.0, "link": "down", "kind": "strap"},
            {"t": 610.0, "link": "up", "kind": "strap"}]
    return sorted(out, key=lambda r: r["t"])


def main(path: Path = DEMO_RECORDING) -> None:
    """Write the recording."""
    write_recording(path, rows())


if __name__ == "__main__":
    main()
