"""The demonstration cohort of ``reprise demo-data``: staff logins and 48 patients by default.

Only the demo's database may hold the published demo password; another
database, when explicitly allowed, gets a password drawn for the run and
printed once in the summary (see ``synthetic.target``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from server.clock import get_clock
from server.extensions import db
from server.models import User
from synthetic.plan import MIN_PATIENTS, Options, staff_accounts
from synthetic.target import DEMO_PASSWORD, check_target, staff_password
from synthetic.write import empty_database, generate, summary

__all__ = ["DEMO_PASSWORD", "MIN_PATIENTS", "build_demo_cohort"]

COORDINATOR_EMAIL = "coordination@reprise.demo"
# Logins listed in the summary: a big cohort has hundreds of referents.
LISTED_LOGINS = 12


def build_demo_cohort(*, patients: int, seed: int, reset: bool, today: date,
                      allow_any_database: bool = False) -> dict[str, Any]:
    """Build the staff accounts and a cohort of ``patients`` patients as of ``today``.

    With ``reset`` every row of every table is deleted first. Without it, a
    database that already holds the demo coordinator is left alone (so that
    ``make run`` can call this every time) and the summary says so. The
    summary gives the patient count, the enrolments by state, the session and
    heart-rate sample counts and the logins, with the password of the
    accounts created now. Outside the demo's database, only with
    ``allow_any_database`` (else :class:`~synthetic.target.TargetRefused`).
    """
    if patients < MIN_PATIENTS:
        raise ValueError(f"the demo cohort needs at least {MIN_PATIENTS} patients")
    check_target(allow_any_database=allow_any_database)
    password = staff_password()
    if reset:
        empty_database(db.session, allow_any_database=allow_any_database)
    elif db.session.scalar(select(User.id).where(User.email == COORDINATOR_EMAIL)) is not None:
        # The password drawn for another database was printed once, when it was created.
        known = password if password == DEMO_PASSWORD else None
        return {**summary(db.session), "created": False, **_logins(patients, known),
                "message": "Demo data already present; use --reset to rebuild it."}
    generate(db.session, Options(patients=patients, seed=seed, today=today,
                                 tz=get_clock().tz), password,
             allow_any_database=allow_any_database)
    return {**summary(db.session), "created": True, **_logins(patients, password)}


def _logins(patients: int, password: str | None) -> dict[str, Any]:
    accounts = staff_accounts(patients)
    return {"logins": [{"email": a.email, "role": a.role.value, "password": password}
                       for a in accounts[:LISTED_LOGINS]],
            "staff_accounts": len(accounts)}
