"""The indicators for the external evaluator through the API: coordinator only, aggregates
only, the documented shape, and one error shape for bad parameters."""

from __future__ import annotations

import csv
import io

import pytest

from server.services.indicators import EXPORT_COLUMNS
from shared.enums import Role


def test_the_coordinator_gets_the_year_as_rows(client, factories, auth, indicator_cohort):
    headers = auth.staff(factories.staff(Role.COORDINATOR))
    body = client.get("/api/v1/indicators?year=2025&programme=respiratory_home",
                      headers=headers).get_json()
    assert body["year"] == 2025
    assert all(set(row) == set(EXPORT_COLUMNS) for row in body["rows"])
    figures = {r["indicator"]: r for r in body["rows"] if r["part"] is None}
    # Hand counts in tests/server/test_indicators.py.
    assert (figures["follow_up_validation"]["numerator"],
            figures["follow_up_validation"]["denominator"],
            figures["follow_up_validation"]["met"]) == (2, 3, True)
    assert (figures["hospital_days"]["days_before"], figures["hospital_days"]["days_after"],
            figures["hospital_days"]["value"]) == (10, 3, 70.0)
    assert figures["endurance"]["target"] == 75
    quarters = [(r["part"], r["numerator"], r["denominator"]) for r in body["rows"]
                if r["indicator"] == "activity_kept" and r["part"]]
    assert quarters == [("1", 1, 2), ("2", 1, 2), ("3", 0, 3), ("4", 0, 2)]


def test_the_csv_holds_the_same_rows_and_no_patient(client, factories, auth, indicator_cohort):
    headers = auth.staff(factories.staff(Role.COORDINATOR))
    answer = client.get("/api/v1/indicators.csv?year=2025", headers=headers)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    as_json = client.get("/api/v1/indicators?year=2025", headers=headers).get_json()["rows"]
    assert len(rows) == len(as_json)
    assert "Jeanne" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.REFERENT, Role.PHYSICIAN, Role.ADMIN])
@pytest.mark.parametrize("path", ["/api/v1/indicators", "/api/v1/indicators.csv"])
def test_other_roles_are_refused(client, factories, auth, role, path):
    answer = client.get(path, headers=auth.staff(factories.staff(role)))
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "forbidden"


def test_a_device_token_or_none_is_refused(client, factories, auth):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    assert client.get("/api/v1/indicators", headers=auth.device(patient)).status_code == 401
    assert client.get("/api/v1/indicators.csv").status_code == 401


@pytest.mark.parametrize(("query", "parameter"), [
    ("year=abc", "year"), ("year=1999", "year"), ("year=2101", "year"),
    ("year=99999999999999999999999", "year"), ("programme=knee", "programme"),
    ("programme=", "programme"),
])
@pytest.mark.parametrize("path", ["/api/v1/indicators", "/api/v1/indicators.csv"])
def test_a_bad_parameter_is_a_422_naming_it(client, factories, auth, path, query, parameter):
    answer = client.get(f"{path}?{query}", headers=auth.staff(factories.staff(Role.COORDINATOR)))
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["status"] == 422 and parameter in body["errors"]["query"]
    assert parameter in body["message"]


def test_the_operations_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "text/csv" in paths["/api/v1/indicators.csv"]["get"]["responses"]["200"]["content"]
    assert {p["name"] for p in paths["/api/v1/indicators"]["get"]["parameters"]} == {
        "year", "programme"}
