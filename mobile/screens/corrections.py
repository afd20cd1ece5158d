"""Entries the server refused, with its reason: correct them or delete them."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from mobile.forms import readable_reason
from mobile.i18n import N_, _
from mobile.store import BOOKLET_ENTRY, HEALTH_EVENT, QUESTIONNAIRE, REFUSED, SESSION, OutboxItem
from mobile.summary import long_date
from mobile.widgets.card_list import CardListScreen

KIND_NAMES = {
    SESSION: N_("Ergocycle session"),
    BOOKLET_ENTRY: N_("Booklet exercise"),
    HEALTH_EVENT: N_("Health event"),
    QUESTIONNAIRE: N_("Questionnaire"),
}
# Where each kind is corrected; booklet ticks are simply ticked again.
EDIT_SCREENS = {SESSION: "manual", HEALTH_EVENT: "event"}


class CorrectionCard(BoxLayout):
    """One refused entry (layout in corrections.kv)."""

    item_id = StringProperty("")
    title = StringProperty("")
    reason = StringProperty("")
    editable = BooleanProperty(False)


class CorrectionsScreen(CardListScreen):
    """Lists what waits for correction."""

    empty_msgid = N_("Nothing to correct.")

    def cards(self, app: App) -> list[Widget]:
        return [CorrectionCard(
            item_id=item.id, title=f"{_(KIND_NAMES[item.kind])}, {long_date(item.day)}",
            reason=readable_reason(item.error or ""), editable=item.kind in EDIT_SCREENS)
            for item in app.store.items(states=[REFUSED])]


    def correct(self, item_id: str) -> None:
        """Open the entry's form, filled in, to correct it."""
        app = App.get_running_app()
        item: OutboxItem | None = app.store.get_item(item_id)
        if item is not None:
            app.editing = item
            app.go(EDIT_SCREENS[item.kind])

    def delete(self, item_id: str) -> None:
        """Give up this entry."""
        app = App.get_running_app()
        app.store.discard(item_id)
        app.refresh()
