"""The coordinator's indicators page: figures against targets, the patients behind them,
exports without patient identity, filters, bad parameters, and who may open it."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.clock import FixedClock
from server.extensions import db
from server.models import AuditEntry, Enrolment
from server.services import indicators
from shared.enums import Role
from tests.conftest import Factories
from tests.web.conftest import WebClient, browser_login, screenshot

PAGES = ("/indicators/", "/indicators/patients?indicator=programmes_done",
         "/indicators/export.csv", "/indicators/export.json")


def test_the_page_shows_each_figure_beside_its_target_and_links_its_patients(
        web: WebClient, factories: Factories, indicator_cohort: dict[str, Enrolment]) -> None:
    web.login(factories.staff(Role.COORDINATOR))
    html = web.get("/indicators/?year=2025&programme=respiratory_home").text
    row = html[html.index('id="indicator-intervention_validation"'):]
    row = row[:row.index("</tr>")]
    # 3 of 4 interventions completed: 75 % against 85 %, not met (hand count in
    # tests/server/test_indicators.py).
    assert "75" in row and "85" in row and "non atteinte" in row
    assert "indicator=intervention_validation" in row and "part=numerator" in row
    assert "année N du programme" in html
    hospital = html[html.index('id="indicator-hospital_days"'):]
    assert "10 jours avant, 3 après" in hospital[:hospital.index("</tr>")]
    assert 'id="indicator-incidents-fall"' in html


def test_the_page_says_when_its_figures_were_computed_and_computes_them_again(
        web: WebClient, factories: Factories, indicator_cohort: dict[str, Enrolment],
        clock: FixedClock) -> None:
    web.login(factories.staff(Role.COORDINATOR))
    page = "/indicators/?year=2025&programme=respiratory_home"
    assert "Chiffres calculés le 02/03/2026 13:00" in web.get(page).text  # 12:00 UTC
    clock.set(clock.now() + timedelta(hours=2))
    assert "Chiffres calculés le 02/03/2026 13:00" in web.get(page).text  # the snapshot

    answer = web.post("/indicators/recompute?year=2025&programme=respiratory_home",
                      form_page=page)

    assert answer.status_code == 302 and answer.location.endswith(page)
    html = web.get(page).text
    assert "Les chiffres ont été calculés à nouveau." in html
    assert "Chiffres calculés le 02/03/2026 15:00" in html


def test_the_programme_filter_shows_the_low_back_pain_table(
        web: WebClient, factories: Factories, indicator_cohort: dict[str, Enrolment]) -> None:
    web.login(factories.staff(Role.COORDINATOR))
    html = web.get("/indicators/?year=2025&programme=low_back_pain_home").text
    assert "Oswestry" in html and "non mesuré dans ce programme" in html
    # The year filter: 2024 is before the programmes' first year.
    assert "précède la première année" in web.get("/indicators/?year=2024").text


def test_the_patients_behind_a_figure_are_listed_and_the_read_audited(
        web: WebClient, factories: Factories, indicator_cohort: dict[str, Enrolment]) -> None:
    coordinator = factories.staff(Role.COORDINATOR)
    web.login(coordinator)
    html = web.get("/indicators/patients?year=2025&programme=respiratory_home"
                   "&indicator=follow_up_patients").text
    for name in ("A Jeanne", "B Jeanne", "D Jeanne", "F Jeanne"):
        assert name in html
    assert "C Jeanne" not in html and "G Jeanne" not in html
    audited = db.session.scalars(select(AuditEntry.patient_id).where(
        AuditEntry.actor_id == coordinator.id,
        AuditEntry.object_type == "indicators 2025 respiratory_home")).all()
    assert sorted(audited) == sorted(indicator_cohort[n].patient_id for n in "ABDF")


def test_the_patients_behind_a_figure_are_paged_with_their_count(
        web: WebClient, factories: Factories, indicator_cohort: dict[str, Enrolment],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indicators, "PER_PAGE", 3)
    coordinator = factories.staff(Role.COORDINATOR)
    web.login(coordinator)
    base = "/indicators/patients?year=2025&programme=respiratory_home&indicator=follow_up_patients"
    html = web.get(base).text
    table = html[html.index('id="indicator-patients"'):html.index("</table>")]
    assert "A Jeanne" in table and "D Jeanne" in table and "F Jeanne" not in table
    assert "4 patients derrière ce chiffre." in html and "Page 1 sur 2" in html
    assert "Page précédente" not in html
    nav = html[html.index('class="pager"'):]
    assert 'rel="next"' in nav and "page=2" in nav and "indicator=follow_up_patients" in nav
    html = web.get(base + "&page=2").text
    table = html[html.index('id="indicator-patients"'):html.index("</table>")]
    assert "F Jeanne" in table and "A Jeanne" not in table
    assert "Page 2 sur 2" in html and "Page précédente" in html and "Page suivante" not in html
    # A page past the last shows the last one.
    assert "Page 2 sur 2" in web.get(base + "&page=5000").text
    audited = db.session.scalars(select(AuditEntry.patient_id).where(
        AuditEntry.actor_id == coordinator.id,
        AuditEntry.object_type == "indicators 2025 respiratory_home")).all()
    assert len(audited) == 3 + 1 + 1


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "99999999999999999999", ""])
def test_a_bad_page_number_is_a_422_naming_it(web: WebClient, factories: Factories,
                                            indicator_cohort: dict[str, Enrolment],
                                            page: str) -> None:
    web.login(factories.staff(Role.COORDINATOR))
    answer = web.get(f"/indicators/patients?year=2025&indicator=programmes_done&page={page}")
    assert answer.status_code == 422
    assert "page:" in answer.text


def test_the_exports_hold_figures_only(
        web: WebClient, factories: Factories, indicator_cohort: dict[str, Enrolment]) -> None:
    web.login(factories.staff(Role.COORDINATOR))
    answer = web.get("/indicators/export.csv?year=2025")
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["programme"] for r in rows} == {"respiratory_home", "low_back_pain_home"}
    done = next(r for r in rows if r["indicator"] == "programmes_done"
                and r["programme"] == "respiratory_home")
    assert (done["value"], done["target"], done["met"], done["year_of_programme"]) == (
        "3.0", "220", "False", "N")
    assert "Jeanne" not in answer.text
    data = json.loads(web.get("/indicators/export.json?year=2025&programme=low_back_pain_home")
                      .text)
    assert data["year"] == 2025 and {r["programme"] for r in data["rows"]} == {
        "low_back_pain_home"}
    assert "Jeanne" not in json.dumps(data)


@pytest.mark.parametrize(("query", "parameter"), [
    ("/indicators/?year=abc", "year"), ("/indicators/?year=1850", "year"),
    ("/indicators/?programme=knee", "programme"),
    ("/indicators/patients?indicator=nothing", "indicator"),
    ("/indicators/patients", "indicator"),
    ("/indicators/patients?indicator=programmes_done&part=all", "part"),
    ("/indicators/patients?indicator=activity_kept&key=7", "key"),
    ("/indicators/export.csv?year=99999999999999999999", "year"),
])
def test_a_bad_parameter_is_a_422_naming_it(web: WebClient, factories: Factories,
                                           query: str, parameter: str) -> None:
    web.login(factories.staff(Role.COORDINATOR))
    answer = web.get(query)
    assert answer.status_code == 422
    assert f"{parameter}:" in answer.text


@pytest.mark.parametrize("role", [Role.REFERENT, Role.PHYSICIAN, Role.ADMIN])
@pytest.mark.parametrize("path", PAGES)
def test_only_the_coordinator_opens_the_indicators(web: WebClient, factories: Factories,
                                                  role: Role, path: str) -> None:
    web.login(factories.staff(role))
    assert web.get(path).status_code == 403


def test_the_indicators_page_in_the_browser(page: Any, factories: Factories,
                                            indicator_cohort: dict[str, Enrolment]) -> None:
    browser_login(page, factories.staff(Role.COORDINATOR))
    page.get_by_role("link", name="Indicateurs").click()
    page.get_by_label("Année").select_option("2025")
    page.get_by_role("button", name="Afficher").click()
    row = page.locator("#indicator-reorientation")
    assert "25" in row.inner_text() and "non atteinte" in row.inner_text()
    screenshot(page, "indicators")
    row.get_by_role("link").first.click()
    page.wait_for_url("**/indicators/patients**")
    assert page.locator("#indicator-patients tbody tr").count() == 1
    assert "D Jeanne" in page.locator("#indicator-patients").inner_text()
