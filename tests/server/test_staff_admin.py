"""Granting access to patients: audited and told to every coordinator at once."""

from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import AuditEntry, Notification
from server.services import staff_admin
from shared.enums import Role
from tests.conftest import PASSWORD, Factories


def _grants() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "grant")))


def _mails(kind: str = "access_grant") -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == kind)))


def test_an_admin_creating_an_account_that_sees_patients_is_audited_and_told(
        factories: Factories) -> None:
    admin = factories.user(Role.ADMIN, full_name="Ada Admin")
    coordinators = [factories.user(Role.COORDINATOR) for _ in range(2)]
    created = staff_admin.create_staff(admin, email="ada.other@example.org",
                                       full_name="Ada Again", role=Role.COORDINATOR,
                                       password=PASSWORD)
    (grant,) = _grants()
    assert (grant.actor_id, grant.object_type, grant.object_id) == (admin.id, "user",
                                                                    str(created.id))
    mails = _mails()
    assert sorted(m.user_id for m in mails) == sorted(c.id for c in coordinators)
    assert "Ada Admin" in mails[0].body and "ada.other@example.org" in mails[0].body
    # The role in words, not its code.
    assert "le rôle Coordinateur" in mails[0].body and "coordinator" not in mails[0].body


def test_promoting_or_reactivating_into_a_patient_role_is_reported_but_not_other_changes(
        factories: Factories) -> None:
    admin = factories.user(Role.ADMIN)
    factories.user(Role.COORDINATOR)
    other_admin = staff_admin.create_staff(admin, email="it@example.org", full_name="IT",
                                           role=Role.ADMIN, password=PASSWORD)
    assert _grants() == [] and _mails() == []
    staff_admin.update_staff(admin, other_admin.id, role=Role.PHYSICIAN, active=True)
    assert len(_grants()) == 1 and len(_mails()) == 1
    staff_admin.update_staff(admin, other_admin.id, role=Role.PHYSICIAN, active=False)
    assert len(_grants()) == 1
    staff_admin.update_staff(admin, other_admin.id, role=Role.PHYSICIAN, active=True)
    assert len(_grants()) == 2
