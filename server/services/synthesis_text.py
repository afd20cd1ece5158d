"""Words for the care team and the syntheses, shared by the pages and the PDF documents."""

from __future__ import annotations

from typing import Any

# Lazy, and named _ so that extraction with the default keywords finds the strings.
from server.i18n import lazy_gettext as _

ROLE_LABELS: dict[str, Any] = {
    "general_practitioner": _("General practitioner"), "pneumologist": _("Pneumologist"),
    "rheumatologist": _("Rheumatologist"), "prescriber": _("Prescribing physician"),
    "physiotherapist": _("Physiotherapist"), "nurse": _("Nurse"),
    "dietitian": _("Dietitian"), "psychologist": _("Psychologist"),
    "tobacco_specialist": _("Tobacco specialist"), "other": _("Other professional"),
}

KIND_LABELS: dict[str, Any] = {
    "initial": _("Initial synthesis"), "mid_term": _("Mid-term synthesis"),
    "final": _("Final synthesis"), "month_12": _("12-month synthesis"),
}

STATE_LABELS: dict[str, Any] = {
    "draft": _("Draft"), "submitted": _("Submitted for validation"),
    "validated": _("Validated by the coordinator"),
    "cosigned": _("Co-signed by the physician"), "sent": _("Sent"),
    "superseded": _("Replaced by a later version"),
}

ACTION_LABELS: dict[str, Any] = {
    "submit": _("Submit for validation"), "return": _("Return to the referent"),
    "validate": _("Validate"), "cosign": _("Co-sign"), "send": _("Send"),
    "revise": _("Start a new version"),
}

# The free-text sections the referent writes, in the document's order.
SECTION_LABELS: dict[str, Any] = {
    "summary": _("Summary of the period"),
    "objectives": _("Shared objectives and educational review"),
    "next_steps": _("Next steps and recommendations"),
    "patient_message": _("Message for the patient"),
}

VERDICT_LABELS: dict[str, Any] = {
    "improved": _("significant improvement"), "unchanged": _("no significant change"),
    "worse": _("significant worsening"), "no_threshold": _("change shown alone"),
    "not_measured": _("not measured"),
}

# The contacts a synthesis lists as next steps.
CONTACT_LABELS: dict[str, Any] = {
    "inclusion_visit": _("Inclusion visit"), "weekly_call": _("Weekly call"),
    "home_visit": _("Home visit"), "closing_visit": _("Closing visit"),
    "specialist_consultation": _("Specialist consultation"),
    "follow_up_call": _("Follow-up call"), "follow_up_consultation": _("Follow-up consultation"),
    "reinforcement_visit": _("Reinforcement visit"), "micro_project_call": _("Micro-project call"),
    "synthesis": _("Synthesis"),
}

MODALITY_LABELS: dict[str, Any] = {
    "continuous": _("continuous"), "intermittent": _("intermittent"), "interval": _("interval"),
}
