"""Demo care teams for every patient, and syntheses in every state for a few programmes.

Care teams go in in bulk (a GP for everyone, the referring specialist, a
physiotherapist for some; a share of them on secure health messaging, the
others reached by post). Syntheses are written through the workflow services
themselves, as the staff would (drafted, submitted, validated, co-signed,
sent), for a bounded sample of running or completed programmes: each sent one
renders its PDF, so the sample stays small whatever the cohort's size.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.clock import utcnow
from server.extensions import db
from server.models import CareTeamMember, Enrolment, Patient, ScheduledContact, User
from server.services import syntheses
from server.services.bulk import insert_rows
from shared.enums import CareTeamRole, EnrolmentState, SynthesisKind
from shared.synthesis import SPECS, Action
from shared.timeline import local_midnight
from synthetic.texts import LAST_NAMES

# Programmes whose syntheses are written (each sent one renders a PDF: about half a second).
SAMPLE = 8
SECURE_SHARE = 0.6  # of professionals with a secure health messaging address
CITIES = (("69003", "Lyon"), ("69100", "Villeurbanne"), ("69500", "Bron"), ("69200", "Vénissieux"))
SPECIALIST = {"respiratory_home": CareTeamRole.PNEUMOLOGIST,
              "low_back_pain_home": CareTeamRole.RHEUMATOLOGIST}
SECTIONS = {
    "summary": ("Le programme est suivi avec régularité ; l'essoufflement à l'effort diminue "
                "et la confiance dans l'activité progresse."),
    "objectives": "Marcher 30 minutes par jour ; reprendre le jardinage sans s'arrêter.",
    "next_steps": ("Poursuivre l'ergocycle 3 fois par semaine ; consultation avec le médecin "
                   "traitant dans un mois."),
    "patient_message": ("Merci pour votre engagement. Continuez à votre rythme : chaque séance "
                        "compte."),
}
# The states a programme's latest synthesis is left in, in turn across the sample.
LATEST = ("draft", "submitted", "validated", "sent")


def _professional(rng: random.Random, patient_id: int, role: CareTeamRole,
                  secure: bool) -> dict[str, object]:
    name = rng.choice(LAST_NAMES)
    postcode, city = rng.choice(CITIES)
    slug = name.lower().replace("é", "e").replace("è", "e").replace("ç", "c")
    email = (f"{slug}@{city.lower().replace('é', 'e')}.mssante.fr" if secure
             else (f"cabinet.{slug}@example.org" if rng.random() < 0.5 else None))
    return {"patient_id": patient_id, "role": role,
            "name": f"{'Dr ' if role != CareTeamRole.PHYSIOTHERAPIST else ''}{name}",
            "email": email, "secure_messaging": secure,
            "phone": f"04 7{rng.randint(0, 9)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                     f"{rng.randint(10, 99)}",
            "postal_address": f"{rng.randint(1, 120)} rue de la République\n{postcode} {city}",
            "receives_syntheses": True, "created_at": utcnow(), "removed_at": None}


def write_care_teams(session: Session, rng: random.Random) -> int:
    """A care team for every patient without one, in one bulk insert; how many rows."""
    rows = []
    patients = session.execute(
        select(Patient.id, Enrolment.programme_code).join(Enrolment)
        .where(Patient.id.not_in(select(CareTeamMember.patient_id)))
        .order_by(Patient.id, Enrolment.id))
    for patient_id, programme in dict(patients.all()).items():
        rows.append(_professional(rng, patient_id, CareTeamRole.GENERAL_PRACTITIONER,
                                  rng.random() < SECURE_SHARE))
        rows.append(_professional(rng, patient_id, SPECIALIST[programme], True))
        if rng.random() < 0.5:
            rows.append(_professional(rng, patient_id, CareTeamRole.PHYSIOTHERAPIST, False))
    insert_rows(session, CareTeamMember.__table__, rows)
    return len(rows)


def write_syntheses(session: Session, rng: random.Random, today: date,
                    coordinator_id: int) -> int:
    """Syntheses of ``SAMPLE`` programmes through the workflow, as staff write them; each
    programme's earlier ones sent, its latest left in a state of ``LATEST`` in turn."""
    coordinator = session.get(User, coordinator_id)
    running = session.execute(
        select(Enrolment, Patient).join(Patient)
        .where(Enrolment.state.in_((EnrolmentState.ACTIVE, EnrolmentState.FOLLOW_UP,
                                    EnrolmentState.COMPLETED)),
               Patient.referent_id.is_not(None), Patient.physician_id.is_not(None))
        .order_by(Enrolment.id)).all()
    now, cutoff = utcnow(), local_midnight(today)
    # Contact -> whether it was due before today: one due later is written but not sent (a
    # contact from today on stays planned, as the generator leaves the others).
    opened = {(c.enrolment_id, c.key): c.due_at < cutoff for c in session.scalars(
        select(ScheduledContact).where(ScheduledContact.key.like("synthesis:%"),
                                       ScheduledContact.window_opens <= now))}
    written = 0
    for n, (enrolment, patient) in enumerate(rng.sample(running, min(SAMPLE, len(running)))):
        kinds = [k for k in enrolment.template.syntheses
                 if (enrolment.id, SPECS[k].contact_key) in opened]
        referent = session.get(User, patient.referent_id)
        physician = session.get(User, patient.physician_id)
        for i, kind in enumerate(kinds):
            last = LATEST[n % len(LATEST)] if i == len(kinds) - 1 else "sent"
            if last == "sent" and not opened[enrolment.id, SPECS[kind].contact_key]:
                last = "validated"
            _write(patient, kind, last, referent, coordinator, physician)
            written += 1
    return written


def _write(patient: Patient, kind: SynthesisKind, last: str, referent: User,
           coordinator: User, physician: User) -> None:
    draft = syntheses.start_draft(referent, patient.id, kind)
    syntheses.edit_sections(referent, draft.id, SECTIONS)
    moves = [(referent, Action.SUBMIT), (coordinator, Action.VALIDATE)]
    if SPECS[kind].needs_cosign:
        moves.append((physician, Action.COSIGN))
    moves.append((coordinator, Action.SEND))
    stop = {"draft": 0, "submitted": 1, "validated": 2, "sent": len(moves)}[last]
    for actor, action in moves[:stop]:
        syntheses.step(actor, draft.id, action)
    db.session.expire_all()
