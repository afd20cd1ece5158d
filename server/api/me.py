"""The patient's tablet: /me/plan, /me/progress and the batch uploads."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from server.api.blueprint import Blueprint
from server.api.schemas.syntheses import MySynthesisOut
from server.api.schemas.tablet import (
    BatchResult,
    BookletEntryBatch,
    HealthEventBatch,
    PlanOut,
    ProgressOut,
    QuestionnaireBatch,
    SessionBatch,
)
from server.api.security import require_patient
from server.services import ingest, syntheses
from server.services.plan import patient_plan, patient_progress

blp = Blueprint("me", __name__, url_prefix="/api/v1/me",
                description="The patient's own data, for a paired tablet", security="device")
blp.before_request(require_patient)


@blp.route("/plan")
class Plan(MethodView):
    @blp.response(200, PlanOut)
    def get(self) -> dict[str, Any]:
        """Phase, programme week, this week's prescription and targets, booklet, next contacts."""
        return patient_plan(g.patient_id)


@blp.route("/progress")
class Progress(MethodView):
    @blp.response(200, ProgressOut)
    def get(self) -> dict[str, Any]:
        """Sessions per week against the target band, and trends."""
        return patient_progress(g.patient_id)


@blp.route("/syntheses")
class MySyntheses(MethodView):
    @blp.response(200, MySynthesisOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The reviews of the programme sent to the care team, with the message written for
        the patient (latest version of each, newest first)."""
        return syntheses.patient_view(g.patient_id)


def _batch_view(kind: ingest.ItemKind, schema: type, doc: str) -> type[MethodView]:
    class Batch(MethodView):
        @blp.arguments(schema)
        @blp.response(200, BatchResult)
        def post(self, data: dict[str, Any]) -> dict[str, Any]:
            return {"items": ingest.ingest(kind, g.patient_id, data["items"])}

    Batch.post.__doc__ = doc
    return Batch


_IDEMPOTENT = " Each item carries its own UUID; re-sending it stores nothing more."
for _path, _kind, _schema, _doc in (
    ("/sessions", ingest.SESSIONS, SessionBatch, "Upload ergocycle sessions with heart rate."),
    ("/booklet-entries", ingest.BOOKLET_ENTRIES, BookletEntryBatch,
     "Upload booklet exercises ticked done, partly or not done."),
    ("/health-events", ingest.HEALTH_EVENTS, HealthEventBatch,
     "Report health events (hospitalisation, exacerbation, fall...)."),
    ("/questionnaires", ingest.QUESTIONNAIRES, QuestionnaireBatch,
     "Upload questionnaire answers."),
):
    blp.add_url_rule(_path, _path.strip("/").replace("-", "_"),
                     _batch_view(_kind, _schema, _doc + _IDEMPOTENT))
