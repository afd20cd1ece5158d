"""Staff work endpoints: the queue, flags and their actions, recording contacts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from server.api.blueprint import Blueprint
from server.api.schemas.contacts import (
    FlagDecisionIn,
    FlagNoteIn,
    FlagOut,
    QueueArgs,
    QueueOut,
    StaffContactOut,
)
from server.api.security import current_user, require_staff
from server.models import ScheduledContact
from server.models.flags import Flag
from server.services import calls, flags
from server.services.call_outcome import ContactRecordIn
from server.services.flag_text import describe, kind_label
from server.services.queue import work_queue

blp = Blueprint("work", __name__, url_prefix="/api/v1",
                description="The referent's queue, flags and call recording", security="staff")
blp.before_request(require_staff)


def flag_out(flag: Flag) -> dict[str, Any]:
    """A flag with its label, its one-line evidence and its history."""
    return {**{c: getattr(flag, c) for c in (
        "id", "patient_id", "enrolment_id", "kind", "severity", "status", "evidence",
        "opened_at", "updated_at", "closed_at", "owner_id", "escalated_to_id", "decision",
        "close_reason")},
        "label": kind_label(flag.kind), "summary": describe(flag.kind, flag.evidence),
        "events": flags.flag_history(flag)}


@blp.route("/queue")
class WorkQueue(MethodView):
    @blp.arguments(QueueArgs, location="query")
    @blp.response(200, QueueOut)
    def get(self, args: dict[str, Any]) -> Any:
        """Today's and overdue contacts, then open flags by severity then age."""
        return work_queue(current_user(), args.get("phase"), args["limit"])


@blp.route("/patients/<int:patient_id>/flags")
class PatientFlags(MethodView):
    @blp.response(200, FlagOut(many=True))
    def get(self, patient_id: int) -> list[dict[str, Any]]:
        """A patient's flags, open ones first, each with its history."""
        return [flag_out(f) for f in flags.patient_flags(current_user(), patient_id)]


def _note_action(name: str, action: Any, doc: str) -> None:
    """Route POST /flags/<id>/<name> to a flag action that takes an optional note."""
    def post(self: MethodView, data: dict[str, Any], flag_id: int) -> dict[str, Any]:
        return flag_out(action(current_user(), flag_id, data.get("note")))

    post.__doc__ = doc  # before decorating: the OpenAPI summary is read from it
    view = type(f"Flag{name.title()}", (MethodView,),
                {"post": blp.arguments(FlagNoteIn)(blp.response(200, FlagOut)(post))})
    blp.route(f"/flags/<int:flag_id>/{name}", endpoint=f"flag_{name}")(view)


_note_action("acknowledge", flags.acknowledge, "Take the flag in hand.")
_note_action("resolve", flags.resolve, "Close the flag, with a note saying why.")
_note_action("escalate", flags.escalate, "Send the flag to the patient's physician.")
_note_action("committee", flags.send_to_committee, "Put the flag on the committee's agenda.")


@blp.route("/flags/<int:flag_id>/decide")
class FlagDecide(MethodView):
    @blp.arguments(FlagDecisionIn)
    @blp.response(200, FlagOut)
    def post(self, data: dict[str, Any], flag_id: int) -> dict[str, Any]:
        """The physician's decision: continue, suspend, interrupt, reinforce or reorient."""
        flag = flags.decide(current_user(), flag_id, data["decision"], data.get("note"),
                            data.get("visit_day"), data.get("review_on"))
        return flag_out(flag)


@blp.route("/contacts/<int:contact_id>/record")
class RecordContact(MethodView):
    @blp.arguments(ContactRecordIn)
    @blp.response(200, StaffContactOut)
    def post(self, data: dict[str, Any], contact_id: int) -> ScheduledContact:
        """Record a call or visit: reached or not, and what was said and decided."""
        return calls.record_contact(current_user(), contact_id, data)
