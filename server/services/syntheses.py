"""The synthesis documents' workflow: draft, submit, validate, co-sign, send; every version kept.

The referent writes the free-text sections of a draft (the figures come from
the record, ``synthesis_record.gather``); the coordinator validates, which
freezes the figures and the text in the version; the physician co-signs the
final and 12-month ones (told by e-mail, ``escalation.notify_cosign``, that one
awaits them); the coordinator sends it (``shared.synthesis`` holds
the moves as data). Sending files the PDF in the patient's documents, puts an
e-mail with the PDF attached in the outbox for each professional of the care
team with a secure health messaging address (MSSanté), lists the others as
letters to post, tells the patient's tablet, and marks the timeline's synthesis
contact done. Every step is audited; a version is changed only as a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import force_locale
from marshmallow import Schema, fields, validate
from sqlalchemy import and_, func, or_, select

from server.clock import get_clock, utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import (
    CareTeamMember,
    DocumentKind,
    Enrolment,
    Patient,
    ScheduledContact,
    Synthesis,
    SynthesisRecipient,
    User,
)
from server.models.notifications import NotificationChannel
from server.services import notifications
from server.services.access import READ, WRITE, get_patient, visible_patients
from server.services.audit import record_access
from server.services.care_team import members_of, secure_domains
from server.services.documents import file_document
from server.services.enrolments import current_enrolment
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.escalation import notify_cosign
from server.services.synthesis_pdf import render_pdf
from server.services.synthesis_record import gather
from server.services.synthesis_text import KIND_LABELS
from server.services.transactions import read_use_case, use_case
from shared.enums import ContactStatus, Role, SynthesisKind, SynthesisState
from shared.synthesis import (
    FROZEN,
    SPECS,
    Action,
    SynthesisError,
    check_step,
    is_secure_address,
    next_actions,
)

SECTIONS = ("summary", "objectives", "next_steps", "patient_message")
OPEN_STATES = (SynthesisState.DRAFT, SynthesisState.SUBMITTED)
SECURE_EMAIL, POST = "secure_email", "post"


class SectionsIn(Schema):
    """The free-text sections of a draft (each optional, at most 5,000 characters)."""

    summary = fields.String(load_default="", validate=validate.Length(max=5000))
    objectives = fields.String(load_default="", validate=validate.Length(max=5000))
    next_steps = fields.String(load_default="", validate=validate.Length(max=5000))
    patient_message = fields.String(load_default="", validate=validate.Length(max=5000))


class StepIn(Schema):
    """A move of a synthesis version, with the reason that returning or revising needs."""

    action = fields.String(required=True, validate=validate.OneOf(
        [Action.SUBMIT, Action.RETURN, Action.VALIDATE, Action.COSIGN, Action.SEND,
         Action.REVISE]))
    reason = fields.String(allow_none=True, load_default=None,
                           validate=validate.Length(max=2000))


@dataclass
class SynthesisPage:
    """One version with what its page shows: its record, the other versions, the actions."""

    synthesis: Synthesis
    patient: Patient
    record: dict[str, Any]
    versions: list[Synthesis]
    actions: list[str]
    recipients: list[SynthesisRecipient]
    # Before sending: who will get it, and how (secure e-mail or post).
    plan: list[tuple[CareTeamMember, str]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)


@dataclass
class PatientSyntheses:
    """A patient's syntheses for the file: every version, newest first, and the care team."""

    patient: Patient
    enrolment: Enrolment | None
    versions: list[Synthesis]
    care_team: list[CareTeamMember]
    can_write: bool
    # Kinds a draft may be started for (none open or done yet).
    startable: list[SynthesisKind] = field(default_factory=list)


def _versions(patient_id: int) -> list[Synthesis]:
    return list(db.session.scalars(
        select(Synthesis).where(Synthesis.patient_id == patient_id)
        .order_by(Synthesis.enrolment_id.desc(), Synthesis.kind, Synthesis.version.desc())))


