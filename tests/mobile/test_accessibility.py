"""Every screen against the written floor (mobile/accessibility.py): target size and contrast.

The app runs in a real window at the largest text size, paired and with its
plan, and each screen is shown, walked widget by widget and saved as
``artifacts/screenshots/mobile/large_<screen>.png``.
"""

from __future__ import annotations

import pytest

from mobile.accessibility import MIN_TARGET_DP, MIN_TEXT_CONTRAST, contrast_ratio, over
from tests.mobile.conftest import SCREENSHOTS, synced

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:kivy.*"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def test_the_walk_catches_a_small_target_and_pale_text(driver):
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    screen = driver.screen
    box = BoxLayout(size_hint=(None, None), size=(300, 40), pos=(0, 0))
    box.add_widget(Button(text="ok"))
    box.add_widget(Label(text="pale", color=(0.7, 0.7, 0.7, 1)))
    screen.add_widget(box)
    driver.frames(3)
    checked = {"targets": 0, "texts": 0}
    found = _problems(screen, (0.97, 0.97, 0.95, 1), checked)
    screen.remove_widget(box)
    assert any("Button 'ok' is 150x40 px" in p for p in found), found
    assert any("Label 'pale' has contrast" in p for p in found), found


def test_contrast_arithmetic_matches_wcag():
    assert contrast_ratio((0, 0, 0, 1), (1, 1, 1)) == pytest.approx(21)
    assert contrast_ratio((1, 1, 1, 1), (1, 1, 1)) == pytest.approx(1)
    assert contrast_ratio((0.463, 0.463, 0.463, 1), (1, 1, 1)) == pytest.approx(4.5, abs=0.05)
    assert over((0, 0, 0, 0.5), (1, 1, 1)) == (0.5, 0.5, 0.5)


def _background(widget, window_colour):
    """The opaque colour drawn behind ``widget``: its own flat button colour, else the
    last colour an ancestor paints under its children, else the window's."""
    from kivy.graphics import Color
    from kivy.uix.button import Button

    if isinstance(widget, Button) and widget.background_normal == "":
        return over(widget.background_color, window_colour)
    node = widget
    while node is not None and node is not node.parent:
        if isinstance(node, Button) and node is not widget and node.background_normal == "":
            return over(node.background_color, window_colour)
        before = getattr(node, "canvas", None) and node.canvas.before
        colours = [i for i in (before.children if before else []) if isinstance(i, Color)]
        if colours:
            # A translucent paint (a list row's highlight) lies over what its parent paints.
            below = (_background(node.parent, window_colour)
                     if colours[-1].rgba[3] < 1 and node.parent not in (None, node)
                     else window_colour)
            return over(colours[-1].rgba, below)
        node = node.parent
    return tuple(window_colour[:3])


def _problems(screen, window_colour, checked):
    from kivy.metrics import dp
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label
    from kivy.uix.slider import Slider
    from kivy.uix.textinput import TextInput

    found = []
    for widget in screen.walk(restrict=True):
        if widget.opacity == 0 or widget.width <= 1 or widget.height <= 1:
            continue  # not on screen (an empty line, a hidden button)
        name = f"{screen.name}: {type(widget).__name__} {getattr(widget, 'text', '')[:30]!r}"
        interactive = isinstance(widget, ButtonBehavior | TextInput | Slider)
        if interactive and not widget.disabled:
            checked["targets"] += 1
            if min(widget.size) < dp(MIN_TARGET_DP):
                found.append(f"{name} is {widget.width:.0f}x{widget.height:.0f} px")
        if isinstance(widget, Label) and widget.text.strip() and not widget.disabled:
            checked["texts"] += 1
            ratio = contrast_ratio(widget.color, _background(widget, window_colour))
            if ratio < MIN_TEXT_CONTRAST:
                found.append(f"{name} has contrast {ratio:.2f}:1")
    return found


def test_every_screen_holds_the_floor_at_the_largest_text_size(
        interval_prescription, sent_review, store, driver):
    from kivy.core.window import Window

    from mobile.screens import SCREENS

    app = driver.app
    driver.until(lambda: app.cached("plan") and synced(driver), what="plan fetched")
    app.set_font_scale(1.6)
    problems, checked = [], {"targets": 0, "texts": 0}
    for name in SCREENS:
        if name == "guided_end":
            driver.app.root.get_screen(name).elapsed_s = 20 * 60
        screen = driver.go(name)
        driver.frames(4)
        problems += _problems(screen, Window.clearcolor, checked)
        driver.shoot(f"large_{name}")
        if name == "reviews":  # the review sent for the patient, in large type
            [review] = screen.ids.cards.children
            assert review.message == "Bravo pour ces six semaines : continuez ainsi."
            assert review.title == "Bilan de mi-parcours"
            assert review.figures == "22 séances en 6 semaines"
        if name == "manual":  # and with everything unfolded
            screen.more = True
            driver.frames(4)
            problems += _problems(screen, Window.clearcolor, checked)
            driver.shoot("large_manual_more")
    assert problems == []
    assert checked["targets"] > 150 and checked["texts"] > 250, checked
    assert (SCREENSHOTS / "large_manual.png").exists()
