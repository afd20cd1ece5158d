"""Runs the real app in a real window inside the test process, frame by frame.

Kivy must be configured before its first import: a virtual X screen (Xvfb,
Debian's ``xvfb`` installed by ``.ci/system-deps``) when there is no display,
a throw-away ``KIVY_HOME``, no command-line parsing, Python logging. Without
Xvfb, SDL2's offscreen driver still gives a real GL window.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WIDTH, HEIGHT = 1280, 800


class VirtualDisplay:
    """An Xvfb server on a free display number, or nothing when a display exists."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start Xvfb and point DISPLAY at it (offscreen SDL when Xvfb is missing)."""
        if os.environ.get("DISPLAY"):
            return
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            os.environ["SDL_VIDEODRIVER"] = "offscreen"
            return
        read, write = os.pipe()
        self.process = subprocess.Popen(
            [xvfb, "-displayfd", str(write), "-screen", "0", f"{WIDTH}x{HEIGHT}x24",
             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        os.environ["DISPLAY"] = f":{number}"

    def stop(self) -> None:
        """Stop Xvfb if we started it."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            os.environ.pop("DISPLAY", None)


def configure_kivy() -> Path:
    """Environment and Config for a test window; returns the temporary KIVY_HOME."""
    home = Path(tempfile.mkdtemp(prefix="kivy-home-"))
    os.environ.update({"KIVY_NO_ARGS": "1", "KIVY_HOME": str(home), "KIVY_LOG_MODE": "PYTHON",
                       "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1"})
    from kivy.config import Config

    Config.set("graphics", "width", str(WIDTH))
    Config.set("graphics", "height", str(HEIGHT))
    # No mouse emulation of multitouch: a stray red dot would end up in screenshots.
    Config.set("input", "mouse", "mouse,disable_multitouch")
    return home


class Driver:
    """Starts an app, advances frames until a condition holds, presses, types, shoots."""

    def __init__(self, app: Any, screenshots: Path) -> None:
        from kivy.base import EventLoop, runTouchApp

        self.app = app
        self.loop = EventLoop
        self.screenshots = screenshots
        screenshots.mkdir(parents=True, exist_ok=True)
        app._run_prepare()
        runTouchApp(embedded=True)
        self.frames(3)

    def frames(self, n: int = 2) -> None:
        """Run ``n`` frames (clock callbacks, layout, drawing)."""
        for _ in range(n):
            self.loop.idle()

    def until(self, condition: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
        """Run frames until ``condition()`` is true; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                self.frames(2)  # let bindings settle before anyone looks
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition}")
            self.loop.idle()
            time.sleep(0.01)

    @property
    def screen(self) -> Any:
        """The screen shown."""
        return self.app.root.current_screen

    def go(self, name: str) -> Any:
        """Show a screen and wait for its transition to end."""
        self.app.go(name)
        self.until(lambda: self.app.root.current == name
                   and not self.app.root.transition.is_active, what=f"screen {name}")
        return self.screen

    def press(self, widget: Any) -> None:
        """Press and release a button as a finger would (toggles flip too)."""
        widget.trigger_action(duration=0)
        self.frames(2)

    def type(self, field: Any, text: str) -> None:
        """Type into a Field (its text input)."""
        field.ids.input.text = text
        self.frames(1)

    def shoot(self, name: str) -> Path:
        """Save the window as ``<name>.png`` and return its path."""
        from kivy.core.window import Window

        self.frames(3)
        target = self.screenshots / f"{name}.png"
        written = Window.screenshot(name=str(self.screenshots / f"{name}-.png"))
        os.replace(written, target)
        return target

    def close(self) -> None:
        """Stop the app (its sync thread) and close the window."""
        self.app.stop()
        self.frames(1)
