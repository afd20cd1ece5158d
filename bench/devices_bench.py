"""Device data benchmark: BLE notifications parsed per second, FIT files imported per second.

1. One million notifications, the demo ride's strap (0x2A37) and bike (0x2AD2)
   packets in their recorded mix, decoded by ``shared.ble``; the same packets
   unpacked by one ``struct.unpack_from`` of their first fields in the same
   process give the floor (what reading the bytes costs at all).
2. 1,000 FIT activity files of 30 minutes at 1 Hz (heart rate, power,
   distance), written once with fit-tool (ten rides, each copied a hundred
   times), imported by ``mobile.importers.import_file`` into sessions.

    .venv/bin/python bench/devices_bench.py [--notifications 1000000] [--files 1000]
"""

from __future__ import annotations

import argparse
import shutil
import struct
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mobile.devices import DEMO_RECORDING, read_recording  # noqa: E402
from mobile.importers import import_file  # noqa: E402
from shared.ble import parse_heart_rate_measurement, parse_indoor_bike_data  # noqa: E402
from tests.mobile.test_importers import write_fit  # noqa: E402

DISTINCT_RIDES = 10


def bench_parse(count: int) -> None:
    """Decode ``count`` notifications; report rates against a bare unpack."""
    packets = [(r["char"], bytes.fromhex(r["hex"])) for r in read_recording(DEMO_RECORDING)
               if "char" in r and len(r["hex"]) > 2]
    stream = (packets * (count // len(packets) + 1))[:count]
    began = time.perf_counter()
    for char, data in stream:
        if char == "2a37":
            parse_heart_rate_measurement(data)
        else:
            parse_indoor_bike_data(data)
    parsed_s = time.perf_counter() - began
    began = time.perf_counter()
    for char, data in stream:
        struct.unpack_from("<BB" if char == "2a37" else "<HH", data)
    floor_s = time.perf_counter() - began
    strap = sum(1 for c, _d in stream if c == "2a37")
    print(f"BLE notifications: {count:,} ({strap:,} heart rate, {count - strap:,} bike)")
    print(f"  parsed : {count / parsed_s:12,.0f} notifications/s ({parsed_s:.2f} s)")
    print(f"  floor  : {count / floor_s:12,.0f} notifications/s (one struct.unpack_from each)")
    print(f"  a strap at 1 Hz and a bike at 4 Hz for 30 min = 9,000 notifications: "
          f"{9000 / (count / parsed_s) * 1000:.1f} ms of parsing")


def bench_fit(files: int) -> None:
    """Import ``files`` FIT files; report sessions/s and samples/s."""
    folder = Path(tempfile.mkdtemp(prefix="fit-bench-"))
    try:
        began = time.perf_counter()
        rides = [write_fit(folder / f"ride{n}.fit", seconds=1800,
                           start=datetime(2026, 11, 1, 9, tzinfo=UTC) + timedelta(days=n))
                 for n in range(DISTINCT_RIDES)]
        paths = []
        for i in range(files):
            target = folder / f"copy{i:04d}.fit"
            shutil.copyfile(rides[i % DISTINCT_RIDES], target)
            paths.append(target)
        written_s = time.perf_counter() - began
        size = rides[0].stat().st_size
        began = time.perf_counter()
        samples = 0
        for path in paths:
            session = import_file(path)
            samples += len(session.hr_samples) + len(session.power_samples)
        import_s = time.perf_counter() - began
        print(f"FIT import: {files:,} files of 30 min at 1 Hz ({size:,} bytes each; "
              f"written in {written_s:.1f} s)")
        print(f"  imported: {files / import_s:8.1f} sessions/s {samples / import_s:12,.0f} "
              f"samples/s ({import_s:.1f} s)")
    finally:
        shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    bench_parse(args.notifications)
    bench_fit(args.files)


if __name__ == "__main__":
    main()
