"""The reviews screen's logic: the syntheses sent for the patient as the tablet words them."""

from __future__ import annotations

import pytest

from mobile.summary import reviews

pytestmark = pytest.mark.usefixtures("french")


def test_reviews_are_worded_for_the_patient_newest_first():
    items = [
        {"id": 2, "kind": "final", "version": 1, "sent_at": "2026-03-05T10:00:00+00:00",
         "message": "Bravo.", "sessions": 1, "weeks": 12},
        {"id": 1, "kind": "initial", "version": 2, "sent_at": "2025-12-10T10:00:00+00:00",
         "message": "", "sessions": None, "weeks": None},
    ]
    final, initial = reviews(items)
    assert (final.title, final.when, final.message, final.figures) == (
        "Bilan de fin de programme", "Envoyé le jeudi 5 mars", "Bravo.",
        "1 séance en 12 semaines")
    assert (initial.title, initial.figures) == ("Bilan de votre début de programme", "")
    assert reviews(None) == []
