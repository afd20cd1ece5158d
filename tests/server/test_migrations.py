"""The Alembic migrations build exactly the models' schema, and undo it, on both databases."""

import ast
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from server import create_app
from server.config import _database_url
from server.extensions import db
from tests.server.migration_data import DATA

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


@pytest.fixture
def empty_database(tmp_path):
    """A database of its own: a fresh PostgreSQL database, or a SQLite file."""
    if not os.environ.get("DATABASE_URL"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    url = make_url(_database_url(Path(".")))
    name = f"{url.database}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
        assert "hr_samples" in inspect(db.engine).get_table_names()
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
