"""`/healthz` and `/readyz`: what a load balancer asks before sending traffic.

``/healthz`` answers as long as the process serves requests; ``/readyz`` also
asks the database for its schema revision and compares it with the head of the
migrations this code ships: a worker whose database is down, or not yet
migrated, is taken out of rotation rather than answering errors.
"""

from __future__ import annotations

import logging
from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server.extensions import db

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@cache
def _head(directory: str) -> str | None:
    config = current_app.extensions["migrate"].migrate.get_config(directory)
    return ScriptDirectory.from_config(config).get_current_head()


def migrations_head() -> str | None:
    """The revision the database must be at for this code (the migrations' single head)."""
    return _head(current_app.extensions["migrate"].directory)


def _answer(code: int, **body: object) -> tuple[Response, int]:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, code


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """The process is up and serving."""
    return _answer(200, status="ok")


@bp.route("/readyz")
def readyz() -> tuple[Response, int]:
    """The database answers and its schema is at the migrations' head."""
    head = migrations_head()
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        logger.warning("readyz: database unavailable: %s", type(exc).__name__)
        return _answer(503, status="unavailable", reason="database", expected_revision=head)
    try:
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        # No alembic_version table: the database was never migrated.
        db.session.rollback()
        revision = None
    if revision != head:
        return _answer(503, status="unavailable", reason="migrations",
                       revision=revision, expected_revision=head)
    return _answer(200, status="ready", revision=revision)
