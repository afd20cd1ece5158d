"""The patient's in-app messages: the tablet pulls them and marks them read."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from server.api.blueprint import Blueprint
from server.api.schemas.notifications import NotificationOut, NotificationPage, NotificationQuery
from server.api.security import require_patient
from server.models import Notification
from server.services import notifications

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/me",
                description="In-app messages for a paired tablet", security="device")
blp.before_request(require_patient)


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationQuery, location="query")
    @blp.response(200, NotificationPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The patient's messages, newest first, with the number still unread."""
        return notifications.list_in_app(g.patient_id, **args)


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    @blp.response(200, NotificationOut)
    def post(self, notification_id: int) -> Notification:
        """Mark one of the patient's messages read; marking it again changes nothing."""
        return notifications.mark_read(g.patient_id, notification_id)
