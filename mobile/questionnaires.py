"""Questionnaires on the tablet, without Kivy: what is due, the draft being filled, its payload.

The plan lists the instruments due with their items (``questionnaires_due``);
an instrument already answered on this tablet in its window is no longer due,
even offline. The answers so far are kept in the store after every tap, so a
questionnaire left half-way resumes where it stopped. No score is computed
here: the server scores, the care team interprets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mobile.store import QUESTIONNAIRE, OutboxItem, Store

DRAFT_KEY = "questionnaire_draft"


def due(plan: dict[str, Any] | None, saved: list[OutboxItem]) -> list[dict[str, Any]]:
    """The plan's due instruments not yet answered on this tablet in their window."""
    answered = [(item.payload["instrument"], item.day) for item in saved
                if item.kind == QUESTIONNAIRE]
    return [q for q in (plan or {}).get("questionnaires_due", [])
            if not any(code == q["code"]
                       and date.fromisoformat(q["opens_on"]) <= day
                       <= date.fromisoformat(q["closes_on"])
                       for code, day in answered)]


@dataclass
class Draft:
    """A questionnaire being filled: the instrument's definition and the answers so far."""

    instrument: dict[str, Any]
    answers: dict[str, int] = field(default_factory=dict)
    index: int = 0

    @property
    def code(self) -> str:
        """The instrument's code."""
        return self.instrument["code"]

    @property
    def items(self) -> list[dict[str, Any]]:
        """The instrument's items in form order."""
        return self.instrument["items"]

    @property
    def item(self) -> dict[str, Any]:
        """The item on screen."""
        return self.items[self.index]

    @property
    def finished(self) -> bool:
        """Every item answered."""
        return all(item["code"] in self.answers for item in self.items)

    def answer(self, value: int) -> None:
        """Record the answer to the item on screen and move to the next one."""
        self.answers[self.item["code"]] = value
        self.index = min(self.index + 1, len(self.items) - 1)

    def back(self) -> None:
        """Show the previous item again."""
        self.index = max(0, self.index - 1)

    def payload(self, now: datetime) -> dict[str, Any]:
        """What is sent to ``/me/questionnaires`` (no score: the server scores)."""
        return {"instrument": self.code, "answered_at": now.isoformat(),
                "answers": dict(self.answers)}


def load_draft(store: Store) -> Draft | None:
    """The questionnaire left half-way, if any."""
    text = store.get(DRAFT_KEY)
    if not text:
        return None
    data = json.loads(text)
    return Draft(data["instrument"], data["answers"], data["index"])


def save_draft(store: Store, draft: Draft) -> None:
    """Keep the answers so far (after every tap)."""
    store.set(DRAFT_KEY, json.dumps({"instrument": draft.instrument, "answers": draft.answers,
                                     "index": draft.index}))


def clear_draft(store: Store) -> None:
    """Forget the draft once the questionnaire is saved to the outbox."""
    store.delete(DRAFT_KEY)


def scale_labels(item: dict[str, Any], language: str) -> list[tuple[int, str]]:
    """The buttons of an item: each point with its label when the scale names it."""
    names = item["labels_fr"] if language == "fr" else item["labels_en"]
    points = range(item["low"], item["high"] + 1, item["step"])
    return [(p, f"{p}\n{names[p - item['low']]}" if names else str(p)) for p in points]
