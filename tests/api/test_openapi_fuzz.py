"""schemathesis over /api/v1/openapi.json: no server error, every answer as documented.

Each operation gets a bounded number of generated requests (valid and invalid)
with the token its security scheme names: a coordinator's staff token or a
paired tablet's device token.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.enums import Role

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Per operation: about 30 operations x 6 examples keeps the test well under a minute here.
EXAMPLES = 6


def test_every_operation_answers_as_documented_without_server_errors(app, client, factories,
                                                                       auth):
    referent = factories.user(Role.REFERENT)
    patient = factories.active_patient(referent)
    tokens = {"staff": auth.staff(factories.staff(Role.COORDINATOR)),
              "device": auth.device(patient)}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures: list[str] = []
    statuses: list[int] = []

    for operation in operations:
        _fuzz(app, operation, lambda scheme, is_logout: (
            # Log-out revokes the token it is called with: it gets one of its own.
            auth.staff(factories.staff(Role.COORDINATOR)) if is_logout
            else tokens.get(scheme) or {}), failures, statuses)

    assert not failures, "\n".join(failures[:20])
    assert len(statuses) >= 2 * len(operations)
    assert {200, 401, 404, 422} <= set(statuses), sorted(set(statuses))


def _fuzz(app, operation, headers_for, failures: list[str], statuses: list[int]) -> None:
    """Send EXAMPLES generated requests to one operation, collecting the failed checks."""
    security = operation.definition.raw.get("security") or []
    scheme = next(iter(security[0]), None) if security else None
    is_logout = operation.path.endswith("/auth/logout")

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case) -> None:
        with app.app_context():
            response = case.call(headers=headers_for(scheme, is_logout))
        statuses.append(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 (collected, reported together)
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            f"{type(exc).__name__}: {str(exc)[:400]}")

    run()
