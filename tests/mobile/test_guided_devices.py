"""Done means: a guided session fed by the replay source, end to end, in real windows.

The tablet app (Xvfb) plays the demo ride's recorded notifications on an
accelerated clock: live heart rate and power on screen, the alarm when heart
rate crosses the prescribed ceiling, the session saved with its 1 Hz samples
and synced; then the referent opens the patient file in Chromium and sees the
session's curve against the zone. Screenshots under artifacts/screenshots/.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mobile.devices import ReplaySource
from mobile.store import Store
from server.extensions import db
from server.models import ErgoSession, Flag, Prescription, User
from server.services import samples as samples_store
from shared.enums import Modality
from shared.rules import FlagKind
from tests.mobile.kivy_harness import Driver, configure_kivy
from tests.mobile.test_importers import power as power_at
from tests.mobile.test_importers import write_fit
from tests.web.conftest import SCREENSHOTS as WEB_SCREENSHOTS
from tests.web.conftest import browser_login

SCREENSHOTS = Path(__file__).parents[2] / "artifacts" / "screenshots" / "mobile"

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:kivy.*"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


class SharedMonotonic:
    """The timers' and the replay's time source, moved by the test (thread-safe)."""

    def __init__(self) -> None:
        self.now = 5000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@pytest.fixture
def ceiling_prescription(patient, clock):
    """Week 3: 20 minutes of 60/60 intervals at 35 W, heart rate 100 to 130 bpm."""
    db.session.add(Prescription(
        enrolment_id=patient.enrolments[-1].id, from_week=3, session_minutes=20, watts=35,
        modality=Modality.INTERVAL, work_s=60, rest_s=60, sessions_min=4, sessions_max=6,
        hr_target_low=100, hr_target_high=130, created_at=clock.now()))
    db.session.commit()


@pytest.fixture
def tablet(display, tmp_path, live_server, clock, patient, device_token,
           ceiling_prescription) -> Iterator[Driver]:
    """The app, already paired, its guided sessions fed by the demo recording."""
    configure_kivy()
    from kivy.metrics import Metrics

    from mobile.app import RepriseApp
    from mobile.sync import Backoff

    data_dir = tmp_path / "tablet"
    store = Store(data_dir / "reprise.sqlite3")
    store.set("server_url", live_server.url)
    store.pair(device_token, patient.id, patient.first_name, "respiratory_home")
    store.close()
    Metrics.density = 1.0
    monotonic = SharedMonotonic()
    app = RepriseApp(data_dir=data_dir, server_url=live_server.url, clock=clock.now,
                     monotonic=monotonic, backoff=Backoff(base=0.2, cap=1.0),
                     poll_interval=3600,
                     device_source=lambda: ReplaySource.from_file(now=monotonic, poll_s=0.002))
    drive = Driver(app, SCREENSHOTS)
    yield drive
    drive.close()


def ride_to(driver: Driver, guided, second: float) -> None:
    """Move the session clock to ``second`` and let the replay catch up."""
    app = driver.app
    app.monotonic.advance(second - guided.timer.elapsed())
    # The bike notifies throughout (the strap drops out for a while).
    driver.until(lambda: guided.capture.recorded().power_samples
                 and guided.capture.recorded().power_samples[-1][0] >= int(second) - 2,
                 what=f"notifications up to {second} s")


def test_guided_session_with_live_devices_reaches_the_patient_file(
        tablet, live_server, browser, patient, clock):
    driver, app = tablet, tablet.app
    driver.until(lambda: app.cached("plan") and app.sync_state == "done", what="plan fetched")

    guided = driver.go("guided")
    driver.press(guided.ids.start_pause)
    assert guided.live
    ride_to(driver, guided, 90)
    driver.until(lambda: guided.hr_text.endswith("bpm") and guided.power_text == "20 W",
                 what="live values")
    bpm = int(guided.hr_text.split()[0])
    assert 85 <= bpm <= 100 and not guided.alarm
    assert guided.zone_text == "Sous votre zone : vous pouvez pédaler un peu plus fort"
    driver.shoot("05_guided_live_values")

    # Minute 7: the ride's excursion to about 138 bpm crosses the 130 ceiling.
    rings = app.alarm_rings
    ride_to(driver, guided, 420)
    driver.until(lambda: guided.alarm, what="the ceiling alarm")
    assert app.alarm_rings == rings + 1
    assert guided.zone_text == "Au-dessus de votre plafond de 130 : ralentissez maintenant"
    assert int(guided.hr_text.split()[0]) > 130
    driver.shoot("06_guided_alarm")
    ride_to(driver, guided, 480)
    driver.until(lambda: not guided.alarm, what="the alarm ending")

    # Minute 10: the strap's link drops for 10 s and comes back.
    ride_to(driver, guided, 603)
    driver.until(lambda: "reconnexion" in guided.link_text, what="link lost shown")
    ride_to(driver, guided, 700)
    driver.until(lambda: guided.link_text == "", what="link back")

    ride_to(driver, guided, 1195)
    app.monotonic.advance(10)
    driver.until(lambda: app.root.current == "guided_end", what="end of the session")
    end = driver.screen
    assert end.heart_summary.startswith("Fréquence cardiaque mesurée : moyenne ")
    assert int(end.ids.hr_max.text) > 130
    driver.type(end.ids.effort, "6")
    driver.type(end.ids.dyspnoea, "4")
    driver.shoot("07_guided_end_measured")
    driver.press(end.ids.save)
    driver.until(lambda: app.root.current == "home" and app.sync_state == "done"
                 and not app.pending, what="session synced")

    db.session.rollback()
    stored = db.session.scalar(select(ErgoSession))
    hr = samples_store.read_series([stored.id], samples_store.HEART_RATE)[stored.id]
    power = samples_store.read_series([stored.id], samples_store.POWER)[stored.id]
    # 1 Hz over 20 minutes, less the 10 s the strap was away and one corrupt packet.
    assert 1170 <= len(hr) == stored.hr_sample_count <= 1200
    assert len(power) >= 1190 and {w for _o, w in power} == {10, 20, 35}
    assert stored.hr_max > 130 and 20 <= stored.hr_above_ceiling_s <= 60
    assert stored.hr_in_zone_s > 600
    flag = db.session.scalar(select(Flag).where(Flag.kind == FlagKind.HEART_RATE))
    assert flag is not None and flag.evidence["sessions"][0]["reasons"] == ["max_above_ceiling"]

    # The referent sees the curve on the patient file.
    live_server.app.config["SESSION_COOKIE_SECURE"] = False
    referent = db.session.get(User, patient.referent_id)
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page = context.new_page()
    try:
        browser_login(page, referent)
        page.goto(f"/patients/{patient.id}")
        curve = page.locator("figure", has_text="Dernière séance mesurée")
        assert curve.locator("polyline.hr-live").count() == 1  # a 10 s dropout is no break
        assert curve.locator("polyline.power").count() >= 1
        assert curve.locator("rect.band").count() == 1
        assert page.locator("figure", has_text="Minutes dans la zone").count() == 1
        WEB_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        curve.scroll_into_view_if_needed()
        page.screenshot(path=str(WEB_SCREENSHOTS / "patient_file_session_curve.png"),
                        full_page=True)
    finally:
        context.close()


def test_a_fit_file_picked_on_the_tablet_becomes_a_synced_session(tablet, tmp_path, clock):
    driver, app = tablet, tablet.app
    driver.until(lambda: app.cached("plan") and app.sync_state == "done", what="plan fetched")
    folder = tmp_path / "Download"
    folder.mkdir()
    ride = write_fit(folder / "ride.fit", seconds=900, start=clock.now() - timedelta(hours=3))
    (folder / "notes.txt").write_text("not a ride")
    screen = driver.go("import")
    screen.ids.chooser.path = str(folder)
    driver.press(screen.ids.import_file)
    assert screen.message == "Choisissez d'abord un fichier."
    driver.until(lambda: screen.ids.chooser.files, what="the folder listed")
    assert [Path(f).name for f in screen.ids.chooser.files if not Path(f).is_dir()] == ["ride.fit"]
    screen.ids.chooser.selection = [str(ride)]
    driver.shoot("08_import_file")
    driver.press(screen.ids.import_file)
    driver.until(lambda: app.root.current == "home" and app.sync_state == "done"
                 and not app.pending, what="imported session synced")
    assert app.notice == "Séance de 15 minutes importée."
    db.session.rollback()
    stored = db.session.scalar(select(ErgoSession))
    assert (stored.source, stored.duration_s, stored.hr_sample_count) == ("device", 900, 900)
    power = samples_store.read_series([stored.id], samples_store.POWER)[stored.id]
    assert power == [(t, power_at(t)) for t in range(900)]
