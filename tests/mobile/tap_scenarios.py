"""The two everyday tasks, played with real input events and counted.

Each scenario starts on the home screen and does what a patient does: log
today's prescribed ergocycle session (with how hard it felt and how
breathless), and tick every exercise of the day's booklet. Fields are
filled whatever their kind (a text box is tapped and typed into, a stepper
pressed until it shows the value, a 0-10 scale row tapped once), so the
same scenario measures any version of the screens.
"""

from __future__ import annotations

from typing import Any

from tests.mobile.kivy_harness import Counts, Driver, Finger

# A typical prescribed session: as prescribed, effort 5, breathlessness 4 (Borg 0-10).
FEELINGS = {"effort": 5, "dyspnoea": 4}


def settle(driver: Driver) -> None:
    """Wait for the background sync to finish: its end redraws the screen shown."""
    app = driver.app
    driver.until(lambda: app.sync_state in ("done", "offline") and not app.pending,
                 what="sync settled")


def _text_input(widget: Any) -> Any:
    return widget.ids.get("input") if hasattr(widget, "ids") else None


def set_value(finger: Finger, screen: Any, name: str, value: int) -> None:
    """Give field ``name`` the value ``value`` the way its widget asks for it."""
    widget = screen.ids[name]
    if widget.get_root_window() is None and "more" in screen.ids:  # folded under "More"
        finger.tap(screen.ids.more)
    text_input = _text_input(widget)
    if text_input is not None and "value" not in widget.properties():
        if text_input.text != str(value):
            finger.tap(text_input)
            finger.clear(text_input)
            finger.type(str(value))
        return
    if hasattr(widget, "choice_button"):  # a 0-10 scale row
        if widget.value != value:
            finger.tap(widget.choice_button(value))
        return
    for _ in range(500):  # a stepper
        if widget.value == value:
            return
        finger.tap(widget.ids.plus if widget.value is None or widget.value < value
                   else widget.ids.minus)
    raise AssertionError(f"{name} never reached {value}")


def log_prescribed_session(driver: Driver, finger: Finger) -> Counts:
    """From home: open the session entry, log the prescription and the feelings, save."""
    before = Counts(finger.counts.taps, finger.counts.keys, finger.counts.scrolls)
    app = driver.app
    settle(driver)
    plan = app.cached("plan")
    prescription = plan["prescription"]
    finger.tap(driver.screen.ids.go_manual)
    screen = driver.until(lambda: app.root.current == "manual" and driver.screen)
    values = {"duration_min": prescription["session_minutes"], **FEELINGS}
    if prescription.get("watts"):
        values["watts"] = prescription["watts"]
    for name, value in values.items():
        set_value(finger, screen, name, value)
    finger.tap(screen.ids.save)
    driver.until(lambda: app.root.current == "home", what="back home after saving")
    return finger.counts - before


def tick_booklet(driver: Driver, finger: Finger) -> tuple[Counts, int]:
    """From home: open the booklet and tick every exercise done; (counts, exercises)."""
    before = Counts(finger.counts.taps, finger.counts.keys, finger.counts.scrolls)
    app = driver.app
    settle(driver)
    finger.tap(driver.screen.ids.go_booklet)
    screen = driver.until(lambda: app.root.current == "booklet" and driver.screen)
    titles = [card.title for card in reversed(screen.ids.cards.children)]
    for title in titles:
        def done(title: str = title) -> Any:
            # Looked up each time: a sync that ends meanwhile redraws the cards.
            card = next(c for c in screen.ids.cards.children if c.title == title)
            return card.ids.get("done") or card.children[1].children[-1]

        finger.tap(done)
        driver.until(lambda title=title: any(c.title == title and c.status == "done"
                                             for c in screen.ids.cards.children),
                     what=f"{title} ticked")
    finger.tap(screen.ids.top.ids.home if "top" in screen.ids else _home_button(screen))
    driver.until(lambda: app.root.current == "home")
    return finger.counts - before, len(titles)


def _home_button(screen: Any) -> Any:
    """The top bar's "Home" button (the bar has no id in older layouts)."""
    from kivy.uix.button import Button

    for widget in screen.walk():
        if isinstance(widget, Button) and widget.text.startswith("< "):
            return widget
    raise AssertionError("no Home button")
