"""Guided screen frame rate with live data: a strap and a bike notifying at 4 Hz each.

The real app in a real window (Xvfb when there is no display). The guided
session runs twice in the same process for the same time: first without
devices (the baseline), then fed by a replay source notifying heart rate and
power four times a second each, parsed and shown as they come. Reports frames
per second (Kivy caps at 60) and the slowest frames. Prints figures; asserts
nothing about time.

    .venv/bin/python bench/guided_fps_bench.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.mobile.kivy_harness import VirtualDisplay, configure_kivy  # noqa: E402

RATE_HZ = 4


def live_rows(seconds: int) -> list[dict]:
    """Strap and bike notifications at RATE_HZ each, heart rate drifting across the ceiling."""
    rows = []
    for i in range(seconds * RATE_HZ):
        t = i / RATE_HZ
        bpm = 110 + (i % 120) // 4
        rows.append({"t": t, "char": "2a37", "hex": bytes([0x06, bpm]).hex()})
        rows.append({"t": t + 0.1, "char": "2ad2",
                     "hex": struct.pack("<HHh", 0x0045, 9000, 30 + i % 20).hex()})
    return rows


def measure(drive, seconds: float) -> list[float]:
    """Frame durations (s) while the loop runs for ``seconds``."""
    frames = []
    end = time.perf_counter() + seconds
    last = time.perf_counter()
    while last < end:
        drive.loop.idle()
        now = time.perf_counter()
        frames.append(now - last)
        last = now
    return frames


def report(name: str, frames: list[float]) -> None:
    ordered = sorted(frames)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    print(f"{name:<24}: {len(frames) / sum(frames):5.1f} frames/s, median "
          f"{statistics.median(frames) * 1000:5.1f} ms, p99 {p99 * 1000:5.1f} ms, "
          f"worst {max(frames) * 1000:5.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    display = VirtualDisplay()
    display.start()
    configure_kivy()
    from mobile.app import RepriseApp
    from mobile.devices import ReplaySource
    from mobile.store import Store
    from mobile.sync import Backoff
    from tests.mobile.kivy_harness import Driver

    data = Path(tempfile.mkdtemp(prefix="guided-fps-"))
    store = Store(data / "reprise.sqlite3")
    store.set("server_url", "http://127.0.0.1:9")  # nobody listens: the tablet is offline
    store.pair("offline-token", 1, "Jeanne", "respiratory_home")
    today = datetime.now(UTC).date()
    store.cache_put("plan", {
        "programme": {"code": "respiratory_home", "title_fr": "Réhabilitation respiratoire",
                      "title_en": "Respiratory rehabilitation", "symptom_score": "dyspnoea"},
        "phase": "intervention", "week": 3, "intervention_weeks": 12, "total_weeks": 52,
        "start_date": (today - timedelta(days=14)).isoformat(),
        "intervention_end": (today + timedelta(days=70)).isoformat(),
        "end_date": (today + timedelta(days=350)).isoformat(),
        "targets": {"sessions_min": 4, "sessions_max": 6, "programme_sessions_min": 48,
                    "programme_sessions_max": 72},
        "booklet": [], "next_contacts": [],
        "prescription": {"session_minutes": 30, "watts": 35, "modality": "continuous",
                         "hr_target_low": 100, "hr_target_high": 130}}, datetime.now(UTC))
    store.close()
    source: list = [None]
    app = RepriseApp(data_dir=data, backoff=Backoff(base=3600, cap=3600), poll_interval=3600,
                     device_source=lambda: source[0])
    drive = Driver(app, data / "shots")
    try:
        for label, live in (("guided, no devices", False), (f"guided, live at {RATE_HZ} Hz", True)):
            source[0] = ReplaySource(live_rows(int(args.seconds) + 5)) if live else None
            app.go("guided")
            drive.frames(5)
            screen = app.root.current_screen
            screen.start_pause()
            drive.frames(10)
            if live and os.environ.get("PROFILE_FPS"):
                import cProfile
                import pstats
                profiler = cProfile.Profile()
                profiler.enable()
                frames = measure(drive, args.seconds)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
            else:
                frames = measure(drive, args.seconds)
            if live:
                shown = screen.hr_text
                print(f"live values on screen at the end: {shown}, {screen.power_text}, "
                      f"alarm={screen.alarm}, corrupt={screen.capture.corrupt}")
            screen.finish()
            drive.frames(3)
            app.go("home")
            report(label, frames)
    finally:
        drive.close()
        display.stop()


if __name__ == "__main__":
    main()
