"""The reviews of the programme the care team sent (cached for offline reading)."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from mobile.i18n import N_
from mobile.summary import reviews
from mobile.widgets.card_list import CardListScreen


class ReviewCard(BoxLayout):
    """One review (layout in reviews.kv)."""

    title = StringProperty("")
    when = StringProperty("")
    message = StringProperty("")
    figures = StringProperty("")


class ReviewsScreen(CardListScreen):
    """Newest first: the message the referent wrote for the patient, in large type."""

    empty_msgid = N_("No review yet. Your care team writes one at the start, the middle and "
                     "the end of the programme.")

    def cards(self, app: App) -> list[Widget]:
        return [ReviewCard(title=r.title, when=r.when, message=r.message, figures=r.figures)
                for r in reviews(app.cached("syntheses"))]
