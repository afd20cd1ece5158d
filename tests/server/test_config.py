"""SECRET_KEY: given, kept for the demo, refused when missing in a real deployment."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.config import MissingSecretKey, resolve_secret_key


def test_the_demo_draws_its_key_once_and_keeps_it_private(tmp_path: Path) -> None:
    first = resolve_secret_key({"DEMO": True}, tmp_path)
    second = resolve_secret_key({"DEMO": True}, tmp_path)  # another worker, or a restart
    assert first == second and len(first) == 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_a_deployment_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(MissingSecretKey, match="SECRET_KEY is not set"):
        resolve_secret_key({"DEMO": False}, tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_create_app_refuses_without_secret_key_when_a_database_is_configured(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from server import create_app

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(MissingSecretKey):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "a configured key")
    assert create_app().config["SECRET_KEY"] == "a configured key"


def test_a_given_key_wins_and_tests_get_a_random_one(tmp_path: Path) -> None:
    assert resolve_secret_key({"SECRET_KEY": "given", "DEMO": False}, tmp_path) == "given"
    assert resolve_secret_key({"TESTING": True, "DEMO": False}, tmp_path)