@read_use_case
def patient_syntheses(user: User, patient_id: int) -> PatientSyntheses:
    """The patient's syntheses and care team (the file's section); audited."""
    patient = get_patient(user, patient_id, READ)
    enrolment = current_enrolment(patient.id)
    versions = _versions(patient.id)
    record_access(user, READ, "syntheses", [patient.id])
    result = PatientSyntheses(patient, enrolment, versions, members_of(patient.id),
                              user.role in (Role.REFERENT, Role.COORDINATOR))
    if enrolment is not None and enrolment.start_date is not None and result.can_write:
        taken = {v.kind for v in versions if v.enrolment_id == enrolment.id}
        result.startable = [k for k in enrolment.template.syntheses if k not in taken]
    return result


@use_case
def start_draft(user: User, patient_id: int, kind: SynthesisKind | str) -> Synthesis:
    """A first draft of a synthesis of the patient's current programme; audited."""
    patient = get_patient(user, patient_id, WRITE)
    try:
        kind = SynthesisKind(kind)
    except ValueError:
        raise Invalid(_("Invalid request:"), "invalid_kind", {"kind": [
            _("Must be one of: %(choices)s.", choices=", ".join(SynthesisKind))]}) from None
    enrolment = current_enrolment(patient.id)
    if enrolment is None or enrolment.start_date is None:
        raise Conflict(_("The programme has not started: there is nothing to report yet."),
                       "not_started")
    if kind not in enrolment.template.syntheses:
        raise Invalid(_("Invalid request:"), "invalid_kind", {"kind": [
            _("This programme writes no such synthesis.")]})
    existing = db.session.scalar(select(func.count()).select_from(Synthesis).where(
        Synthesis.enrolment_id == enrolment.id, Synthesis.kind == kind))
    if existing:
        raise Conflict(_("This synthesis is already started: open it, or start a new "
                         "version from a validated one."), "synthesis_exists")
    now = utcnow()
    synthesis = Synthesis(
        patient_id=patient.id, enrolment_id=enrolment.id, kind=kind, version=1,
        state=SynthesisState.DRAFT, sections=dict.fromkeys(SECTIONS, ""),
        created_by_id=user.id, created_at=now, updated_at=now)
    db.session.add(synthesis)
    db.session.flush()
    record_access(user, WRITE, "synthesis:draft", [patient.id], synthesis.id)
    return synthesis


def _get(user: User, synthesis_id: int, lock: bool = False) -> Synthesis:
    """The version if ``user`` may see its patient (404 otherwise). With ``lock``, read afresh
    from the database (not the session's copy) and locked until the transaction ends."""
    query = select(Synthesis).where(
        Synthesis.id == synthesis_id,
        Synthesis.patient_id.in_(visible_patients(user).with_only_columns(Patient.id)))
    if lock:
        query = query.with_for_update(of=Synthesis).execution_options(populate_existing=True)
    synthesis = db.session.scalar(query)
    if synthesis is None:
        raise NotFound(_("No such synthesis."), "synthesis_not_found")
    return synthesis


def _record(synthesis: Synthesis) -> dict[str, Any]:
    """The figures: frozen once validated, gathered live while a draft."""
    if synthesis.snapshot is not None:
        return synthesis.snapshot
    enrolment = db.session.get(Enrolment, synthesis.enrolment_id)
    return gather(enrolment, synthesis.kind, get_clock().today())


def _plan(patient_id: int) -> list[tuple[CareTeamMember, str]]:
    """Each professional who receives syntheses, and how: secure e-mail, else post."""
    domains = secure_domains()
    return [(m, SECURE_EMAIL if m.secure_messaging and is_secure_address(m.email, domains)
             else POST) for m in members_of(patient_id) if m.receives_syntheses]


@read_use_case
def synthesis_page(user: User, synthesis_id: int) -> SynthesisPage:
    """One version, its figures, its other versions and what ``user`` may do; audited."""
    synthesis = _get(user, synthesis_id)
    patient = db.session.get(Patient, synthesis.patient_id)
    record_access(user, READ, "synthesis", [patient.id], synthesis.id)
    versions = list(db.session.scalars(select(Synthesis).where(
        Synthesis.enrolment_id == synthesis.enrolment_id, Synthesis.kind == synthesis.kind)
        .order_by(Synthesis.version.desc())))
    recipients = list(db.session.scalars(select(SynthesisRecipient).where(
        SynthesisRecipient.synthesis_id == synthesis.id).order_by(SynthesisRecipient.id)))
    actions = next_actions(synthesis.kind, synthesis.state, user.role)
    return SynthesisPage(synthesis, patient, _record(synthesis), versions, actions,
                         recipients, _plan(patient.id)
                         if synthesis.state != SynthesisState.SENT else [], _names(synthesis))


