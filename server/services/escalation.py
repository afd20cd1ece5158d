"""Telling the physician at once that a flag was escalated to them."""

from __future__ import annotations

from collections import defaultdict

from flask import current_app
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
    """One e-mail per escalated flag to its physician (never twice for one escalation).

    On ordinary SMTP it says only that an alert (number, severity, link) awaits;
    the patient and the finding appear only when SMTP_SECURE_HEALTH_MESSAGING is on.
    """
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
    # Ordinary e-mail is no place for health data: unless the mail server is declared a
    # secure health messaging service, the message names no patient and no finding.
    secure = current_app.config["SMTP_SECURE_HEALTH_MESSAGING"]
    base_url = current_app.config["PUBLIC_URL"]
    # One locale switch per language, not per flag: a sweep may escalate thousands at once.
    for locale, group in by_locale.items():
        with force_locale(locale):
            for flag in group:
                physician = physicians[flag.escalated_to_id]
                if secure:
                    subject = _("Reprise: %(kind)s for %(patient)s", kind=kind_label(flag.kind),
                                patient=patients[flag.patient_id].display_name)
                    lines = [describe(flag.kind, flag.evidence)]
                else:
                    subject = _("Reprise: alert %(id)d awaits your decision", id=flag.id)
                    lines = [_("Alert %(id)d, severity %(severity)d of 4, was escalated to "
                               "you.", id=flag.id, severity=flag.severity)]
                lines.append(_("Your decision is awaited in Reprise (flag %(id)d).", id=flag.id))
                if base_url:
                    lines.append(f"{base_url}/physician/flags/{flag.id}")
                messages.append(NewMessage(
                    channel=NotificationChannel.EMAIL, kind="escalation", subject=subject,
                    body="\n\n".join(lines), user_id=physician.id,
                    dedupe_key=f"escalation:{flag.id}:{flag.updated_at:%Y%m%d%H%M}"))
    return enqueue_many(messages)
