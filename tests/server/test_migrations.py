"""The Alembic migrations build exactly the models' schema, and undo it, on both databases."""

import ast
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from server import create_app
from server.extensions import db
from server.services import samples
from tests.conftest import own_database
from tests.server.migration_data import DATA

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


@pytest.fixture
def empty_database(tmp_path):
    """A database of its own: a fresh PostgreSQL database, or a SQLite file."""
    with own_database("migrations", tmp_path) as uri:
        yield uri


def test_upgrade_matches_models_and_downgrade_removes_everything(empty_database):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=MIGRATIONS)
        assert "session_series" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_migrations_have_a_single_head():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config(
            MIGRATIONS))
        assert len(script.get_heads()) == 1


def _imported_modules(path: Path) -> set[str]:
    """The top-level packages a Python file imports (``import a.b``, ``from a.b import c``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_migrations_import_no_project_code():
    # A migration replays the schema and data of its day: code that changes later
    # (services, models, rules) would make replaying it break or compute something
    # else. env.py reaches the metadata through Flask-Migrate's extension
    # (``current_app``), not by importing the server.
    project = {"server", "shared", "mobile", "tests", "bench"}
    files = [Path(MIGRATIONS) / "env.py", *sorted((Path(MIGRATIONS) / "versions").glob("*.py"))]
    assert len(files) > 7
    offenders = {path.name: sorted(_imported_modules(path) & project) for path in files}
    assert {name: found for name, found in offenders.items() if found} == {}


def _revisions(app) -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config(MIGRATIONS))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_every_revision_has_its_data_writer():
    # Adding a revision: add its rows (and what they become at head) to migration_data.DATA.
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        assert _revisions(app) == list(DATA)


def test_data_written_at_every_revision_is_read_right_at_head(empty_database):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        for revision in _revisions(app):
            upgrade(directory=MIGRATIONS, revision=revision)
            with db.engine.begin() as conn:
                DATA[revision].write(conn)
        upgrade(directory=MIGRATIONS)
        try:
            for data in DATA.values():
                data.check()
        finally:
            db.session.rollback()
            db.engine.dispose()


def test_0010_packs_existing_heart_rate_rows_and_the_downgrade_unpacks_them(empty_database):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0007")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, full_name, role, active, failed_logins, "
                "created_at, locale) VALUES (1, 'r@x.test', 'R', 'referent', true, 0, "
                "'2026-01-01T00:00:00+00:00', 'fr')"))
            conn.execute(text(
                "INSERT INTO patients (id, first_name, last_name, birth_date, sex, phone, "
                "created_at) VALUES (1, 'J', 'M', '1950-01-01', 'F', '0600000000', "
                "'2026-01-01T00:00:00+00:00')"))
            conn.execute(text(
                "INSERT INTO enrolments (id, patient_id, programme_code, state, "
                "referral_source, dossier, requested_at) VALUES (1, 1, 'respiratory_home', "
                "'requested', 'other', '{}', '2026-01-01T00:00:00+00:00')"))
            for sid in (1, 2):
                conn.execute(text(
                    "INSERT INTO ergo_sessions (id, client_id, payload_digest, received_at, "
                    "patient_id, enrolment_id, started_at, day, duration_s, source, "
                    "hr_sample_count) VALUES (:id, :cid, 'd', '2026-01-02T10:00:00+00:00', 1, 1, "
                    "'2026-01-02T09:00:00+00:00', '2026-01-02', 1800, 'guided', 3)"),
                    {"id": sid, "cid": f"0000000{sid}-0000-0000-0000-000000000000"})
            conn.execute(text("INSERT INTO hr_samples (session_id, offset_s, bpm) VALUES "
                              "(1, 0, 90), (1, 2, 95), (1, 4, 131), (2, 10, 88)"))
        upgrade(directory=MIGRATIONS, revision="0010")
        assert samples.read_series([1, 2], samples.HEART_RATE) == {
            1: [(0, 90), (2, 95), (4, 131)], 2: [(10, 88)]}
        db.session.rollback()
        downgrade(directory=MIGRATIONS, revision="0007")
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT session_id, offset_s, bpm FROM hr_samples ORDER BY 1, 2")).all()
        assert [tuple(r) for r in rows] == [(1, 0, 90), (1, 2, 95), (1, 4, 131), (2, 10, 88)]
        db.engine.dispose()
