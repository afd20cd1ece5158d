"""The heart-rate alarm's sound: a loud two-tone beep written once as a WAV file."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
TONES_HZ = (880, 660)
TONE_S = 0.25
REPEATS = 3


def alarm_wav(directory: Path) -> Path:
    """The beep's path in ``directory``, written on first use (no binary asset to ship)."""
    path = directory / "heart_rate_alarm.wav"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for _ in range(REPEATS):
        for tone in TONES_HZ:
            for i in range(int(RATE * TONE_S)):
                frames += struct.pack("<h", int(0.8 * 32767 * math.sin(2 * math.pi * tone * i
                                                                        / RATE)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return path
