"""Where synthetic data may go: the demo's database, or another one when told explicitly.

"The demo" is the database used when no DATABASE_URL is set (the SQLite file
``instance/reprise.sqlite``). Generating a cohort, and above all emptying a
database first, anywhere else needs ``allow_any_database``; and the published
demo password never opens an account outside the demo's database.
"""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy.engine import make_url

DEMO_PASSWORD = "reprise-demo-2026"


class TargetRefused(Exception):
    """Synthetic data would go where it must not; nothing was written."""


def is_demo_database() -> bool:
    """Whether the current app writes to the demo's database."""
    config = current_app.config
    return bool(config["SQLALCHEMY_DATABASE_URI"] == config["DEMO_DATABASE_URI"])


def check_target(*, allow_any_database: bool, staff_password: str | None = None) -> None:
    """Raise :class:`TargetRefused` unless synthetic data may be written here."""
    if is_demo_database():
        return
    where = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
        hide_password=True)
    if not allow_any_database:
        raise TargetRefused(
            f"Refusing to write demo data into {where}: it is not the demo's database "
            "(DATABASE_URL is set). Demo data, and --reset which deletes every row, go only "
            "into instance/reprise.sqlite unless --allow-any-database is given.")
    if staff_password == DEMO_PASSWORD:
        raise TargetRefused(
            f"Refusing to give accounts in {where} the published demo password.")


def staff_password() -> str:
    """The demo password in the demo's database; elsewhere one drawn for this run."""
    return DEMO_PASSWORD if is_demo_database() else secrets.token_urlsafe(12)
