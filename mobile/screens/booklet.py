"""The exercise booklet: each prescribed exercise, ticked done / partly / not done, with pain."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from mobile.forms import booklet_entry
from mobile.i18n import N_, _
from mobile.store import BOOKLET_ENTRY
from mobile.summary import booklet_today
from mobile.widgets.card_list import CardListScreen
from shared.enums import BookletStatus


class ExerciseCard(BoxLayout):
    """One exercise (layout in booklet.kv); the pain row is read when a status is tapped.

    Pain comes before the tick, not after: each tick is an entry the server
    counts, so changing the pain afterwards would count the exercise twice.
    """

    item_id = NumericProperty(0)
    title = StringProperty("")
    description = StringProperty("")
    dose = StringProperty("")
    status = StringProperty("")
    pain = ObjectProperty(None, allownone=True)
    message = StringProperty("")

    def tick(self, status: str) -> None:
        """Record the exercise as done, partly done or not done today, with any pain given."""
        app = App.get_running_app()
        result = booklet_entry(self.item_id, app.today(), BookletStatus(status), self.pain)
        if not result.ok:
            self.message = "\n".join(result.errors.values())
            return
        app.save(BOOKLET_ENTRY, result.payload, app.today())
        self.status = status
        self.message = _("Saved.")


class BookletScreen(CardListScreen):
    """Fills the list from the cached plan."""

    empty_msgid = N_("Your booklet will appear after the first connection.")

    def cards(self, app: App) -> list[Widget]:
        plan = app.cached("plan")
        exercises = (booklet_today(plan, app.store.items(BOOKLET_ENTRY), app.today())
                     if plan else [])
        return [ExerciseCard(
            item_id=item["id"],
            title=item["title_fr"] if app.language == "fr" else item["title_en"],
            description=item["description_fr"],
            dose=_("{sets} x {repetitions} repetitions, {per_week} times a week").format(
                sets=item["sets"], repetitions=item["repetitions"], per_week=item["per_week"]),
            status=status or "") for item, status in exercises]

