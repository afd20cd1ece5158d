"""Questionnaires: what is due, then one item per screen with large answer buttons."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from mobile import questionnaires as q
from mobile.i18n import _
from mobile.store import QUESTIONNAIRE


class QuestionnairesScreen(Screen):
    """Three moods: the list of what is due, an item, the thank-you (never a score)."""

    mode = StringProperty("list")
    empty_text = StringProperty("")
    title_text = StringProperty("")
    progress_text = StringProperty("")
    domain_text = StringProperty("")
    question_text = StringProperty("")
    anchors_text = StringProperty("")

    draft: q.Draft | None = None

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Resume a draft, else list what is due."""
        app = App.get_running_app()
        if self.mode == "thanks":
            return
        self.draft = q.load_draft(app.store)
        if self.draft is not None:
            self._show_item()
            return
        self.mode = "list"
        due = app.due_questionnaires()
        self.empty_text = "" if due else _("No questionnaire to fill in for now. Thank you!")
        box = self.ids.choices
        box.clear_widgets()
        for instrument in due:
            button = Factory.BigButton(text=self._title(instrument))
            button.instrument_code = instrument["code"]
            button.bind(on_release=partial(self.start, instrument))
            box.add_widget(button)

    def _title(self, instrument: dict[str, Any]) -> str:
        language = App.get_running_app().language
        return instrument["title_fr"] if language == "fr" else instrument["title_en"]

    def start(self, instrument: dict[str, Any], *_args: object) -> None:
        """Begin filling ``instrument``."""
        self.draft = q.Draft(instrument)
        q.save_draft(App.get_running_app().store, self.draft)
        self._show_item()

    def _show_item(self) -> None:
        app = App.get_running_app()
        draft, language = self.draft, app.language
        item = draft.item
        self.mode = "item"
        self.title_text = self._title(draft.instrument)
        self.progress_text = _("Question {n} of {total}").format(n=draft.index + 1,
                                                                total=len(draft.items))
        self.domain_text = item["domain_fr"] if language == "fr" else item["domain_en"]
        text = item["text_fr"] if language == "fr" else item["text_en"]
        self.question_text = text or _("Question {number} of the paper form").format(
            number=item["number"])
        low = item["anchor_low_fr"] if language == "fr" else item["anchor_low_en"]
        high = item["anchor_high_fr"] if language == "fr" else item["anchor_high_en"]
        self.anchors_text = f"{low}\n{high}"
        grid = self.ids.points
        grid.clear_widgets()
        points = q.scale_labels(item, language)
        grid.cols = min(len(points), 4 if len(points) > 7 else len(points))
        chosen = draft.answers.get(item["code"])
        for value, label in points:
            button = Factory.ChoiceButton(text=label, group=None)
            button.value = value
            button.state = "down" if value == chosen else "normal"
            button.bind(on_release=partial(self.answer, value))
            grid.add_widget(button)

    def answer(self, value: int, *_args: object) -> None:
        """Keep the answer (the draft survives the app closing) and go on."""
        app = App.get_running_app()
        last = self.draft.index == len(self.draft.items) - 1
        self.draft.answer(value)
        q.save_draft(app.store, self.draft)
        if last and self.draft.finished:
            app.save(QUESTIONNAIRE, self.draft.payload(app.clock()), app.today())
            q.clear_draft(app.store)
            self.draft = None
            self.mode = "thanks"
            return
        self._show_item()

    def back(self) -> None:
        """The previous question (its answer shown, to change it if needed)."""
        if self.draft is not None:
            self.draft.back()
            q.save_draft(App.get_running_app().store, self.draft)
            self._show_item()

    def on_leave(self, *_args: object) -> None:
        # The thank-you is read once; the next visit starts from the list (or the draft).
        if self.mode == "thanks":
            self.mode = "list"

    def done(self) -> None:
        """Leave the thank-you for the home screen."""
        self.mode = "list"
        App.get_running_app().go("home")
