"""Words the pages show for the domain's codes (enums stay English in the database)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

# Lazy, and named _ so that extraction with the default keywords finds the strings.
from server.i18n import lazy_gettext as _
from server.services.flag_text import DECISION_LABELS, EVENT_LABELS, KIND_LABELS, STATUS_LABELS
from server.services.synthesis_text import (
    ACTION_LABELS,
    MODALITY_LABELS,
    SECTION_LABELS,
)
from server.services.synthesis_text import KIND_LABELS as SYNTHESIS_KIND_LABELS
from server.services.synthesis_text import ROLE_LABELS as CARE_ROLE_LABELS
from server.services.synthesis_text import STATE_LABELS as SYNTHESIS_STATE_LABELS
from server.services.users import ROLE_LABELS

LABELS: dict[str, dict[str, Any]] = {
    "state": {
        "requested": _("Requested"), "dossier_complete": _("Dossier complete"),
        "validated": _("Validated"), "active": _("Intervention"),
        "follow_up": _("Follow-up"), "completed": _("Completed"),
        "declined": _("Declined"), "interrupted": _("Interrupted"),
        "reoriented": _("Reoriented"), "suspended": _("Suspended"),
    },
    "phase": {
        "before_start": _("Before start"), "intervention": _("Intervention"),
        "follow_up": _("Follow-up"), "ended": _("Ended"),
    },
    "contact": {
        "inclusion_visit": _("Inclusion visit"), "weekly_call": _("Weekly call"),
        "home_visit": _("Home visit"), "closing_visit": _("Closing visit"),
        "specialist_consultation": _("Specialist consultation"),
        "follow_up_call": _("Follow-up call"),
        "follow_up_consultation": _("Follow-up consultation"),
        "reinforcement_visit": _("Reinforcement visit"),
        "micro_project_call": _("Micro-project call"), "synthesis": _("Synthesis"),
    },
    "contact_state": {
        "done": _("done"), "missed": _("missed"), "cancelled": _("cancelled"),
        "suspended": _("suspended"),
        "upcoming": _("upcoming"), "due": _("due"), "overdue": _("overdue"),
    },
    "flag": KIND_LABELS,
    "flag_status": STATUS_LABELS,
    "flag_action": {
        "opened": _("opened"), "updated": _("updated"), "acknowledge": _("acknowledged"),
        "escalate": _("escalated"), "escalated": _("escalated"),
        "committee": _("sent to the committee"), "resolve": _("resolved"),
        "decide": _("decided"), "cleared": _("cleared by itself"),
    },
    "decision": DECISION_LABELS,
    "role": ROLE_LABELS,
    "modality": MODALITY_LABELS,
    "care_role": CARE_ROLE_LABELS,
    "synthesis_kind": SYNTHESIS_KIND_LABELS,
    "synthesis_state": SYNTHESIS_STATE_LABELS,
    "synthesis_action": ACTION_LABELS,
    "synthesis_section": SECTION_LABELS,
    "event": EVENT_LABELS,
    "warning_sign": {
        "fever": _("Fever"), "cancer_history": _("History of cancer"), "trauma": _("Trauma"),
        "neurological": _("Neurological signs"),
        "saddle_anaesthesia": _("Saddle anaesthesia (cauda equina)"),
        "walking_difficulty": _("Walking difficulty"),
        "general_decline": _("Declining general health"),
    },
    "adherence": {
        "good": _("good"), "partial": _("partial"), "poor": _("poor"),
        "no_treatment": _("no treatment"),
    },
    "referral": {
        "pneumologist": _("Pneumologist"), "general_practitioner": _("General practitioner"),
        "ssr_stay": _("SSR stay"), "rheumatologist": _("Rheumatologist"),
        "occupational_physician": _("Occupational physician"), "other": _("Other"),
    },
    "sex": {"F": _("Female"), "M": _("Male"), "X": _("Unspecified")},
    "dossier": {
        "prescription": _("Prescription and referral form (fiche navette)"),
        "spirometry": _("Spirometry (EFR)"), "blood_gas": _("Blood gas (gazométrie)"),
        "exercise_test": _("Exercise test"),
        "orientation_scales": _("Orientation scales (Dallas, STarT Back, Oswestry)"),
        "stay_report": _("Functional restoration stay report"),
        "warning_signs_screening": _("Warning signs screened by the physician"),
    },
    "work_status": {
        "working": _("Working"), "therapeutic_part_time": _("Therapeutic part-time"),
        "sick_leave": _("Sick leave"), "job_seeking": _("Seeking work"),
        "retired": _("Retired"), "not_applicable": _("Not applicable"),
    },
    "document": {
        "referral": _("Referral form (fiche navette)"), "spirometry": _("Spirometry (EFR)"),
        "blood_gas": _("Blood gas (gazométrie)"), "exercise_test": _("Exercise test"),
        "consent": _("Consent"), "synthesis": _("Synthesis"), "letter": _("Letter"),
        "other": _("Other"),
    },
}


def label(value: Any, group: str) -> str | Markup:
    """The shown word for an enum value (its code when no label exists)."""
    key = getattr(value, "value", value)
    found = LABELS.get(group, {}).get(key)
    return str(found) if found is not None else str(key)


OUTCOME_FIELDS = {
    "sessions_done": _("Sessions done"), "difficulties": _("Difficulties"),
    "benefits": _("Benefits"), "next_prescription": _("Next week"),
    "health_events": _("Health events"), "medication_adherence": _("Medication"),
    "sessions_per_week": _("Sessions a week"),
    "project_sessions_per_week": _("Project (sessions a week)"),
    "activity_kept": _("Activity kept"), "encouragement": _("Encouragement"),
    "satisfaction_eva": _("Satisfaction (0-10)"), "work_status": _("Work"),
    "hospital_days": _("Days in hospital"),
}


# Outcome fields stored as codes, with the label group that words them.
CODED_FIELDS = {"medication_adherence": "adherence", "work_status": "work_status"}


def _outcome_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if key == "next_prescription" and isinstance(value, dict):
        parts = [str(_("%(n)s min", n=value.get("session_minutes")))]
        if value.get("watts"):
            parts.append(f"{value['watts']} W")
        parts.append(label(value.get("modality"), "modality"))
        if value.get("work_s") and value.get("rest_s"):
            parts.append(f"{value['work_s']}/{value['rest_s']} s")
        return ", ".join(parts)
    if key in CODED_FIELDS:
        return label(value, CODED_FIELDS[key])
    if key == "health_events" and isinstance(value, list):
        return ", ".join(f"{label(e.get('kind'), 'event')} ({e.get('occurred_on')})"
                         for e in value) or str(_("none"))
    return str(value)


def outcome_lines(outcome: dict[str, Any]) -> list[tuple[str, str]]:
    """A recorded call's outcome as (label, value) lines, in a fixed order."""
    return [(str(name), _outcome_value(key, outcome[key]))
            for key, name in OUTCOME_FIELDS.items()
            if outcome.get(key) not in (None, "", [])]
