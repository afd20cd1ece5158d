"""A box whose content is taken out of the screen while it is closed.

Hidden widgets (zero height, no opacity) would still be laid out over their
neighbours and, once disabled, swallow the taps meant for them; a closed
Fold holds its children aside instead, so nothing of them can be touched.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget


class Fold(BoxLayout):
    """Vertical, as tall as its content when ``open``, empty and flat when closed."""

    open = BooleanProperty(True)

    def __init__(self, **kwargs: object) -> None:
        self._aside: list[Widget] = []
        super().__init__(**kwargs)

    def on_kv_post(self, _base: Widget) -> None:
        self._apply()

    def on_open(self, *_args: object) -> None:
        self._apply()

    def _apply(self) -> None:
        if self.open and self._aside:
            for child in self._aside:
                self.add_widget(child)
            self._aside = []
        elif not self.open and self.children:
            self._aside = list(reversed(self.children))
            self.clear_widgets()

    def content(self) -> list[Widget]:
        """Every child, shown or held aside, in order."""
        return self._aside or list(reversed(self.children))