@use_case
def edit_sections(user: User, synthesis_id: int, sections: dict[str, str]) -> Synthesis:
    """Replace a draft's free-text sections (loaded by :class:`SectionsIn`); audited."""
    synthesis = _get(user, synthesis_id)
    get_patient(user, synthesis.patient_id, WRITE)
    if synthesis.state in FROZEN:
        raise Conflict(_("A validated synthesis cannot change: start a new version."),
                       "synthesis_frozen")
    if synthesis.state != SynthesisState.DRAFT:
        raise Conflict(_("The synthesis awaits validation: the coordinator may return it "
                         "to you for changes."), "synthesis_submitted")
    synthesis.sections = {key: (sections.get(key) or "").strip() for key in SECTIONS}
    synthesis.updated_at = utcnow()
    record_access(user, WRITE, "synthesis:edit", [synthesis.patient_id], synthesis.id)
    return synthesis


_STEP_MESSAGES = {
    "invalid_transition": lambda a, s: _(
        "Impossible step: cannot %(action)s a synthesis in state %(state)s.", action=a, state=s),
    "forbidden_transition": lambda a, s: _("Your role may not %(action)s a synthesis.",
                                           action=a),
    "reason_required": lambda a, s: _("A reason is required to %(action)s.", action=a),
    "cosign_required": lambda a, s: _(
        "This synthesis is sent once the physician has co-signed it."),
    "unknown_action": lambda a, s: _("Impossible step: cannot %(action)s a synthesis in "
                                     "state %(state)s.", action=a, state=s),
}


# render_pdf's arguments: the figures, the free-text sections, the version and signatures.
RenderInputs = tuple[dict[str, Any], dict[str, str], dict[str, Any]]


@dataclass(frozen=True)
class _Rendered:
    """A version's PDF rendered for sending, and what it was rendered from."""

    synthesis_id: int
    updated_at: Any
    sent_at: Any
    inputs: RenderInputs
    content: bytes


def step(user: User, synthesis_id: int, action: str, reason: str | None = None) -> Synthesis:
    """Move a version (submit, return, validate, co-sign, send, revise); audited. Returns the
    version moved, or the new draft for ``revise``.

    Sending renders the PDF (about half a second of WeasyPrint) from the frozen version
    before its transaction opens, so no transaction waits on it; the transaction then checks
    the version is still the one rendered (else 409 ``synthesis_changed``, nothing sent).
    """
    if action == Action.SEND:
        ready = _ready_to_send(user, synthesis_id)
        # No transaction is open here: the read above committed, the render reads nothing.
        rendered = replace(ready, content=render_pdf(*ready.inputs))
        return _step(user, synthesis_id, action, reason, rendered)
    return _step(user, synthesis_id, action, reason)


def _checked(user: User, synthesis: Synthesis, action: str,
             reason: str | None) -> SynthesisState:
    """The state ``action`` leads to, or the service error refusing it."""
    try:
        return check_step(synthesis.kind, synthesis.state, action, user.role, reason)
    except SynthesisError as exc:
        error = Forbidden if exc.code == "forbidden_transition" else Conflict
        raise error(_STEP_MESSAGES[exc.code](action, synthesis.state.value), exc.code) from None


def _send_inputs(synthesis: Synthesis, sent_at: Any) -> RenderInputs:
    """What the sent PDF is rendered from: the frozen figures, the text, the signatures."""
    return (synthesis.snapshot or {}, dict(synthesis.sections),
            version_info(synthesis, _names(synthesis), sent_at=sent_at))


