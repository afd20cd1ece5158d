"""Telling the physician at once that a flag was escalated to them."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from server.extensions import db
from server.models import Patient, User
from server.models.flags import Flag
from server.models.notifications import NotificationChannel
from server.services.flag_text import describe, kind_label
from server.services.notifications import NewMessage, enqueue_many


def notify_escalations(flags: list[Flag]) -> int:
    """One e-mail per escalated flag to its physician (never twice for one escalation)."""
    flags = [f for f in flags if f.escalated_to_id is not None]
    if not flags:
        return 0
    physicians = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({f.escalated_to_id for f in flags})))}
    patients = {p.id: p for p in db.session.scalars(
        select(Patient).where(Patient.id.in_({f.patient_id for f in flags})))}
    messages = []
    by_locale: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags:
        by_locale[physicians[flag.escalated_to_id].locale].append(flag)
    # One locale switch per language, not per flag: a sweep may escalate thousands at once.
    for locale, group in by_locale.items():
        with force_locale(locale):
            for flag in group:
                physician = physicians[flag.escalated_to_id]
                subject = _("Reprise: %(kind)s for %(patient)s", kind=kind_label(flag.kind),
                            patient=patients[flag.patient_id].display_name)
                body = "\n\n".join([
                    describe(flag.kind, flag.evidence),
                    _("Your decision is awaited in Reprise (flag %(id)d).", id=flag.id)])
                messages.append(NewMessage(
                    channel=NotificationChannel.EMAIL, kind="escalation", subject=subject,
                    body=body, user_id=physician.id,
                    dedupe_key=f"escalation:{flag.id}:{flag.updated_at:%Y%m%d%H%M}"))
    return enqueue_many(messages)
