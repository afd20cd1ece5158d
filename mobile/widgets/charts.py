"""Charts drawn with Kivy canvas instructions: bars with a target band, a line, week dots."""

from __future__ import annotations

from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Ellipse, Line, Rectangle
from kivy.metrics import dp, sp
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.widget import Widget

INK = (0.15, 0.15, 0.15, 1)
BAR = (0.08, 0.36, 0.62, 1)
BAND = (0.35, 0.7, 0.35, 0.25)
DONE = (0.2, 0.6, 0.3, 1)


def _text(canvas: object, text: str, x: float, y: float, size: float,
          anchor: str = "center") -> None:
    label = CoreLabel(text=text, font_size=size, color=INK)
    label.refresh()
    texture = label.texture
    left = {"center": x - texture.width / 2, "right": x - texture.width, "left": x}[anchor]
    canvas.add(Color(1, 1, 1, 1))
    canvas.add(Rectangle(texture=texture, pos=(left, y), size=texture.size))


class Chart(Widget):
    """Common frame: a title, x labels under the plot, a y maximum."""

    title = StringProperty("")
    values = ListProperty([])
    labels = ListProperty([])
    band = ObjectProperty(None, allownone=True)  # (low, high) drawn as a green strip
    scale = NumericProperty(1.0)
    unit = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self.redraw, size=self.redraw, values=self.redraw, labels=self.redraw,
                  band=self.redraw, title=self.redraw, scale=self.redraw)

    def plot_box(self) -> tuple[float, float, float, float]:
        """Left, bottom, width, height of the plotting area."""
        font = sp(16) * self.scale
        left, bottom = self.x + dp(48), self.y + font * 1.8
        return left, bottom, self.width - dp(60), self.height - font * 4

    def top_value(self) -> float:
        """The y value at the top of the plot."""
        numbers = [v for v in self.values if v is not None]
        if self.band:
            numbers.append(self.band[1])
        return max(numbers, default=1) * 1.15 or 1

    def redraw(self, *_args: object) -> None:
        """Draw everything again."""
        self.canvas.clear()
        font = sp(16) * self.scale
        _text(self.canvas, self.title, self.x + dp(4), self.top - font * 1.6, font * 1.2, "left")
        left, bottom, width, height = self.plot_box()
        if width <= 0 or height <= 0:
            return
        top = self.top_value()
        if self.band:
            self.canvas.add(Color(*BAND))
            low, high = self.band
            self.canvas.add(Rectangle(pos=(left, bottom + height * low / top),
                                      size=(width, height * (high - low) / top)))
        self.canvas.add(Color(*INK))
        self.canvas.add(Line(points=[left, bottom + height, left, bottom, left + width, bottom],
                             width=dp(1.2)))
        _text(self.canvas, f"{round(top / 1.15)}{self.unit}", left - dp(4),
              bottom + height / 1.15 - font / 2, font, "right")
        _text(self.canvas, "0", left - dp(4), bottom - font / 2, font, "right")
        count = max(len(self.values), 1)
        step = width / count
        for index, label in enumerate(self.labels):
            _text(self.canvas, str(label), left + step * (index + 0.5), self.y, font)
        self.draw_series(left, bottom, step, height, top)

    def draw_series(self, left: float, bottom: float, step: float, height: float,
                    top: float) -> None:
        """Draw the values (bars by default)."""
        self.canvas.add(Color(*BAR))
        for index, value in enumerate(self.values):
            if value:
                self.canvas.add(Rectangle(pos=(left + step * (index + 0.2), bottom),
                                          size=(step * 0.6, height * value / top)))


class BarChart(Chart):
    """Bars, one per week, with an optional target band behind them."""


class LineChart(Chart):
    """A line through the values, gaps where a week has none."""

    def draw_series(self, left: float, bottom: float, step: float, height: float,
                    top: float) -> None:
        self.canvas.add(Color(*BAR))
        points: list[float] = []
        for index, value in enumerate(self.values):
            if value is None:
                if len(points) >= 4:
                    self.canvas.add(Line(points=points, width=dp(2)))
                points = []
                continue
            x, y = left + step * (index + 0.5), bottom + height * value / top
            points += [x, y]
            self.canvas.add(Ellipse(pos=(x - dp(5), y - dp(5)), size=(dp(10), dp(10))))
        if len(points) >= 4:
            self.canvas.add(Line(points=points, width=dp(2)))


class WeekPicture(Widget):
    """One circle per session of the target: filled when done, bold up to the minimum."""

    done = NumericProperty(0)
    target_min = NumericProperty(4)
    target_max = NumericProperty(6)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self.redraw, size=self.redraw, done=self.redraw,
                  target_min=self.redraw, target_max=self.redraw)

    def redraw(self, *_args: object) -> None:
        """Draw the circles again."""
        self.canvas.clear()
        count = max(int(self.target_max), int(self.done), 1)
        size = min(self.height * 0.9, self.width / count * 0.8)
        gap = (self.width - size * count) / (count + 1)
        y = self.center_y - size / 2
        for index in range(count):
            x = self.x + gap + index * (size + gap)
            if index < self.done:
                self.canvas.add(Color(*DONE))
                self.canvas.add(Ellipse(pos=(x, y), size=(size, size)))
            required = index < self.target_min
            self.canvas.add(Color(*(INK if required else (0.55, 0.55, 0.55, 1))))
            self.canvas.add(Line(circle=(x + size / 2, y + size / 2, size / 2),
                                 width=dp(3) if required else dp(1.5)))
