"""A screen that lists cards, with a plain line when there are none."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget


class CardListScreen(Screen):
    """Rebuilds its ``ids.cards`` box each time it is shown; subclasses make the cards."""

    empty_text = StringProperty("")

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the list."""
        box = self.ids.cards
        box.clear_widgets()
        cards = self.cards(App.get_running_app())
        self.empty_text = "" if cards else self.empty_message()
        for card in cards:
            box.add_widget(card)

    def cards(self, app: App) -> list[Widget]:
        """The cards to show, in order."""
        raise NotImplementedError

    def empty_message(self) -> str:
        """What the screen says when there is no card."""
        raise NotImplementedError
