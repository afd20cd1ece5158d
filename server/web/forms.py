"""The pages' forms: field types, bounds and French messages; the rules stay in services.

Every form is a Flask-WTF form, so it carries the session's CSRF token.
Errors a service raises (``Invalid.errors``) come back next to the field of
the same name through :func:`apply_service_errors`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FileField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

# Lazy, and named _ so that extraction with the default keywords finds the strings.
from server.i18n import lazy_gettext as _
from server.models import DocumentKind
from server.services.auth import MIN_PASSWORD_LENGTH
from server.services.care_team import CareTeamMemberIn
from server.services.errors import ServiceError
from server.services.messages import translate_message
from server.web.labels import LABELS
from shared.enrolment import all_dossier_pieces
from shared.enums import (
    CareTeamRole,
    HealthEventKind,
    MedicationAdherence,
    Modality,
    ReferralSource,
    Sex,
    WarningSign,
    WorkStatus,
)
from shared.programmes import TEMPLATES


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Options of a select or radio field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def enum_choices(enum: type[StrEnum], group: str, blank: Any = None) -> list[SelectChoice]:
    """Every member of ``enum``, in its order, with its label from ``LABELS[group]``
    (translated when shown); ``blank`` first as the empty option when given."""
    empty = [("", blank)] if blank is not None else []
    return choices([*empty, *((m.value, LABELS[group][m.value]) for m in enum)])


REQUIRED = _("This field is required.")
# The shape of an address only: whether it exists is not the form's business.
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_("Not a valid e-mail address."))

LOCALE_CHOICES = choices([("fr", "Français"), ("en", "English")])
WORK_STATUS_CHOICES = enum_choices(WorkStatus, "work_status", _("— not discussed —"))


def apply_service_errors(form: FlaskForm, exc: ServiceError) -> bool:
    """Put a service's field errors next to the form's fields; False when none matched."""
    matched = False
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, name, None)
        if field is None or not hasattr(field, "errors"):
            continue
        field.errors = [*list(field.errors), *(str(m) for m in messages)]
        matched = True
    return matched


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_("Password"), validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class TotpForm(FlaskForm):
    """The 6-digit code of the authenticator app."""

    code = StringField(_("Code from your authenticator app"),
                       validators=[DataRequired(REQUIRED), Length(min=6, max=7)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class TotpEnrolForm(TotpForm):
    """Enrolment: the password again and the first code (the secret stays on the server)."""

    password = PasswordField(_("Password"), render_kw={"autocomplete": "current-password"})


class LanguageForm(FlaskForm):
    """The language switch in the header."""

    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class ActionForm(FlaskForm):
    """A button that changes state: CSRF token only."""


class NoteForm(FlaskForm):
    """A flag action with an optional note."""

    note = TextAreaField(_("Note"), validators=[Optional(), Length(max=2000)])


class DocumentForm(FlaskForm):
    """A file to attach to the patient's record (its checks are the service's)."""

    kind = SelectField(_("Kind of document"), choices=enum_choices(DocumentKind, "document"))
    title = StringField(_("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    file = FileField(_("File (PDF, PNG or JPEG, 5 MB at most)"))


class RequiredNoteForm(FlaskForm):
    """A flag action whose note is required (resolving, deciding)."""

    note = TextAreaField(_("Note"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class CareTeamEntryForm(Form):
    """One professional of the care team (a sub-form: the page's form carries the CSRF)."""

    # Labels of their own: the referral form's patient fields (name, phone) stay unambiguous.
    # Checked by CareTeamMemberIn, and only for an entry that names someone.
    role = SelectField(_("Profession"), choices=enum_choices(CareTeamRole, "care_role"),
                       validate_choice=False)
    name = StringField(_("Professional"), validators=[Optional(), Length(max=200)])
    email = EmailField(_("E-mail address"), validators=[Optional(), EMAIL, Length(max=254)])
    secure_messaging = BooleanField(_("Secure health messaging address (MSSanté)"))
    phone = StringField(_("Phone number"), validators=[Optional(), Length(max=30)])
    postal_address = TextAreaField(_("Postal address"), validators=[Optional(), Length(max=500)])
    receives_syntheses = BooleanField(_("Receives the syntheses"), default=True)

    def member_data(self) -> dict[str, Any] | None:
        """The professional as ``CareTeamMemberIn`` loads them; None when no name is given."""
        if not (self.name.data or "").strip():
            return None
        return {"role": self.role.data, "name": self.name.data,
                "email": self.email.data or None,
                "secure_messaging": bool(self.secure_messaging.data),
                "phone": self.phone.data or None,
                "postal_address": self.postal_address.data or None,
                "receives_syntheses": bool(self.receives_syntheses.data)}


def load_members(*entries: FormField) -> list[dict[str, Any]] | None:
    """The filled entries loaded by ``CareTeamMemberIn``, or None with each error next to
    its field (the rules are the API's)."""
    members, valid = [], True
    for entry in entries:
        data = entry.form.member_data()
        if data is None:
            continue
        try:
            members.append(CareTeamMemberIn().load(data))
        except ValidationError as exc:
            valid = False
            for key, messages in exc.messages.items():
                field = getattr(entry.form, key, None) or entry.form.name
                field.errors = [*list(field.errors),
                                *(translate_message(m) for m in messages)]
    return members if valid else None


class CareTeamForm(FlaskForm):
    """A professional added to, or changed in, the patient's care team."""

    member = FormField(CareTeamEntryForm, label=_("Professional"))


class SynthesisDraftForm(FlaskForm):
    """Which synthesis to start."""

    kind = SelectField(_("Synthesis"), choices=[])


class SynthesisSectionsForm(FlaskForm):
    """The free-text sections of a draft synthesis."""

    summary = TextAreaField(_("Summary of the period"), validators=[Length(max=5000)])
    objectives = TextAreaField(_("Shared objectives and educational review"),
                               validators=[Length(max=5000)])
    next_steps = TextAreaField(_("Next steps and recommendations"),
                               validators=[Length(max=5000)])
    patient_message = TextAreaField(_("Message for the patient"), validators=[Length(max=5000)])


class SynthesisStepForm(FlaskForm):
    """A step of the synthesis workflow (the button pressed), with its reason if any."""

    action = HiddenField(validators=[DataRequired(REQUIRED)])
    reason = TextAreaField(_("Reason"), validators=[Optional(), Length(max=2000)])


class PatientRequestForm(FlaskForm):
    """A new patient and their enrolment request."""

    last_name = StringField(_("Last name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    first_name = StringField(_("First name"),
                             validators=[DataRequired(REQUIRED), Length(max=100)])
    birth_date = DateField(_("Date of birth"), validators=[InputRequired(REQUIRED)])
    sex = RadioField(_("Sex"), choices=enum_choices(Sex, "sex"),
                     validators=[InputRequired(REQUIRED)])
    phone = StringField(_("Phone"), validators=[DataRequired(REQUIRED), Length(min=6, max=30)])
    email = EmailField(_("E-mail (optional)"), validators=[Optional(), EMAIL, Length(max=254)])
    locale = SelectField(_("Language of the messages"), choices=LOCALE_CHOICES, default="fr")
    external_ref = StringField(_("Hospital identifier (IPP, optional)"),
                               validators=[Optional(), Length(max=50)])
    programme_code = SelectField(
        _("Programme"), choices=choices((code, t.title_fr) for code, t in TEMPLATES.items()),
        validators=[InputRequired(REQUIRED)])
    referral_source = SelectField(_("Referred by"),
                                  choices=enum_choices(ReferralSource, "referral"),
                                  validators=[InputRequired(REQUIRED)])
    referent_id = SelectField(_("Referent"), coerce=int, validators=[Optional()])
    physician_id = SelectField(_("Physician"), coerce=int, validators=[Optional()])
    hr_rest_min = IntegerField(_("Resting heart rate, lower bound (bpm)"),
                               validators=[Optional(), NumberRange(30, 120)])
    hr_rest_max = IntegerField(_("Resting heart rate, upper bound (bpm)"),
                               validators=[Optional(), NumberRange(40, 140)])
    hr_ceiling = IntegerField(_("Exercise heart-rate ceiling (bpm)"),
                              validators=[Optional(), NumberRange(60, 220)])
    # Return to work is the low back pain programme's first objective (seed 000).
    work_status = SelectField(_("Work at inclusion"), choices=WORK_STATUS_CHOICES,
                              validators=[Optional()])
    # The care team at referral: the GP and the referring specialist (more on the file).
    gp = FormField(CareTeamEntryForm, label=_("General practitioner"))
    specialist = FormField(CareTeamEntryForm, label=_("Specialist or prescriber"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.gp.form.role.data = CareTeamRole.GENERAL_PRACTITIONER.value
            self.specialist.form.role.data = CareTeamRole.PNEUMOLOGIST.value

    def patient_data(self) -> dict[str, Any]:
        """The fields as ``services.enrolments.create_patient`` takes them."""
        return {
            "last_name": self.last_name.data.strip(), "first_name": self.first_name.data.strip(),
            "birth_date": self.birth_date.data, "sex": self.sex.data,
            "phone": self.phone.data.strip(), "email": self.email.data or None,
            "locale": self.locale.data,
            "external_ref": self.external_ref.data or None,
            "referent_id": self.referent_id.data or None,
            "physician_id": self.physician_id.data or None,
            "hr_rest_min": self.hr_rest_min.data, "hr_rest_max": self.hr_rest_max.data,
            "hr_ceiling": self.hr_ceiling.data,
            "enrolment": {"programme_code": self.programme_code.data,
                          "referral_source": self.referral_source.data,
                          "work_status": self.work_status.data or None},
        }


class DossierForm(FlaskForm):
    """The dossier checklist: a box per piece any programme asks for (``shared.programmes``);
    the page shows those of the enrolment's programme, the service keeps only those."""

    def pieces(self) -> dict[str, bool]:
        """The checklist as the service takes it."""
        return {piece: bool(self[piece].data) for piece in all_dossier_pieces()}


for _piece in all_dossier_pieces():
    setattr(DossierForm, _piece, BooleanField(LABELS["dossier"][_piece]))


class StartForm(FlaskForm):
    """Consent and start date."""

    consent = BooleanField(_("The patient signed the consent (acte d'adhésion)"))
    start_date = DateField(_("Start date (inclusion visit W0)"),
                           validators=[InputRequired(REQUIRED)])
    intervention_weeks = IntegerField(
        _("Intervention length in weeks (10 after an SSR stay; empty: the programme's)"),
        validators=[Optional(), NumberRange(4, 16)])


class EquipmentForm(FlaskForm):
    """Ergocycle delivery."""

    delivered_on = DateField(_("Ergocycle delivered on"), validators=[InputRequired(REQUIRED)])


class AssignForm(FlaskForm):
    """Referent and physician of a patient."""

    referent_id = SelectField(_("Referent"), coerce=int, validators=[Optional()])
    physician_id = SelectField(_("Physician"), coerce=int, validators=[Optional()])


class ReasonForm(FlaskForm):
    """An early end of an enrolment, always with its reason."""

    reason = TextAreaField(_("Reason"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class StaffCreateForm(FlaskForm):
    """A new staff account."""

    full_name = StringField(_("Full name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    email = EmailField(_("E-mail"), validators=[DataRequired(REQUIRED), EMAIL, Length(max=254)])
    role = SelectField(_("Role"), validators=[InputRequired(REQUIRED)])
    locale = SelectField(_("Language"), choices=LOCALE_CHOICES)
    password = PasswordField(
        _("Initial password"),
        validators=[DataRequired(REQUIRED), Length(min=MIN_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"})


class StaffUpdateForm(FlaskForm):
    """Role and activation of an account."""

    role = SelectField(_("Role"), validators=[InputRequired(REQUIRED)])
    active = BooleanField(_("Active"))


REACHED_CHOICES = choices([("yes", _("Reached")), ("no", _("Not reached (no answer)"))])
MODALITY_CHOICES = enum_choices(Modality, "modality")
ADHERENCE_CHOICES = enum_choices(MedicationAdherence, "adherence", _("— not discussed —"))
EVENT_CHOICES = enum_choices(HealthEventKind, "event", _("— none —"))
WARNING_SIGN_CHOICES = enum_choices(WarningSign, "warning_sign")


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ContactForm(FlaskForm):
    """Any contact: reached or not, and a note."""

    reached = RadioField(_("Outcome"), choices=REACHED_CHOICES, default="yes",
                         validators=[InputRequired(REQUIRED)])
    notes = TextAreaField(_("Notes"), validators=[Optional(), Length(max=2000)])

    def outcome(self) -> dict[str, Any]:
        """The outcome as ``ContactRecordIn`` reads it (blank fields left out)."""
        data: dict[str, Any] = {"reached": self.reached.data == "yes"}
        if self.notes.data:
            data["notes"] = self.notes.data
        return data


class HealthEventFields(ContactForm):
    """A health event the patient tells of during a call, weekly or follow-up (the referent
    enters it as the API allows)."""

    event_kind = SelectField(_("Health event since the last call"), choices=EVENT_CHOICES,
                             validators=[Optional()])
    event_on = DateField(_("Date of the event"), validators=[Optional()])
    event_description = TextAreaField(_("What happened"),
                                      validators=[Optional(), Length(max=2000)])
    # Seed 001: with one of these, an event is not an ordinary fluctuation.
    warning_signs = CheckboxesField(_("Warning signs"), choices=WARNING_SIGN_CHOICES,
                                    validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then: an event needs its date (the kind alone tells the physician
        too little). Checked here because an empty optional field skips its own checks."""
        valid = super().validate(extra_validators)
        if (self.reached.data == "yes" and self.event_kind.data
                and self.event_on.data is None and not self.event_on.errors):
            self.event_on.errors = [str(_("Give the date of the event."))]
            valid = False
        return valid

    def outcome(self) -> dict[str, Any]:
        """The call, with the event (if any) as a health event."""
        data = super().outcome()
        if data["reached"] and self.event_kind.data:
            event: dict[str, Any] = {"kind": self.event_kind.data,
                                     "occurred_on": self.event_on.data.isoformat()}
            if self.event_description.data:
                event["description"] = self.event_description.data
            if self.warning_signs.data:
                event["warning_signs"] = list(self.warning_signs.data)
            data["health_events"] = [event]
        return data


class WeeklyCallForm(HealthEventFields):
    """Weekly intervention call: the week that passed, next week's prescription, any health
    event."""

    sessions_done = IntegerField(_("Sessions done this week"),
                                 validators=[Optional(), NumberRange(0, 14)])
    difficulties = TextAreaField(_("Difficulties"), validators=[Optional(), Length(max=2000)])
    benefits = TextAreaField(_("Perceived benefits"), validators=[Optional(), Length(max=2000)])
    session_minutes = IntegerField(_("Duration of a session (min)"),
                                   validators=[Optional(), NumberRange(5, 120)])
    watts = IntegerField(_("Intensity (W)"), validators=[Optional(), NumberRange(0, 1000)])
    modality = RadioField(_("Modality"), choices=MODALITY_CHOICES, default="continuous")
    work_s = IntegerField(_("Effort per block (s)"), validators=[Optional(), NumberRange(10, 600)])
    rest_s = IntegerField(_("Recovery per block (s)"),
                          validators=[Optional(), NumberRange(10, 600)])

    def outcome(self) -> dict[str, Any]:
        """The call, with next week's prescription when a duration was given."""
        data = super().outcome()
        if not data["reached"]:
            return data
        for name in ("sessions_done", "difficulties", "benefits"):
            value = getattr(self, name).data
            if value not in (None, ""):
                data[name] = value
        if self.session_minutes.data is not None:
            data["next_prescription"] = {
                "session_minutes": self.session_minutes.data, "watts": self.watts.data,
                "modality": self.modality.data, "work_s": self.work_s.data,
                "rest_s": self.rest_s.data}
        return data


class FollowUpCallForm(HealthEventFields):
    """Follow-up call: health events, medication, activity against the project, work."""

    medication_adherence = SelectField(_("Medication adherence"), choices=ADHERENCE_CHOICES,
                                       validators=[Optional()])
    sessions_per_week = IntegerField(_("Activity sessions a week now"),
                                     validators=[Optional(), NumberRange(0, 14)])
    project_sessions_per_week = IntegerField(_("Sessions a week in the activity project"),
                                             validators=[Optional(), NumberRange(0, 14)])
    encouragement = TextAreaField(_("Encouragement given"),
                                  validators=[Optional(), Length(max=2000)])
    # Return to work, the first objective of the low back pain care project (seed 000).
    work_status = SelectField(_("Work"), choices=WORK_STATUS_CHOICES, validators=[Optional()])
    channel = RadioField(_("Call made by"), choices=choices(
        (("phone", _("Telephone")), ("video", _("Video call")))), default="phone")
    hospital_days = IntegerField(_("Days in hospital since the last call"),
                                 validators=[Optional(), NumberRange(0, 366)])

    def outcome(self) -> dict[str, Any]:
        """The call's activity, medication and work."""
        data = super().outcome()
        if not data["reached"]:
            return data
        for name in ("medication_adherence", "sessions_per_week", "project_sessions_per_week",
                     "encouragement", "work_status", "channel", "hospital_days"):
            value = getattr(self, name).data
            if value not in (None, ""):
                data[name] = value
        return data


class DecisionForm(FlaskForm):
    """The physician's decision on an escalated flag or a committee item."""

    decision = RadioField(_("Decision"), validators=[InputRequired(REQUIRED)])
    visit_day = DateField(_("Day of the reinforcement visit"), validators=[Optional()])
    review_on = DateField(_("Suspension: day of the review"), validators=[Optional()])
    note = TextAreaField(_("Note (required except to continue)"),
                         validators=[Optional(), Length(max=2000)])
