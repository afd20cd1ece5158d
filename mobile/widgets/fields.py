"""A labelled input with its error line underneath, sized for poor eyesight."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout


class Field(BoxLayout):
    """Label, text input and, when wrong, a plain message in red (layout in style.kv)."""

    name = StringProperty("")
    label = StringProperty("")
    hint = StringProperty("")
    error = StringProperty("")
    text = StringProperty("")
    multiline = BooleanProperty(False)
    # "number" asks Android for the numeric keyboard: only where typing beats tapping.
    input_type = StringProperty("text")
    folded = BooleanProperty(False)  # shown only under "More"
