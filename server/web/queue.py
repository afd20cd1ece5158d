"""The referent's home page: today's and overdue contacts, then open flags."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from server.services.queue import work_queue
from server.web.session import current_user, roles_required
from shared.enums import Phase, Role

bp = Blueprint("queue", __name__, url_prefix="/queue")
PHASES = (Phase.INTERVENTION, Phase.FOLLOW_UP)


@bp.route("/")
@roles_required(Role.REFERENT, Role.COORDINATOR)
def index() -> str:
    """The work queue, optionally for one programme phase."""
    phase = request.args.get("phase") or None
    chosen = Phase(phase) if phase in {p.value for p in PHASES} else None
    return render_template("web/queue/index.html", queue=work_queue(current_user(), chosen),
                           phase=chosen, phases=PHASES)