@read_use_case
def _ready_to_send(user: User, synthesis_id: int) -> _Rendered:
    """The version to send and what its PDF is rendered from, or the refusal ``_step``
    would give (a wrong state or role, before half a second of rendering). The read is
    audited (``synthesis:render``) even if the sending is then refused."""
    synthesis = _get(user, synthesis_id)
    get_patient(user, synthesis.patient_id, READ, "synthesis:render")
    _checked(user, synthesis, Action.SEND, None)
    now = utcnow()
    return _Rendered(synthesis.id, synthesis.updated_at, now,
                     _send_inputs(synthesis, now), b"")


@use_case
def _step(user: User, synthesis_id: int, action: str, reason: str | None = None,
          rendered: _Rendered | None = None) -> Synthesis:
    synthesis = _get(user, synthesis_id, lock=action == Action.SEND)
    # Physicians co-sign the patients they follow: reading them is their access.
    get_patient(user, synthesis.patient_id, READ if action == Action.COSIGN else WRITE)
    if action == Action.SEND and (
            # What goes out is exactly what was rendered: the version, locked above, must not
            # have moved since (revised, sent by someone else, changed in any way).
            rendered is None or rendered.synthesis_id != synthesis.id
            or rendered.updated_at != synthesis.updated_at
            or rendered.inputs != _send_inputs(synthesis, rendered.sent_at)):
        raise Conflict(_("The synthesis changed while it was being sent: nothing was "
                         "sent. Open it again to see its current version."),
                       "synthesis_changed")
    target = _checked(user, synthesis, action, reason)
    now = utcnow()
    record_access(user, WRITE, f"synthesis:{action}", [synthesis.patient_id], synthesis.id)
    if action == Action.REVISE:
        return _revise(user, synthesis, reason or "", now)
    if action == Action.SUBMIT:
        synthesis.submitted_at = now
    elif action == Action.RETURN:
        synthesis.reason = reason
    elif action == Action.VALIDATE:
        # From here on the document is what it says now, whatever the record becomes.
        synthesis.snapshot = _record(synthesis)
        synthesis.validated_by_id, synthesis.validated_at = user.id, now
        if SPECS[synthesis.kind].needs_cosign:
            _ask_cosign(user, synthesis)
    elif action == Action.COSIGN:
        synthesis.cosigned_by_id, synthesis.cosigned_at = user.id, now
    elif action == Action.SEND and rendered is not None:
        synthesis.sent_by_id, synthesis.sent_at = user.id, rendered.sent_at
        _send(user, synthesis, rendered.content)
    synthesis.state = target
    synthesis.updated_at = now
    return synthesis


def _ask_cosign(user: User, synthesis: Synthesis) -> None:
    """Tell the patient's physician that the version awaits their co-signature (the
    outbox's e-mail, no health detail off a secure service); audited as the step's sequel."""
    patient = db.session.get(Patient, synthesis.patient_id)
    if notify_cosign(synthesis, patient):
        record_access(user, WRITE, "synthesis:cosign_request", [patient.id], synthesis.id)


def _revise(user: User, synthesis: Synthesis, reason: str, now: Any) -> Synthesis:
    latest = db.session.scalar(select(func.max(Synthesis.version)).where(
        Synthesis.enrolment_id == synthesis.enrolment_id, Synthesis.kind == synthesis.kind))
    if latest != synthesis.version:
        raise Conflict(_("A newer version exists: revise the latest one."), "not_latest")
    if synthesis.state != SynthesisState.SENT:
        synthesis.state = SynthesisState.SUPERSEDED
        synthesis.updated_at = now
    draft = Synthesis(
        patient_id=synthesis.patient_id, enrolment_id=synthesis.enrolment_id,
        kind=synthesis.kind, version=synthesis.version + 1, state=SynthesisState.DRAFT,
        sections=dict(synthesis.sections), created_by_id=user.id, created_at=now,
        updated_at=now, reason=reason.strip())
    db.session.add(draft)
    db.session.flush()
    return draft


