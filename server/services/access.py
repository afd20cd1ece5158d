"""Who may see which patient. Every staff lookup of a patient goes through here.

A referent sees the patients assigned to them; a physician the patients they
follow; a coordinator the whole file (they run enrolment); an administrator
manages accounts and sees no patient data. Objects a caller may not see are
answered 404, so that ids cannot be probed.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import BindParameter, Select, bindparam, select, true
from sqlalchemy.orm.interfaces import ORMOption

from server.extensions import db
from server.i18n import gettext as _
from server.models import Enrolment, Patient, User
from server.services.audit import record_access
from server.services.errors import Forbidden, NotFound
from server.services.transactions import read_use_case
from shared.enums import Role

READ, WRITE = "read", "write"
# Transitions carry their own role rules (shared.enrolment), so they are audited apart.
TRANSITION = "transition"


def visible_patients(user: User) -> Select[tuple[Patient]]:
    """A SELECT of the patients ``user`` may see."""
    return visible_patients_of(user.role, user.id)


def visible_patients_of(role: Role, user_id: int | BindParameter[int]) -> Select[tuple[Patient]]:
    """:func:`visible_patients` for a role and a user id, which may be a bound parameter:
    a statement built once then serves every user of that role."""
    query = select(Patient)
    if role == Role.COORDINATOR:
        return query.where(true())
    if role == Role.REFERENT:
        return query.where(Patient.referent_id == user_id)
    if role == Role.PHYSICIAN:
        return query.where(Patient.physician_id == user_id)
    return query.where(Patient.id.is_(None))


def can_write(user: User, patient: Patient) -> bool:
    """Referents and coordinators change records; physicians decide through transitions."""
    return user.role in (Role.COORDINATOR, Role.REFERENT)


def get_patient(user: User, patient_id: int, action: str = READ,
                object_type: str = "patient", load: tuple[ORMOption, ...] = ()) -> Patient:
    """The patient if ``user`` may see it (and write it for WRITE); audited as a read or
    write of ``object_type`` (what of the record was taken: the file, a FHIR bundle...).
    ``load``: loader options for what the caller reads of the patient next, a constant
    of the caller's module (the statement is kept per role and ``load``)."""
    patient = db.session.execute(
        _patient_statement(user.role, load), {"user_id": user.id, "patient_id": patient_id}
    ).unique().scalar_one_or_none()  # unique: ``load`` may join a collection
    if patient is None:
        raise NotFound(_("No such patient."), "patient_not_found")
    if action == WRITE and not can_write(user, patient):
        raise Forbidden(_("Your role may not change this record."), "forbidden")
    record_access(user, action, object_type, [patient.id], patient.id)
    return patient


@lru_cache(maxsize=64)
def _patient_statement(role: Role, load: tuple[ORMOption, ...]) -> Select[tuple[Patient]]:
    # Built once per role and load options, the user and the patient as parameters:
    # building and keying it cost about as much as running it.
    return (visible_patients_of(role, bindparam("user_id"))
            .where(Patient.id == bindparam("patient_id")).options(*load))


def get_enrolment(user: User, enrolment_id: int, action: str = READ) -> Enrolment:
    """The enrolment if ``user`` may see its patient; audited."""
    enrolment = db.session.scalar(
        select(Enrolment)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .where(Enrolment.id == enrolment_id,
               Patient.id.in_(visible_patients(user).with_only_columns(Patient.id)))
    )
    if enrolment is None:
        raise NotFound(_("No such enrolment."), "enrolment_not_found")
    if action == WRITE and not can_write(user, enrolment.patient):
        raise Forbidden(_("Your role may not change this record."), "forbidden")
    record_access(user, action, "enrolment", [enrolment.patient_id], enrolment.id)
    return enrolment


@read_use_case
def read_patient(user: User, patient_id: int) -> Patient:
    """One patient with their enrolments, as a use case of its own; audited."""
    return get_patient(user, patient_id)


@read_use_case
def read_enrolment(user: User, enrolment_id: int) -> Enrolment:
    """One enrolment, as a use case of its own; audited."""
    return get_enrolment(user, enrolment_id)
