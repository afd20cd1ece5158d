"""Staff endpoints: the patient's care team and the synthesis documents."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import send_file
from flask.views import MethodView

from server.api.blueprint import Blueprint
from server.api.schemas.syntheses import (
    CareTeamMemberIn,
    CareTeamMemberOut,
    DraftIn,
    RecipientOut,
    SectionsIn,
    StepIn,
    SynthesisOut,
)
from server.api.security import current_user, require_staff
from server.models import CareTeamMember, Synthesis, SynthesisRecipient
from server.services import care_team, syntheses

blp = Blueprint("syntheses", __name__, url_prefix="/api/v1",
                description="Care team and synthesis documents, for staff", security="staff")
blp.before_request(require_staff)


@blp.route("/patients/<int:patient_id>/care-team")
class CareTeam(MethodView):
    @blp.response(200, CareTeamMemberOut(many=True))
    def get(self, patient_id: int) -> list[CareTeamMember]:
        """The professionals around the patient."""
        return care_team.care_team(current_user(), patient_id)

    @blp.arguments(CareTeamMemberIn)
    @blp.response(201, CareTeamMemberOut)
    def post(self, data: dict[str, Any], patient_id: int) -> CareTeamMember:
        """Add a professional to the care team."""
        return care_team.add_member(current_user(), patient_id, data)


@blp.route("/patients/<int:patient_id>/care-team/<int:member_id>")
class CareTeamMemberDetail(MethodView):
    @blp.arguments(CareTeamMemberIn)
    @blp.response(200, CareTeamMemberOut)
    def put(self, data: dict[str, Any], patient_id: int, member_id: int) -> CareTeamMember:
        """Replace a professional's details."""
        return care_team.update_member(current_user(), patient_id, member_id, data)

    @blp.response(204)
    def delete(self, patient_id: int, member_id: int) -> None:
        """Take a professional off the care team (kept on the syntheses already sent)."""
        care_team.remove_member(current_user(), patient_id, member_id)


@blp.route("/patients/<int:patient_id>/syntheses")
class PatientSyntheses(MethodView):
    @blp.response(200, SynthesisOut(many=True))
    def get(self, patient_id: int) -> list[Synthesis]:
        """Every version of the patient's syntheses, newest first."""
        return syntheses.patient_syntheses(current_user(), patient_id).versions

    @blp.arguments(DraftIn)
    @blp.response(201, SynthesisOut)
    def post(self, data: dict[str, Any], patient_id: int) -> Synthesis:
        """Start the first draft of a synthesis of the patient's programme."""
        return syntheses.start_draft(current_user(), patient_id, data["kind"])


@blp.route("/syntheses/<int:synthesis_id>")
class SynthesisDetail(MethodView):
    @blp.response(200, SynthesisOut)
    def get(self, synthesis_id: int) -> Synthesis:
        """One version."""
        return syntheses.synthesis_page(current_user(), synthesis_id).synthesis

    @blp.arguments(SectionsIn)
    @blp.response(200, SynthesisOut)
    def put(self, data: dict[str, Any], synthesis_id: int) -> Synthesis:
        """Replace a draft's free-text sections (409 once validated: revise instead)."""
        return syntheses.edit_sections(current_user(), synthesis_id, data)


@blp.route("/syntheses/<int:synthesis_id>/steps")
class SynthesisSteps(MethodView):
    @blp.arguments(StepIn)
    @blp.response(200, SynthesisOut)
    def post(self, data: dict[str, Any], synthesis_id: int) -> Synthesis:
        """Submit, return, validate, co-sign, send or revise (a new version) a synthesis.

        Validating a final or 12-month synthesis e-mails the patient's physician that it
        awaits their co-signature. Sending renders the PDF from the validated version, then
        answers 409 ``synthesis_changed`` (nothing sent) if the version moved meanwhile.
        """
        return syntheses.step(current_user(), synthesis_id, data["action"], data["reason"])


@blp.route("/syntheses/<int:synthesis_id>/pdf")
class SynthesisPdf(MethodView):
    @blp.response(200, content_type="application/pdf")
    def get(self, synthesis_id: int) -> Any:
        """The version as PDF (a draft's preview is marked so)."""
        filename, content = syntheses.synthesis_pdf(current_user(), synthesis_id)
        return send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True,
                         download_name=filename)


@blp.route("/syntheses/<int:synthesis_id>/recipients")
class SynthesisRecipients(MethodView):
    @blp.response(200, RecipientOut(many=True))
    def get(self, synthesis_id: int) -> list[SynthesisRecipient]:
        """Where the sent version went (empty before it is sent)."""
        return syntheses.synthesis_page(current_user(), synthesis_id).recipients


@blp.route("/syntheses/<int:synthesis_id>/recipients/<int:recipient_id>/posted")
class RecipientPosted(MethodView):
    @blp.response(200, RecipientOut)
    def post(self, synthesis_id: int, recipient_id: int) -> SynthesisRecipient:
        """The coordinator posted the letter to this professional."""
        return syntheses.mark_posted(current_user(), synthesis_id, recipient_id)
