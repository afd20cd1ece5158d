"""Telling the physician at once that something awaits them: a flag escalated to them, a
synthesis to co-sign. One e-mail path for both (:func:`_physician_email`).

Ordinary e-mail is no place for health data (PROGRAMME.md, product decisions): unless the
mail server is declared a secure health messaging service (SMTP_SECURE_HEALTH_MESSAGING),
a message names no patient and no finding, only what awaits and where, with a link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import null, select

from server.extensions import db
from server.i18n import gettext as _
from server.models import Patient, Synthesis, User
from server.models.flags import Flag
from server.models.notifications import NotificationChannel
from server.services.flag_text import describe, kind_label
from server.services.notifications import NewMessage, enqueue_many
from server.services.synthesis_text import KIND_LABELS
from shared.rules import FlagKind


def _secure() -> bool:
    """Whether the mail server is declared a secure health messaging service."""
    return bool(current_app.config["SMTP_SECURE_HEALTH_MESSAGING"])


def _physician_email(physician: User, kind: str, dedupe_key: str, subject: str,
                     lines: list[str], path: str) -> NewMessage:
    """An e-mail to ``physician`` (in the outbox's shape): ``lines``, then the link to the
    page at ``path`` when the server knows its public address. The caller words it in the
    physician's locale and, off a secure service, without any health detail."""
    base_url = current_app.config["PUBLIC_URL"]
    if base_url:
        lines = [*lines, f"{base_url}{path}"]
    return NewMessage(channel=NotificationChannel.EMAIL, kind=kind, subject=subject,
                      body="\n\n".join(lines), user_id=physician.id, dedupe_key=dedupe_key)


class Escalated(Protocol):
    """An escalated flag as its e-mail needs it (a ``Flag``, or a row of :func:`escalated`)."""

    @property
    def id(self) -> int: ...  # noqa: D102 - the fields of a flag
    @property
    def patient_id(self) -> int: ...  # noqa: D102
    @property
    def kind(self) -> FlagKind: ...  # noqa: D102
    @property
    def severity(self) -> int: ...  # noqa: D102
    @property
    def evidence(self) -> dict[str, Any] | None: ...  # noqa: D102
    @property
    def escalated_to_id(self) -> int | None: ...  # noqa: D102
    @property
    def updated_at(self) -> datetime: ...  # noqa: D102


def escalated(flag_ids: list[int]) -> list[Escalated]:
    """The flags ``flag_ids`` as their e-mails need them: the evidence is read only when the
    e-mail may say it (a sweep escalates thousands of flags at once)."""
    evidence = Flag.evidence if _secure() else null().label("evidence")
    return list(db.session.execute(
        select(Flag.id, Flag.patient_id, Flag.kind, Flag.severity, evidence,
               Flag.escalated_to_id, Flag.updated_at).where(Flag.id.in_(flag_ids))))


def notify_escalations(flags: Sequence[Escalated]) -> int:
    """One e-mail per escalated flag to its physician (never twice for one escalation).

    On ordinary SMTP it says only that an alert (number, severity, link) awaits;
    the patient and the finding appear only when SMTP_SECURE_HEALTH_MESSAGING is on.
    """
    flags = [f for f in flags if f.escalated_to_id is not None]
    if not flags:
        return 0
    physicians = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({f.escalated_to_id for f in flags})))}
    by_locale: dict[str, list[Escalated]] = defaultdict(list)
    for flag in flags:
        by_locale[physicians[flag.escalated_to_id].locale].append(flag)
    secure = _secure()
    patients = {p.id: p.display_name for p in db.session.scalars(
        select(Patient).where(Patient.id.in_({f.patient_id for f in flags})))} if secure else {}
    messages = []
    # One locale switch and one look-up of each sentence per language, not per flag: a
    # sweep may escalate thousands at once. The sentences are formatted below.
    for locale, group in by_locale.items():
        with force_locale(locale):
            if secure:
                subject = _("Reprise: %(kind)s for %(patient)s")
            else:
                subject = _("Reprise: alert %(id)d awaits your decision")
                escalated_line = _("Alert %(id)d, severity %(severity)d of 4, was escalated "
                                   "to you.")
            awaited = _("Your decision is awaited in Reprise (flag %(id)d).")
            for flag in group:
                if secure:
                    title = subject % {"kind": kind_label(flag.kind),
                                       "patient": patients[flag.patient_id]}
                    lines = [describe(flag.kind, flag.evidence or {})]
                else:
                    title = subject % {"id": flag.id}
                    lines = [escalated_line % {"id": flag.id, "severity": flag.severity}]
                lines.append(awaited % {"id": flag.id})
                messages.append(_physician_email(
                    physicians[flag.escalated_to_id], "escalation",
                    f"escalation:{flag.id}:{flag.updated_at:%Y%m%d%H%M}", title, lines,
                    f"/physician/flags/{flag.id}"))
    return enqueue_many(messages)


def notify_cosign(synthesis: Synthesis, patient: Patient) -> int:
    """E-mail the patient's physician that a validated synthesis awaits their co-signature
    (once per version); 0 when the patient has no physician.

    On ordinary SMTP it says only that a document (its number, a link) awaits their
    co-signature; the kind of synthesis and the patient appear only on a secure service.
    """
    physician = db.session.get(User, patient.physician_id) if patient.physician_id else None
    if physician is None:
        return 0
    with force_locale(physician.locale or "fr"):
        if _secure():
            kind = str(KIND_LABELS[synthesis.kind.value])
            subject = _("Reprise: %(kind)s of %(patient)s to co-sign", kind=kind.lower(),
                        patient=patient.display_name)
        else:
            subject = _("Reprise: document %(id)d awaits your co-signature", id=synthesis.id)
        lines = [_("Document %(id)d awaits your co-signature in Reprise.", id=synthesis.id)]
        message = _physician_email(physician, "cosign", f"cosign:{synthesis.id}",
                                   subject[:200], lines, f"/syntheses/{synthesis.id}")
    return enqueue_many([message])
