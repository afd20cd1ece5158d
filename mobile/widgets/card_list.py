"""A screen that lists cards, with a plain line when there are none."""

from __future__ import annotations

from collections.abc import Callable

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from mobile.i18n import _


class CardListScreen(Screen):
    """Rebuilds its ``ids.cards`` box each time it is shown.

    Subclasses give ``cards(app)``, the cards in order, and ``empty_msgid``,
    the (untranslated) line shown when there is none.
    """

    empty_text = StringProperty("")
    cards: Callable[[App], list[Widget]]
    empty_msgid: str

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the list."""
        box = self.ids.cards
        box.clear_widgets()
        cards = self.cards(App.get_running_app())
        self.empty_text = "" if cards else _(self.empty_msgid)
        for card in cards:
            box.add_widget(card)
