"""What the tablet lists as due, and the draft that survives a restart (no Kivy)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mobile import questionnaires as q
from mobile.store import QUESTIONNAIRE, SENT, OutboxItem

CRQ = {"code": "crq", "opens_on": "2026-03-23", "closes_on": "2026-04-12",
       "items": [{"code": "DY1", "low": 1, "high": 7, "step": 1, "labels_fr": [],
                  "labels_en": []},
                 {"code": "DY2", "low": 1, "high": 7, "step": 1, "labels_fr": [],
                  "labels_en": []}]}
PLAN = {"questionnaires_due": [CRQ]}


def _answered(day: date, instrument: str = "crq") -> OutboxItem:
    return OutboxItem(id="x", kind=QUESTIONNAIRE, patient_id=1, day=day,
                      payload={"instrument": instrument}, created_at=datetime.now(UTC),
                      state=SENT, attempts=1, server_id=1, error=None)


def test_an_instrument_answered_in_its_window_is_no_longer_due():
    assert q.due(PLAN, []) == [CRQ]
    assert q.due(PLAN, [_answered(date(2026, 3, 25))]) == []
    # The W0 answers, months earlier, do not count for W12.
    assert q.due(PLAN, [_answered(date(2026, 1, 5))]) == [CRQ]
    assert q.due(PLAN, [_answered(date(2026, 3, 25), "satisfaction")]) == [CRQ]
    assert q.due(None, []) == []


def test_the_draft_resumes_where_it_stopped(store):
    draft = q.Draft(CRQ)
    draft.answer(4)
    q.save_draft(store, draft)
    again = q.load_draft(store)
    assert (again.answers, again.index, again.finished) == ({"DY1": 4}, 1, False)
    again.answer(6)
    assert again.finished
    payload = again.payload(datetime(2026, 3, 25, 10, tzinfo=UTC))
    assert payload == {"instrument": "crq", "answered_at": "2026-03-25T10:00:00+00:00",
                       "answers": {"DY1": 4, "DY2": 6}}
    assert "score" not in payload
    q.clear_draft(store)
    assert q.load_draft(store) is None


def test_buttons_carry_the_scale_labels_when_the_scale_names_them():
    item = {"low": 0, "high": 1, "step": 1, "labels_fr": ["Pas d'accord", "D'accord"],
            "labels_en": ["Disagree", "Agree"]}
    assert q.scale_labels(item, "fr") == [(0, "0\nPas d'accord"), (1, "1\nD'accord")]
    assert q.scale_labels({**item, "labels_en": []}, "en") == [(0, "0"), (1, "1")]
