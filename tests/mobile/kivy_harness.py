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
from dataclasses import dataclass
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


def _finger_event_class() -> type:
    """A MotionEvent subclass made after Kivy is configured (importing it opens Kivy)."""
    from kivy.input.motionevent import MotionEvent

    class FingerEvent(MotionEvent):
        """One finger (or wheel notch) at window pixels, posted into Kivy's event loop."""

        def __init__(self, x: float, y: float, button: str | None = None) -> None:
            from kivy.core.window import Window

            self.button_name = button
            super().__init__("finger", 1, {"x": x / Window.width, "y": y / Window.height},
                             is_touch=True, type_id="touch")

        def depack(self, args: dict[str, float]) -> None:
            self.sx, self.sy = args["x"], args["y"]
            self.profile = ["pos"]
            if self.button_name:
                self.profile.append("button")
                self.button = self.button_name
            super().depack(args)

    return FingerEvent


@dataclass
class Counts:
    """What the patient had to do: taps, keystrokes, and wheel notches to scroll."""

    taps: int = 0
    keys: int = 0
    scrolls: int = 0

    def __sub__(self, other: Counts) -> Counts:
        return Counts(self.taps - other.taps, self.keys - other.keys,
                      self.scrolls - other.scrolls)


class Finger:
    """Real input through Kivy's event loop: taps, wheel scrolling, typed characters.

    Events go where a finger at those window pixels would land (the widget
    tree's own hit testing), so a button hidden by scrolling or covered by
    another cannot be pressed: the finger scrolls to it first, as a patient
    would, and every tap, notch and key is counted.
    """

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.counts = Counts()
        self._event = _finger_event_class()

    def _post(self, x: float, y: float, button: str | None = None) -> None:
        loop = self.driver.loop
        event = self._event(x, y, button)
        loop.post_dispatch_input("begin", event)
        self.driver.frames(1)
        loop.post_dispatch_input("end", event)
        self.driver.frames(2)

    def _visible(self, widget: Any) -> tuple[float, float] | None:
        """The window point at the widget's centre when it is on screen and unclipped."""
        from kivy.core.window import Window
        from kivy.uix.scrollview import ScrollView

        x, y = widget.to_window(*widget.center)
        if not (0 <= x < Window.width and 0 <= y < Window.height):
            return None
        parent = widget.parent
        while parent is not None and parent is not Window:
            if isinstance(parent, ScrollView):
                left, bottom = parent.to_window(parent.x, parent.y)
                if not (bottom <= y < bottom + parent.height and left <= x < left + parent.width):
                    return None
            parent = parent.parent
        return x, y

    def _scroller(self, widget: Any) -> Any:
        from kivy.uix.scrollview import ScrollView

        parent = widget.parent
        while parent is not None and not isinstance(parent, ScrollView):
            parent = parent.parent
        return parent

    def reach(self, target: Any) -> tuple[float, float]:
        """Scroll with the wheel, one notch at a time, until the widget is on screen.

        ``target`` is the widget or a function finding it, for lists that a
        background sync may redraw while the finger scrolls.
        """
        for _ in range(400):
            widget = target() if callable(target) else target
            point = self._visible(widget)
            if point is not None:
                return point
            scroller = self._scroller(widget)
            if scroller is None:
                break
            _wx, wy = widget.to_window(*widget.center)
            _sx, sy = scroller.to_window(scroller.x, scroller.y)
            # Kivy's wheel: "scrollup" moves the content up, showing what is below.
            button = "scrollup" if wy < sy else "scrolldown"
            # On the scroll bar's strip: the wheel over a slider would move the slider.
            cx, cy = scroller.to_window(scroller.right - 2, scroller.center_y)
            self._post(cx, cy, button)
            self.counts.scrolls += 1
        raise AssertionError(f"{widget} cannot be reached on screen")

    def tap(self, target: Any) -> None:
        """Put a finger down on the widget's centre and lift it (``target`` as in reach)."""
        x, y = self.reach(target)
        self._post(x, y)
        self.counts.taps += 1

    def type(self, text: str) -> None:
        """Type on the keyboard of the focused text input, one key per character."""
        from kivy.core.window import Window

        for char in text:
            Window.dispatch("on_key_down", ord(char), 0, char, [])
            Window.dispatch("on_textinput", char)
            Window.dispatch("on_key_up", ord(char), 0)
            self.counts.keys += 1
        self.driver.frames(1)

    def clear(self, text_input: Any) -> None:
        """Erase a text input with backspace, one key per character."""
        from kivy.core.window import Window

        text_input.cursor = text_input.get_cursor_from_index(len(text_input.text))
        for _ in range(len(text_input.text)):
            Window.dispatch("on_key_down", 8, 42, None, [])
            Window.dispatch("on_key_up", 8, 42)
            self.counts.keys += 1
        self.driver.frames(1)
