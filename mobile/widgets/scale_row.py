"""A 0-10 scale as a row of eleven large numbered buttons, with its words at both ends."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from mobile.entry import scale_value


class ScaleRow(BoxLayout):
    """Question, 0..10 buttons, and the meaning of 0 and 10 (layout in controls.kv)."""

    name = StringProperty("")
    label = StringProperty("")
    low_word = StringProperty("")
    high_word = StringProperty("")
    error = StringProperty("")
    value = ObjectProperty(None, allownone=True)
    folded = BooleanProperty(False)

    def on_kv_post(self, _base: Widget) -> None:
        for number in range(11):
            button = Factory.ScaleButton(text=str(number))
            button.bind(on_release=lambda _b, n=number: self.choose(n))
            self.ids.buttons.add_widget(button)
        self._show()

    def choose(self, number: int) -> None:
        """A tap on a number: choose it, or clear it when it was already chosen."""
        self.value = scale_value(self.value, number)
        self.error = ""

    def on_value(self, *_args: object) -> None:
        self._show()

    def _show(self) -> None:
        if "buttons" not in self.ids:
            return
        for button in self.ids.buttons.children:
            button.state = "down" if str(self.value) == button.text else "normal"

    def choice_button(self, number: int) -> Widget:
        """The button of ``number`` (for tests and the measuring finger)."""
        return next(b for b in self.ids.buttons.children if b.text == str(number))