def version_info(synthesis: Synthesis, names: dict[int, str],
                 sent_at: Any = None) -> dict[str, Any]:
    """What the document prints about its version and its signatures (``sent_at``: when it
    is being sent, before the version records it)."""
    tz = get_clock().tz

    def day(at: Any) -> str | None:
        return at.astimezone(tz).date().isoformat() if at else None

    return {"version": synthesis.version, "state": synthesis.state.value,
            "kind": synthesis.kind.value, "reason": synthesis.reason,
            "author": names.get(synthesis.created_by_id),
            "validated_by": names.get(synthesis.validated_by_id),
            "validated_on": day(synthesis.validated_at),
            "cosigned_by": names.get(synthesis.cosigned_by_id),
            "cosigned_on": day(synthesis.cosigned_at),
            "needs_cosign": SPECS[synthesis.kind].needs_cosign,
            "sent_on": day(sent_at or synthesis.sent_at)}


def _names(synthesis: Synthesis) -> dict[int, str]:
    """The names of the staff who wrote, validated, co-signed and sent the version."""
    people = {synthesis.created_by_id, synthesis.validated_by_id, synthesis.cosigned_by_id,
              synthesis.sent_by_id}
    return dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_(people - {None}))).all())


def _filename(synthesis: Synthesis, patient: Patient, suffix: str = "") -> str:
    return (f"synthese-{synthesis.kind.value}-{patient.last_name}-v{synthesis.version}"
            f"{suffix}.pdf")


def _send(user: User, synthesis: Synthesis, content: bytes) -> None:
    """File the rendered PDF, put the e-mails and letters out, tell the tablet, close the
    timeline's contact (in the send step's transaction)."""
    patient = db.session.get(Patient, synthesis.patient_id)
    with force_locale("fr"):
        kind = str(KIND_LABELS[synthesis.kind.value])
        title = f"{kind} (v{synthesis.version})"
        document = file_document(user, patient.id, DocumentKind.SYNTHESIS, title,
                                 _filename(synthesis, patient), content)
        record_access(user, WRITE, "document", [patient.id], document.id)
        synthesis.document_id = document.id
        recipients = []
        for member, channel in _plan(patient.id):
            recipient = SynthesisRecipient(
                synthesis_id=synthesis.id, care_team_member_id=member.id, channel=channel,
                name=member.name, role=member.role,
                address=member.email if channel == SECURE_EMAIL else member.postal_address)
            if channel == SECURE_EMAIL:
                # A secure health messaging address: the patient's name and the document
                # may travel (PROGRAMME.md, product decisions).
                recipient.notification_id = notifications.enqueue(
                    channel=NotificationChannel.EMAIL, kind="synthesis",
                    dedupe_key=f"synthesis:{synthesis.id}:{member.id}",
                    patient_id=patient.id, address=member.email, document_id=document.id,
                    subject=f"{kind} : {patient.first_name} {patient.last_name}"[:200],
                    body=_("Dear colleague,\n\nPlease find attached the %(kind)s of your "
                           "patient %(name)s, born on %(born)s, in the home rehabilitation "
                           "programme.\n\nThe coordination team",
                           kind=kind.lower(), name=f"{patient.first_name} {patient.last_name}",
                           born=patient.birth_date.strftime("%d/%m/%Y"))).id
            recipients.append(recipient)
        db.session.add_all(recipients)
    # The tablet's messages: neutral words, no health detail (in-app stays on the tablet).
    with force_locale(patient.locale or "fr"):
        notifications.enqueue(
            channel=NotificationChannel.IN_APP, kind="synthesis", patient_id=patient.id,
            dedupe_key=f"synthesis:{synthesis.id}:patient",
            subject=_("A review of your programme is available"),
            body=_("Your care team wrote a review of your programme. You can read it on the "
                   "tablet, under \"My reviews\"."))
    db.session.execute(
        ScheduledContact.__table__.update()
        .where(ScheduledContact.enrolment_id == synthesis.enrolment_id,
               ScheduledContact.key == SPECS[synthesis.kind].contact_key,
               ScheduledContact.status.in_((ContactStatus.PLANNED, ContactStatus.MISSED)))
        .values(status=ContactStatus.DONE, done_at=synthesis.sent_at, recorded_by_id=user.id))


