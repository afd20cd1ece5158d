"""POST /auth/login (staff), /auth/logout, /auth/pair (patient tablet)."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.views import MethodView

from server.api.blueprint import Blueprint
from server.api.schemas.staff import LoginIn, PairIn, PairOut, TokenOut
from server.api.security import require_staff
from server.clock import utcnow
from server.i18n import gettext as _
from server.services import auth, totp
from server.services.errors import Unauthorized

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Authentication")


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginIn)
    @blp.response(200, TokenOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange staff credentials (and the TOTP code when enrolled) for a bearer token."""
        address = request.remote_addr
        step = totp.password_step(data["email"], data["password"], address, label="api")
        issued = step.token
        if issued is None:
            if not data.get("totp"):
                raise Unauthorized(_("This account needs the code of its authenticator app."),
                                   "totp_required")
            issued = totp.totp_step(step.user_id, data["totp"], address, label="api")
        return {"token": issued.raw, "expires_at": issued.record.expires_at,
                "user": issued.record.user}


@blp.route("/logout")
class Logout(MethodView):
    @blp.doc(security=[{"staff": []}])
    @blp.response(204)
    def post(self) -> None:
        """Revoke the staff token used for this request."""
        require_staff()
        auth.revoke(g.token)


@blp.route("/pair")
class Pair(MethodView):
    @blp.arguments(PairIn)
    @blp.response(201, PairOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange a one-time pairing code for the tablet's device token."""
        issued, enrolment = auth.pair_device(data["code"], data["device_label"],
                                             request.remote_addr)
        return {"token": issued.raw, "patient_id": enrolment.patient_id,
                "first_name": enrolment.patient.first_name,
                "programme_code": enrolment.programme_code, "server_time": utcnow()}
