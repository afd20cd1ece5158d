"""What import-linter (``make lint``) cannot see: views never touch the database session."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[2] / "server"
VIEWS = sorted([*SERVER.glob("web/**/*.py"), *SERVER.glob("api/**/*.py")])


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: str(p.relative_to(SERVER)))
def test_views_leave_queries_and_transactions_to_the_services(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    sessions = [node.lineno for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and node.attr == "session"
                and isinstance(node.value, ast.Name) and node.value.id == "db"]
    database = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "server.extensions" and any(a.name == "db" for a in node.names)]
    queries = [node.lineno for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy"]
    assert not (sessions or database or queries), (sessions, database, queries)
