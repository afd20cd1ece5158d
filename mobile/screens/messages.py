"""Reminders and messages from the care team (cached for offline reading)."""

from __future__ import annotations

from datetime import datetime

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from mobile.i18n import N_
from mobile.summary import long_date
from mobile.widgets.card_list import CardListScreen
from shared.timeline import PARIS


class MessageCard(BoxLayout):
    """One message (layout in messages.kv)."""

    message_id = NumericProperty(0)
    subject = StringProperty("")
    body = StringProperty("")
    when = StringProperty("")
    read = BooleanProperty(False)


class MessagesScreen(CardListScreen):
    """Newest first; "I have read it" marks a message read."""

    empty_msgid = N_("No message.")

    def cards(self, app: App) -> list[Widget]:
        items = (app.cached("notifications") or {}).get("items", [])
        return [MessageCard(
            message_id=item["id"], subject=item["subject"], body=item["body"],
            when=long_date(datetime.fromisoformat(item["created_at"]).astimezone(PARIS).date()),
            read=item["read"]) for item in items]
