"""The CRQ on the tablet, in a real window (Xvfb): filled offline, resumed, synced, scored.

The patient is in week 12: the plan lists the closing CRQ; the home screen
shows the badge. The network is cut before the first answer; the patient
stops half-way and comes back; the thank-you shows no score. Once the
server is back, the stored score equals the hand-computed example
(tests/api/test_measures.py: dyspnoea 5.0, fatigue 3.75, emotional function
5.0, mastery 4.0, overall 4.55).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import QuestionnaireResponse
from shared.enums import Role
from tests.api.test_measures import CRQ_W12
from tests.mobile.test_ui import SCREENSHOTS, driver, synced  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:kivy.*"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture
def patient(factories):
    """A patient in week 12 of the respiratory programme: the closing CRQ is due."""
    return factories.active_patient(factories.user(Role.REFERENT),
                                    start=factories.clock.today() - timedelta(days=7 * 11 + 3))


def _press_answer(drive, screen, value: int) -> None:
    button = next(b for b in screen.ids.points.children if b.value == value)
    drive.press(button)


def test_crq_filled_offline_resumed_then_synced_and_scored(driver, live_server,  # noqa: F811
                                                           pairing_code, patient):
    app = driver.app
    pairing = driver.screen
    driver.type(pairing.ids.code, pairing_code)
    driver.press(pairing.ids.submit)
    driver.until(lambda: app.root.current == "home" and driver.screen.has_plan
                 and synced(driver), what="home with the plan")
    home = driver.screen
    assert home.questionnaires_due == 3  # CRQ and satisfaction at W12, this week's symptoms
    assert home.ids.go_questionnaires.text == "Questionnaires (3)"
    driver.shoot("20_home_questionnaires_badge")

    live_server.stop()  # offline from here
    screen = driver.go("questionnaires")
    titles = [b.text for b in reversed(screen.ids.choices.children)]
    assert titles[0].startswith("Questionnaire respiratoire chronique")
    driver.shoot("21_questionnaires_due")
    crq = next(b for b in screen.ids.choices.children if b.instrument_code == "crq")
    driver.press(crq)
    assert screen.mode == "item" and screen.progress_text == "Question 1 sur 20"
    assert screen.domain_text == "Dyspnée"
    # No licensed wording installed: the item number of the paper form stands in.
    assert screen.question_text == "Question 1 du questionnaire papier"
    assert len(screen.ids.points.children) == 7
    driver.shoot("22_crq_item_1")
    items = list(CRQ_W12.items())
    for _code, value in items[:10]:
        _press_answer(driver, screen, value)
    assert screen.progress_text == "Question 11 sur 20"

    driver.go("home")  # the patient stops half-way...
    screen = driver.go("questionnaires")  # ...and comes back: it resumes
    assert screen.mode == "item" and screen.progress_text == "Question 11 sur 20"
    driver.press(screen.ids.previous)
    assert screen.progress_text == "Question 10 sur 20"
    chosen = [b for b in screen.ids.points.children if b.state == "down"]
    assert [b.value for b in chosen] == [items[9][1]]
    _press_answer(driver, screen, items[9][1])
    for _code, value in items[10:]:
        _press_answer(driver, screen, value)
    assert screen.mode == "thanks"
    assert screen.ids.thanks.text == (
        "Merci ! Vos réponses seront transmises à votre équipe soignante.")
    assert not any(ch.isdigit() for ch in screen.ids.thanks.text)  # no score shown
    driver.shoot("23_crq_thanks_offline")
    driver.press(screen.ids.home)
    driver.until(lambda: app.root.current == "home", what="home")
    assert driver.screen.questionnaires_due == 2  # answered here, even offline
    assert app.pending.get("questionnaire") == 1

    live_server.start()
    app.sync_now()
    driver.until(lambda: synced(driver), what="questionnaire synced")
    stored = db.session.scalar(select(QuestionnaireResponse))
    assert stored.instrument == "crq" and stored.timepoint == "W12"
    assert stored.answers == CRQ_W12
    assert stored.domain_scores == {"dyspnoea": 5.0, "fatigue": 3.75,
                                    "emotional_function": 5.0, "mastery": 4.0}
    assert stored.score == pytest.approx(4.55)
    driver.shoot("24_home_after_sync")
    assert SCREENSHOTS.joinpath("23_crq_thanks_offline.png").exists()