@read_use_case
def synthesis_pdf(user: User, synthesis_id: int, letters: bool = False) -> tuple[str, bytes]:
    """The version as PDF (a draft's preview from the live record), or with ``letters`` one
    cover letter and copy per professional it goes to by post; audited."""
    synthesis = _get(user, synthesis_id)
    patient = db.session.get(Patient, synthesis.patient_id)
    record_access(user, READ, "synthesis:pdf", [patient.id], synthesis.id)
    covers = None
    if letters:
        covers = [{"name": r.name, "role": r.role.value, "address": r.address or ""}
                  for r in db.session.scalars(select(SynthesisRecipient).where(
                      SynthesisRecipient.synthesis_id == synthesis.id,
                      SynthesisRecipient.channel == POST).order_by(SynthesisRecipient.id))]
        if not covers:
            raise NotFound(_("No letter to post for this synthesis."), "no_letters")
    content = render_pdf(_record(synthesis), synthesis.sections,
                         version_info(synthesis, _names(synthesis)), covers)
    return _filename(synthesis, patient, "-courriers" if letters else ""), content


@use_case
def mark_posted(user: User, synthesis_id: int, recipient_id: int) -> SynthesisRecipient:
    """The coordinator posted the letter to this professional; audited."""
    synthesis = _get(user, synthesis_id)
    get_patient(user, synthesis.patient_id, WRITE)
    if user.role != Role.COORDINATOR:
        raise Forbidden(_("Only the coordination team posts the letters."), "forbidden")
    recipient = db.session.scalar(select(SynthesisRecipient).where(
        SynthesisRecipient.id == recipient_id, SynthesisRecipient.synthesis_id == synthesis.id,
        SynthesisRecipient.channel == POST))
    if recipient is None:
        raise NotFound(_("No such letter."), "recipient_not_found")
    if recipient.posted_at is None:
        recipient.posted_at, recipient.posted_by_id = utcnow(), user.id
        record_access(user, WRITE, "synthesis:posted", [synthesis.patient_id], recipient.id)
    return recipient


def awaiting(user: User) -> list[tuple[Synthesis, Patient]]:
    """Versions waiting for ``user``'s step, oldest first: the coordinator's to validate and
    to send, the physician's to co-sign (patients they follow); one query."""
    cosigned = [k for k, spec in SPECS.items() if spec.needs_cosign]
    if user.role == Role.COORDINATOR:
        wanted = or_(Synthesis.state == SynthesisState.SUBMITTED,
                     Synthesis.state == SynthesisState.COSIGNED,
                     and_(Synthesis.state == SynthesisState.VALIDATED,
                          Synthesis.kind.not_in(cosigned)))
    elif user.role == Role.PHYSICIAN:
        wanted = and_(Synthesis.state == SynthesisState.VALIDATED, Synthesis.kind.in_(cosigned))
    else:
        return []
    rows = db.session.execute(
        select(Synthesis, Patient).join(Patient, Patient.id == Synthesis.patient_id)
        .where(wanted, Patient.id.in_(visible_patients(user).with_only_columns(Patient.id)))
        .order_by(Synthesis.updated_at, Synthesis.id)).all()
    record_access(user, READ, "syntheses_awaiting", sorted({p.id for _s, p in rows}))
    return [(synthesis, patient) for synthesis, patient in rows]


@read_use_case
def coordinator_desk(user: User) -> list[tuple[Synthesis, Patient]]:
    """The coordinator's syntheses to validate and to send; audited."""
    return awaiting(user)


@read_use_case
def patient_view(patient_id: int) -> list[dict[str, Any]]:
    """The syntheses sent for the patient, for their tablet: the latest sent version of each
    kind, newest first, with the message written for them (no staff audit: their own)."""
    rows = db.session.scalars(select(Synthesis).where(
        Synthesis.patient_id == patient_id, Synthesis.state == SynthesisState.SENT)
        .order_by(Synthesis.sent_at.desc(), Synthesis.id.desc()))
    latest: dict[tuple[int, SynthesisKind], Synthesis] = {}
    for row in rows:
        latest.setdefault((row.enrolment_id, row.kind), row)
    out = []
    for s in latest.values():
        record = s.snapshot or {}
        out.append({"id": s.id, "kind": s.kind, "version": s.version,
                    "sent_at": s.sent_at, "message": s.sections.get("patient_message") or "",
                    "sessions": (record.get("totals") or {}).get("sessions"),
                    "weeks": (record.get("totals") or {}).get("weeks")})
    return out
