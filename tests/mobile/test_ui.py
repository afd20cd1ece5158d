"""The real app in a real window (Xvfb), against the real server over HTTP.

One patient's journey, in order, as a referent would demonstrate it: pair,
see the week, ride a guided session (on an accelerated clock) and note one
by hand, tick the booklet, report a fall, lose the network and get it back,
correct an entry the server refused, read a reminder, look at the history,
change the settings, and survive a revoked token. Every screen is saved
under ``artifacts/screenshots/mobile/``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
import qrcode
from PIL import ImageOps
from sqlalchemy import select

from mobile.store import PENDING, REFUSED, SESSION
from server.extensions import db
from server.models import BookletEntry, ErgoSession, HealthEvent, Notification
from server.services import auth as auth_service
from server.services import notifications
from shared.pairing import pairing_uri
from tests.mobile.conftest import count_rows, synced
from tests.mobile.kivy_harness import Finger
from tests.mobile.tap_scenarios import FEELINGS, log_prescribed_session, tick_booklet

pytestmark = [
    # Kivy's SDL2 window and GL modules are C extensions compiled against an
    # older Cython: their import-time notices are not ours to fix.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:kivy.*"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def test_patient_journey(driver, live_server, pairing_code, patient, clock, factories,
                         interval_prescription):
    app = driver.app

    # Pairing: a wrong code gets the server's plain French answer, then the right one pairs.
    pairing = driver.screen
    assert pairing.name == "pairing"
    assert pairing.ids.server.text == live_server.url
    driver.type(pairing.ids.code, "ab")
    driver.press(pairing.ids.submit)
    assert pairing.message.startswith("Code d'appairage : tapez le code de 8 lettres")
    driver.type(pairing.ids.code, "ZZZZ9999")
    driver.press(pairing.ids.submit)
    driver.until(lambda: pairing.message and not pairing.busy, what="pairing refusal")
    assert "appairage" in pairing.message and "inconnu" in pairing.message
    driver.shoot("01_pairing_refused")
    driver.type(pairing.ids.code, pairing_code.lower())
    driver.press(pairing.ids.submit)
    driver.until(lambda: app.root.current == "home" and driver.screen.has_plan
                 and synced(driver), what="home with the plan")

    # Home: this week against the 4-6 band, next contact, sync state, in French.
    home = driver.screen
    assert home.greeting == "Bonjour Jeanne"
    assert home.week_text == "Semaine 3 : 0 séance sur 4 à 6"
    assert (home.done, home.target_min, home.target_max) == (0, 4, 6)
    assert home.contact_text.startswith("Appel de votre référent : ")
    assert "Lever de chaise : à faire" in home.booklet_text
    assert home.ids.sync_text.text == "Tout est envoyé."
    driver.shoot("02_home")

    # Guided session on an accelerated clock: warm-up, 60/60 intervals at 35 W, cool-down.
    guided = driver.go("guided")
    assert guided.plan_text == "Aujourd'hui : 20 minutes, en intervalles à 35 watts."
    driver.press(guided.ids.start_pause)
    app.monotonic.advance(30)
    driver.until(lambda: guided.left_text == "03:30", what="warm-up countdown")
    assert guided.step_text == "Échauffement : pédalez doucement"
    app.monotonic.advance(3 * 60 + 30 + 10)  # a 20-minute session warms up for 4
    driver.until(lambda: guided.step_text.startswith("Effort : pédalez plus fort"),
                 what="first effort block")
    assert guided.step_text.endswith("35 watts") and guided.left_text == "00:50"
    assert guided.next_text == "Ensuite : Récupération : pédalez doucement"
    driver.shoot("03_guided_running")
    app.monotonic.advance(20 * 60)
    driver.until(lambda: app.root.current == "guided_end", what="end of the guided session")
    end = driver.screen
    assert end.summary == "Bravo ! Vous avez pédalé 20 minutes."
    driver.type(end.ids.hr_mean, "300")
    driver.type(end.ids.hr_max, "128")
    driver.press(end.ids.save)
    assert end.ids.hr_mean.error == (
        "Fréquence cardiaque moyenne : indiquez un nombre entier de 25 à 250 "
        "battements par minute.")
    driver.shoot("04_guided_end_refused")
    driver.type(end.ids.hr_mean, "112")
    driver.type(end.ids.effort, "5")
    driver.type(end.ids.dyspnoea, "4")
    driver.press(end.ids.save)
    driver.until(lambda: app.root.current == "home" and synced(driver), what="guided synced")
    stored = db.session.scalar(select(ErgoSession))
    assert (stored.source, stored.duration_s, stored.hr_mean, stored.hr_max) == (
        "guided", 20 * 60, 112, 128)

    # Manual entry: the week's prescription prefilled, heart rates empty until set (starting
    # from the last session's); impossible values are refused on the spot, each field named.
    manual = driver.go("manual")
    assert manual.prescription_text == "Prescription de la semaine : 20 minutes à 35 watts."
    assert (manual.ids.duration_min.value, manual.ids.watts.value) == (20, 35)
    assert manual.ids.hr_mean.value is None and manual.ids.hr_mean.usual == 112
    assert manual.ids.effort.label.startswith("Quel effort")
    assert manual.ids.dyspnoea.get_root_window() is not None  # breathing programme: asked
    assert manual.ids.pain_eva.get_root_window() is None  # folded under "More"
    manual.ids.hr_mean.value, manual.ids.hr_max.value = 140, 120
    driver.press(manual.ids.more)
    driver.type(manual.ids.distance_km, "sept")
    driver.press(manual.ids.save)
    assert manual.ids.distance_km.error == "Distance : indiquez un nombre de 0 à 300 km."
    assert manual.ids.hr_mean.error.startswith("Fréquence cardiaque moyenne : elle ne peut")
    driver.shoot("05_manual_refused")
    driver.press(manual.ids.duration_min.ids.plus)  # 25 minutes
    manual.ids.hr_mean.value = 104
    driver.type(manual.ids.distance_km, "7,5")
    driver.press(manual.ids.watts.ids.erase)  # rode without the power shown
    driver.press(manual.ids.dyspnoea.choice_button(3))
    driver.press(manual.ids.day1)
    driver.press(manual.ids.save)
    driver.until(lambda: app.root.current == "home" and synced(driver), what="manual synced")
    assert count_rows(ErgoSession) == 2
    yesterday = db.session.scalar(select(ErgoSession).where(ErgoSession.source == "manual"))
    assert yesterday.day == clock.today() - timedelta(days=1) and yesterday.distance_km == 7.5
    assert (yesterday.duration_s, yesterday.watts, yesterday.dyspnoea, yesterday.effort) == (
        25 * 60, None, 3, None)
    # Yesterday was the Sunday of week 2: this week still counts one session.
    assert driver.screen.week_text == "Semaine 3 : 1 séance sur 4 à 6"

    # Booklet: the first exercise done with pain 3.
    booklet = driver.go("booklet")
    card = booklet.ids.cards.children[-1]
    assert card.title == "Lever de chaise" and card.dose.startswith("3 x 10 répétitions")
    driver.press(card.ids.pain.choice_button(3))
    driver.press(card.ids.done)
    assert card.status == "done" and card.message == "Enregistré."
    driver.shoot("06_booklet")
    driver.until(lambda: synced(driver), what="booklet synced")
    entry = db.session.scalar(select(BookletEntry))
    assert (entry.status, entry.pain_eva, entry.day) == ("done", 3, clock.today())

    # Health event: the 15 is stated first; no kind chosen is refused plainly.
    event = driver.go("event")
    assert "15 (SAMU)" in event.ids.emergency.text
    driver.shoot("07_event")
    driver.press(event.ids.save)
    assert event.message == "Type d'événement : choisissez l'un des boutons."
    fall = next(b for b in event.ids.kinds.children if b.value == "fall")
    driver.press(fall)
    other_day = next(b for b in event.ids.days.children if b.value == "other")
    driver.press(other_day)
    driver.press(event.ids.save)
    assert event.ids.other_day.error == "Date : appuyez sur + pour remonter jour par jour."
    driver.press(event.ids.other_day.ids.plus)
    assert event.ids.other_day.value == 3 and event.ids.other_day.note.split()[0] in (
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    driver.press(next(b for b in event.ids.signs.children if b.value == "walking_difficulty"))
    driver.press(event.ids.more)
    driver.type(event.ids.description, "Glissé dans la salle de bain")
    driver.press(event.ids.save)
    driver.until(lambda: app.root.current == "home" and synced(driver), what="event synced")
    reported = db.session.scalar(select(HealthEvent))
    assert (reported.kind, reported.occurred_on, reported.warning_signs) == (
        "fall", clock.today() - timedelta(days=3), ["walking_difficulty"])

    # Offline: two sessions wait on the tablet and the home screen says so.
    live_server.stop()
    for taps in (2, 3):  # 30 and 35 minutes: the prescribed 20, 5 more per tap
        manual = driver.go("manual")
        for _ in range(taps):
            driver.press(manual.ids.duration_min.ids.plus)
        driver.press(manual.ids.save)
    home = driver.until(lambda: app.root.current == "home" and app.sync_state == "offline"
                        and driver.screen, what="offline state")
    assert home.ids.sync_text.text == (
        "2 séances en attente d'envoi\n"
        "Pas de connexion : vos saisies sont gardées sur la tablette.")
    assert home.week_text == "Semaine 3 : 3 séances sur 4 à 6"
    driver.shoot("08_home_offline")

    # Back online: the next try (back-off, or the button) sends them.
    live_server.start()
    assert home.ids.send_now.text == "Envoyer maintenant"
    driver.press(home.ids.send_now)
    driver.until(lambda: synced(driver), what="offline sessions synced")
    assert home.ids.sync_text.text == "Tout est envoyé."
    assert count_rows(ErgoSession) == 4

    # A refused entry (dated before the programme, e.g. a tablet clock gone wrong) is
    # kept with the server's reason, corrected, and sent.
    early = (clock.now() - timedelta(days=30)).isoformat()
    app.store.add(SESSION, {"started_at": early, "duration_s": 900, "source": "manual"},
                  clock.today() - timedelta(days=30), clock.now())
    app.sync_now()
    driver.until(lambda: app.refused == {SESSION: 1}, what="refused entry")
    assert home.ids.sync_text.text == "1 saisie à corriger"
    corrections = driver.go("corrections")
    [refused] = corrections.ids.cards.children
    assert refused.reason.startswith("Date : La date ")
    assert refused.reason.endswith("précède le début du programme (2026-02-16).")
    driver.shoot("09_corrections")
    corrections.correct(refused.item_id)
    manual = driver.until(lambda: app.root.current == "manual" and driver.screen)
    assert manual.correction.startswith("Corrigez cette séance. Le serveur a répondu")
    assert manual.ids.duration_min.value == 15
    driver.shoot("10_manual_correction")
    driver.press(manual.ids.day0)
    driver.press(manual.ids.save)
    driver.until(lambda: app.root.current == "home" and synced(driver) and not app.refused,
                 what="correction synced")
    assert count_rows(ErgoSession) == 5

    # A reminder from the team shows on the home screen; reading it reaches the server.
    notifications.enqueue(channel="in_app", kind="reminder", subject="Rappel",
                          body="Pensez à votre séance de vélo.", dedupe_key="ui-reminder",
                          patient_id=patient.id)
    db.session.commit()
    app.sync_now()
    home = driver.until(lambda: driver.screen.reminder_text and driver.screen)
    assert home.reminder_text == "Rappel\nPensez à votre séance de vélo."
    driver.shoot("11_home_reminder")
    messages = driver.go("messages")
    [message] = messages.ids.cards.children
    assert message.subject == "Rappel" and not message.read
    driver.shoot("12_messages")
    app.mark_read(message.message_id)
    driver.until(lambda: synced(driver) and app.store.get("notifications_to_mark") == "[]")
    db.session.rollback()
    assert db.session.scalar(select(Notification.read_at).where(
        Notification.dedupe_key == "ui-reminder")) is not None

    # History: sessions per week against the band, minutes, heart rate.
    history = driver.go("history")
    assert history.labels == ["S1", "S2", "S3"] and history.band == (4, 6)
    assert history.sessions == [0, 1, 4]
    assert history.minutes == [0, 25, 20 + 30 + 35 + 15]
    assert history.heart == [None, 104, 112]
    assert history.weeks_text.startswith("Semaine 3 : 4 séances, 100 min\nSemaine 2 : 1 séance")
    driver.shoot("13_history")

    # Settings: bad server address named plainly; English and the largest text apply at once.
    settings = driver.go("settings")
    driver.type(settings.ids.server, "reprise.local")
    driver.press(settings.ids.save_server)
    assert settings.ids.server.error.startswith("Adresse du serveur : elle doit commencer par")
    driver.type(settings.ids.server, live_server.url)
    driver.press(settings.ids.save_server)
    driver.shoot("14_settings")
    driver.press(settings.ids.lang_en)
    driver.press(settings.ids.size_huge)
    assert app.store.get("language") == "en" and app.font_scale == 1.6
    home = driver.go("home")
    assert home.week_text == "Week 3: 4 sessions out of 4 to 6"
    assert home.ids.go_guided.text == "Guided session"
    driver.shoot("15_home_english_large")
    settings = driver.go("settings")
    driver.press(settings.ids.lang_fr)
    driver.press(settings.ids.size_large)

    # A revoked token: back to pairing, the unsent session kept, sent after pairing again.
    auth_service.revoke(auth_service.resolve_token(app.store.token))
    manual = driver.go("manual")
    driver.press(manual.ids.save)
    pairing = driver.until(lambda: app.root.current == "pairing" and driver.screen,
                           what="back to pairing")
    assert pairing.message.startswith("Cette tablette n'est plus appairée.")
    assert app.store.counts()[PENDING] == {SESSION: 1}
    driver.shoot("16_pairing_after_revocation")
    referent = patient.referent
    code, _record = auth_service.create_pairing_code(patient.enrolments[-1], referent)
    # Pairing again by scanning: no camera here, so the screen says so; then a camera
    # frame (a Kivy texture holding the QR code the coordinator's page draws) pairs.
    scan = driver.go("scan")
    assert scan.message.startswith("La caméra de cette tablette ne peut pas")
    driver.shoot("17_scan_without_camera")
    from kivy.graphics.texture import Texture

    qr = qrcode.make(pairing_uri(code, live_server.url)).get_image().convert("RGBA")
    frame = Texture.create(size=qr.size, colorfmt="rgba")
    frame.blit_buffer(ImageOps.flip(qr).tobytes(), colorfmt="rgba", bufferfmt="ubyte")
    scan._camera = SimpleNamespace(texture=frame, play=True)
    scan._scan(0)
    driver.until(lambda: app.root.current == "home" and synced(driver), what="re-paired")
    assert count_rows(ErgoSession) == 6 and app.store.counts()[REFUSED] == {}

    # Unpairing from the settings asks twice.
    settings = driver.go("settings")
    driver.press(settings.ids.unpair)
    assert settings.unpair_warning == "Appuyez encore pour désappairer."
    driver.press(settings.ids.unpair)
    driver.until(lambda: app.root.current == "pairing", what="unpaired")
    assert app.store.token is None
    assert json.loads(app.store.get("notifications_to_mark")) == []


def test_a_prescribed_session_and_the_days_booklet_take_a_tap_each(
        interval_prescription, store, driver):
    """Measured with input events at window pixels (bench/tablet_taps.py prints the same)."""
    app = driver.app
    driver.until(lambda: app.cached("plan") and driver.screen.name == "home"
                 and synced(driver), what="paired tablet with its plan")
    finger = Finger(driver)

    session = log_prescribed_session(driver, finger)
    assert session.taps <= 4 and session.keys == 0, session
    booklet, exercises = tick_booklet(driver, finger)
    # Open the booklet, one tap per exercise, back home.
    assert exercises >= 2 and booklet.taps == exercises + 2 and booklet.keys == 0, booklet

    driver.until(lambda: synced(driver), what="both tasks sent")
    stored = db.session.scalar(select(ErgoSession))
    assert (stored.duration_s, stored.watts, stored.effort, stored.dyspnoea, stored.source) == (
        20 * 60, 35, FEELINGS["effort"], FEELINGS["dyspnoea"], "manual")
    assert stored.hr_mean is None  # no heart rate invented when none was measured
    assert count_rows(BookletEntry) == exercises
    assert db.session.scalars(select(BookletEntry.pain_eva)).all() == [None] * exercises
