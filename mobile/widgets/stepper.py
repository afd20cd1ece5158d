"""Big - and + buttons around a number: a value set in taps, without a keyboard."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from mobile.entry import step_value


class Stepper(BoxLayout):
    """A labelled value with - and + (layout in controls.kv); ``value`` None means not given.

    ``name`` is the session field it sets (its stepping comes from
    :data:`mobile.entry.STEPPING`); ``usual`` is where an empty stepper starts.
    """

    name = StringProperty("")
    label = StringProperty("")
    unit = StringProperty("")
    note = StringProperty("")
    error = StringProperty("")
    value = ObjectProperty(None, allownone=True)
    usual = ObjectProperty(None, allownone=True)
    clearable = BooleanProperty(False)
    folded = BooleanProperty(False)
    empty_text = StringProperty("-")

    def change(self, direction: int) -> None:
        """One tap on - (-1) or + (1)."""
        self.value = step_value(self.name, self.value, direction, self.usual)
        self.error = ""

    def clear(self) -> None:
        """Back to "not given"."""
        self.value = None
