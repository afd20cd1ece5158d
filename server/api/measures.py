"""Staff endpoints for clinical measures: questionnaires, endurance tests, visits, outcomes."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from server.api.blueprint import Blueprint
from server.api.schemas.measures import (
    EnduranceTestIn,
    EnduranceTestOut,
    InstrumentOut,
    OutcomesOut,
    QuestionnaireOut,
    StaffQuestionnaireIn,
    VisitReportOut,
)
from server.api.security import current_user, require_staff
from server.services import measures, visits
from server.services.visit_report import VisitReportIn
from shared.endurance import MCID_SOURCE
from shared.instruments import CATALOGUE

blp = Blueprint("measures", __name__, url_prefix="/api/v1",
                description="Questionnaires, endurance tests, visit contents and outcomes",
                security="staff")
blp.before_request(require_staff)


@blp.route("/instruments")
class Instruments(MethodView):
    @blp.response(200, InstrumentOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every instrument with its items, scales and (installed or shipped) wording."""
        return [measures.definition(i) for i in CATALOGUE.values()]


@blp.route("/enrolments/<int:enrolment_id>/questionnaires")
class Questionnaires(MethodView):
    @blp.response(200, QuestionnaireOut(many=True))
    def get(self, enrolment_id: int) -> list[Any]:
        """The enrolment's questionnaires with the server's scores, latest first."""
        return measures.list_questionnaires(current_user(), enrolment_id)

    @blp.arguments(StaffQuestionnaireIn)
    @blp.response(201, QuestionnaireOut)
    def post(self, data: dict[str, Any], enrolment_id: int) -> Any:
        """Enter a questionnaire (at a visit or from paper); every item checked, then scored."""
        return measures.record_questionnaire(current_user(), enrolment_id, data)


@blp.route("/enrolments/<int:enrolment_id>/endurance-tests")
class EnduranceTests(MethodView):
    @blp.response(200, EnduranceTestOut(many=True))
    def get(self, enrolment_id: int) -> list[Any]:
        """The enrolment's constant-load endurance tests, latest first."""
        return measures.list_endurance_tests(current_user(), enrolment_id)

    @blp.arguments(EnduranceTestIn)
    @blp.response(201, EnduranceTestOut)
    def post(self, data: dict[str, Any], enrolment_id: int) -> Any:
        """Record an endurance test (load in watts computed from peak power and %)."""
        return measures.record_endurance_test(current_user(), enrolment_id, data)


@blp.route("/enrolments/<int:enrolment_id>/outcomes")
class Outcomes(MethodView):
    @blp.response(200, OutcomesOut)
    def get(self, enrolment_id: int) -> dict[str, Any]:
        """W0 against W12 and 12 months per domain, with change, MCID and verdict."""
        result = measures.enrolment_outcomes(current_user(), enrolment_id)
        return {**vars(result), "endurance_mcid_source": MCID_SOURCE}


@blp.route("/contacts/<int:contact_id>/visit")
class Visit(MethodView):
    @blp.arguments(VisitReportIn)
    @blp.response(201, VisitReportOut)
    def post(self, data: dict[str, Any], contact_id: int) -> Any:
        """Record a W0, W6 or W12 visit with its questionnaires and endurance test."""
        return visits.record_visit(current_user(), contact_id, data)
