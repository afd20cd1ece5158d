"""The floor the tablet's screens hold for older eyes and hands, and its arithmetic.

Reference: WCAG 2.2 level AA. Chosen values (stricter than the minimums):

- touch targets at least 48 dp on each side (WCAG 2.5.8 asks 24 CSS px;
  48 dp is Android's own guidance, and our patients' hands may shake);
  the app's buttons are in fact 64 dp and more;
- text contrast at least 4.5:1 against what is behind it, for all text
  (WCAG 1.4.3 allows 3:1 for large text; we do not use that allowance);
- text at least 22 sp at the default size, which is 1.3 times the base;
  the largest setting is 1.6 times.

``tests/mobile/test_accessibility.py`` walks every widget of every screen
against these values.
"""

from __future__ import annotations

from collections.abc import Sequence

MIN_TARGET_DP = 48
MIN_TEXT_CONTRAST = 4.5

Colour = Sequence[float]


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def luminance(rgb: Colour) -> float:
    """Relative luminance of an sRGB colour with channels from 0 to 1 (WCAG's formula)."""
    r, g, b = (_linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def over(top: Colour, under: Colour) -> tuple[float, float, float]:
    """``top`` (RGBA) painted over the opaque colour ``under``."""
    alpha = top[3] if len(top) > 3 else 1.0
    return tuple(alpha * t + (1 - alpha) * u for t, u in zip(top[:3], under[:3], strict=True))


def contrast_ratio(text: Colour, background: Colour) -> float:
    """WCAG contrast ratio of (possibly translucent) text over an opaque background."""
    light, dark = sorted((luminance(over(text, background)), luminance(background)),
                         reverse=True)
    return (light + 0.05) / (dark + 0.05)
