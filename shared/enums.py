"""Enumerations of the domain, stored as their string values."""

from enum import StrEnum


class Role(StrEnum):
    """What a user account is allowed to do."""

    PATIENT = "patient"
    REFERENT = "referent"
    COORDINATOR = "coordinator"
    PHYSICIAN = "physician"
    ADMIN = "admin"


class Sex(StrEnum):
    """Sex on the patient's record; X when the referral states neither. No rule depends on it."""

    FEMALE = "F"
    MALE = "M"
    UNSPECIFIED = "X"


class ReferralSource(StrEnum):
    """Who referred the patient to the programme (the respiratory and low back pain
    programmes' referrers together)."""

    PNEUMOLOGIST = "pneumologist"
    GENERAL_PRACTITIONER = "general_practitioner"
    SSR_STAY = "ssr_stay"
    RHEUMATOLOGIST = "rheumatologist"
    OCCUPATIONAL_PHYSICIAN = "occupational_physician"
    OTHER = "other"


class EnrolmentState(StrEnum):
    """Stages of a patient's enrolment in a programme."""

    REQUESTED = "requested"
    DOSSIER_COMPLETE = "dossier_complete"
    VALIDATED = "validated"
    ACTIVE = "active"
    FOLLOW_UP = "follow_up"
    # Decided by the physician, with a reason and a review date; resuming returns to the
    # phase the calendar is in.
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    DECLINED = "declined"
    INTERRUPTED = "interrupted"
    REORIENTED = "reoriented"


class Phase(StrEnum):
    """Where a patient stands in the programme on a given day."""

    BEFORE_START = "before_start"
    INTERVENTION = "intervention"
    FOLLOW_UP = "follow_up"
    ENDED = "ended"


class ContactKind(StrEnum):
    """Kinds of scheduled contact on a patient's timeline."""

    INCLUSION_VISIT = "inclusion_visit"
    WEEKLY_CALL = "weekly_call"
    HOME_VISIT = "home_visit"
    CLOSING_VISIT = "closing_visit"
    SPECIALIST_CONSULTATION = "specialist_consultation"
    FOLLOW_UP_CALL = "follow_up_call"
    FOLLOW_UP_CONSULTATION = "follow_up_consultation"
    REINFORCEMENT_VISIT = "reinforcement_visit"
    MICRO_PROJECT_CALL = "micro_project_call"
    SYNTHESIS = "synthesis"


class ContactStatus(StrEnum):
    """Life of a scheduled contact."""

    PLANNED = "planned"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"
    # Due while the enrolment was suspended: neither done nor missed.
    SUSPENDED = "suspended"


class Channel(StrEnum):
    """How a contact takes place (phone and video are counted apart)."""

    PHONE = "phone"
    VIDEO = "video"
    HOME = "home"
    CLINIC = "clinic"
    OFFICE = "office"


class WorkStatus(StrEnum):
    """Where a patient stands with work: return to work is the first objective (seed 000)."""

    WORKING = "working"
    THERAPEUTIC_PART_TIME = "therapeutic_part_time"
    SICK_LEAVE = "sick_leave"
    JOB_SEEKING = "job_seeking"
    RETIRED = "retired"
    NOT_APPLICABLE = "not_applicable"


class Modality(StrEnum):
    """Training modality of an ergocycle prescription."""

    CONTINUOUS = "continuous"
    INTERMITTENT = "intermittent"
    INTERVAL = "interval"


class SessionSource(StrEnum):
    """Where an ergocycle session record comes from."""

    MANUAL = "manual"
    GUIDED = "guided"
    DEVICE = "device"
    REFERENT = "referent"


class BookletStatus(StrEnum):
    """Outcome of one booklet exercise on one day."""

    DONE = "done"
    PARTIAL = "partial"
    NOT_DONE = "not_done"


class HealthEventKind(StrEnum):
    """Health events a patient or a referent reports."""

    HOSPITALISATION = "hospitalisation"
    UNSCHEDULED_CONSULTATION = "unscheduled_consultation"
    EXACERBATION = "exacerbation"
    FALL = "fall"
    CHEST_PAIN = "chest_pain"
    PAIN_FLARE = "pain_flare"
    OTHER = "other"


class WarningSign(StrEnum):
    """Red flags that make a health event more than a pain fluctuation (seed 001)."""

    FEVER = "fever"
    CANCER_HISTORY = "cancer_history"
    TRAUMA = "trauma"
    NEUROLOGICAL = "neurological"
    SADDLE_ANAESTHESIA = "saddle_anaesthesia"
    WALKING_DIFFICULTY = "walking_difficulty"
    GENERAL_DECLINE = "general_decline"


class MedicationAdherence(StrEnum):
    """How the patient takes their treatment, as heard during a follow-up call."""

    GOOD = "good"
    PARTIAL = "partial"
    POOR = "poor"
    NO_TREATMENT = "no_treatment"


class SymptomScore(StrEnum):
    """The symptom score a programme follows session after session."""

    DYSPNOEA = "dyspnoea"
    PAIN = "pain"


class Questionnaire(StrEnum):
    """Questionnaires a patient may answer from the tablet."""

    CRQ = "crq"
    SATISFACTION = "satisfaction"
    DALLAS = "dallas"
    OSWESTRY = "oswestry"
    STARTBACK = "startback"
    WEEKLY_SYMPTOMS = "weekly_symptoms"


class FlagStatus(StrEnum):
    """Life of a flag: open until a person closes it, or until it clears by itself."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    COMMITTEE = "committee"
    RESOLVED = "resolved"
    CLEARED = "cleared"


class FlagDecision(StrEnum):
    """What the physician (or the committee) decides on an escalated flag."""

    CONTINUE = "continue"
    SUSPEND = "suspend"
    INTERRUPT = "interrupt"
    REINFORCEMENT_VISIT = "reinforcement_visit"
    REORIENTATION_PHYSIO = "reorientation_physio"
    REORIENTATION_SSR = "reorientation_ssr"


class CareTeamRole(StrEnum):
    """A professional around the patient, outside the programme's staff (seed 003 l.3952-3955):
    they receive the syntheses."""

    GENERAL_PRACTITIONER = "general_practitioner"  # médecin traitant
    PNEUMOLOGIST = "pneumologist"
    RHEUMATOLOGIST = "rheumatologist"
    PRESCRIBER = "prescriber"
    PHYSIOTHERAPIST = "physiotherapist"
    NURSE = "nurse"
    DIETITIAN = "dietitian"
    PSYCHOLOGIST = "psychologist"
    TOBACCO_SPECIALIST = "tobacco_specialist"
    OTHER = "other"


class SynthesisKind(StrEnum):
    """The synthesis documents of a programme (seed 003 l.3952-3960, l.4084-4101,
    l.4255-4264)."""

    INITIAL = "initial"
    MID_TERM = "mid_term"
    FINAL = "final"
    MONTH_12 = "month_12"


class SynthesisState(StrEnum):
    """Life of one version of a synthesis (``shared.synthesis``)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    COSIGNED = "cosigned"
    SENT = "sent"
    # A validated version replaced by a newer one before it was sent.
    SUPERSEDED = "superseded"
