"""Reminders and messages from the care team (cached for offline reading)."""

from __future__ import annotations

from datetime import datetime

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from mobile.i18n import _
from mobile.summary import long_date
from shared.timeline import PARIS


class MessageCard(BoxLayout):
    """One message (layout in messages.kv)."""

    message_id = NumericProperty(0)
    subject = StringProperty("")
    body = StringProperty("")
    when = StringProperty("")
    read = BooleanProperty(False)


class MessagesScreen(Screen):
    """Newest first; "I have read it" marks a message read."""

    empty_text = StringProperty("")

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the list from the cache."""
        app = App.get_running_app()
        box = self.ids.cards
        box.clear_widgets()
        items = (app.cached("notifications") or {}).get("items", [])
        self.empty_text = "" if items else _("No message.")
        for item in items:
            created = datetime.fromisoformat(item["created_at"]).astimezone(PARIS)
            box.add_widget(MessageCard(
                message_id=item["id"], subject=item["subject"], body=item["body"],
                when=long_date(created.date()), read=item["read"]))
