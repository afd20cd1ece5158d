"""Error bodies in French first (English on request) and the OpenAPI document."""

from shared.enums import Role


def test_validation_errors_are_in_french_by_default_and_english_on_request(client, factories,
                                                                           auth):
    headers = auth.staff(factories.user(Role.COORDINATOR))
    french = client.post("/api/v1/patients", json={"first_name": "A"}, headers=headers)
    body = french.get_json()
    assert french.status_code == 422
    assert body["errors"]["json"]["last_name"] == ["Champ obligatoire manquant."]
    assert body["message"].startswith("Requête invalide : ")
    english_user = auth.staff(factories.user(Role.COORDINATOR, locale="en"))
    english = client.post("/api/v1/patients", json={"first_name": "A"}, headers=english_user)
    assert english.get_json()["errors"]["json"]["last_name"] == [
        "Missing data for required field."]
    # Without an account (the tablet pairing), the browser's language decides.
    anonymous = client.post("/api/v1/auth/pair", json={"code": "AB"},
                            headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert anonymous.get_json()["errors"]["json"]["code"] == [
        "Length must be between 4 and 20."]


def test_range_message_names_the_bounds_and_unit(client, factories, auth, clock):
    patient = factories.active_patient(factories.user(Role.REFERENT))
    item = {"id": "5b0f4f3e-5e7a-4a57-9b1f-0d0a7d1f0c11", "duration_s": 600,
            "started_at": clock.now().isoformat(), "hr_max": 300}
    response = client.post("/api/v1/me/sessions", json={"items": [item]},
                           headers=auth.device(patient))
    assert response.get_json()["errors"]["json"]["items"]["0"]["hr_max"] == [
        "Doit être compris entre 25 et 250 bpm."]


def test_every_error_has_the_same_shape(client):
    for response in (client.get("/api/v1/nowhere"), client.get("/api/v1/me/plan"),
                     client.post("/api/v1/auth/pair", json={"code": "ZZZZ-ZZZZ"})):
        body = response.get_json()
        assert set(body) >= {"code", "status", "message"}
        assert body["status"] == response.status_code and body["message"]


def test_openapi_document_lists_every_endpoint_with_bearer_auth(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["info"]["title"] == "Reprise API"
    schemes = spec["components"]["securitySchemes"]
    assert schemes["staff"]["scheme"] == schemes["device"]["scheme"] == "bearer"
    operations = spec["paths"]
    assert operations["/api/v1/auth/login"]["post"]["security"] == []
    assert operations["/api/v1/auth/logout"]["post"]["security"] == [{"staff": []}]
    assert operations["/api/v1/patients"]["get"]["security"] == [{"staff": []}]
    assert operations["/api/v1/me/sessions"]["post"]["security"] == [{"device": []}]
    # The error body as really sent: a code word and an integer status.
    error = spec["components"]["schemas"]["ErrorOut"]["properties"]
    assert error["code"]["type"] == "string" and error["status"]["type"] == "integer"
    for path in ("/api/v1/auth/login", "/api/v1/auth/pair", "/api/v1/patients",
                 "/api/v1/enrolments/{enrolment_id}/transitions",
                 "/api/v1/enrolments/{enrolment_id}/pairing-code", "/api/v1/me/plan",
                 "/api/v1/me/progress", "/api/v1/me/sessions", "/api/v1/me/booklet-entries",
                 "/api/v1/me/health-events", "/api/v1/me/questionnaires"):
        assert path in spec["paths"], path
    session = spec["components"]["schemas"]["SessionIn"]
    assert {"id", "started_at", "duration_s", "hr_samples"} <= set(session["properties"])


def test_json_answers_are_not_cached_nor_sniffed(client, factories, auth):
    headers = auth.staff(factories.user(Role.COORDINATOR))
    for response in (client.get("/api/v1/patients", headers=headers),
                     client.get("/api/v1/patients"), client.get("/api/v1/openapi.json")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
