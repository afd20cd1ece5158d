"""Log-in under attack: atomic lock-out, throttling per address, no oracle, TOTP limits."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from server.extensions import db
from server.models import LoginThrottle
from server.services import auth as auth_service
from shared.enums import Role
from tests.conftest import PASSWORD

LOGIN = "/api/v1/auth/login"


class CountingHasher(PasswordHasher):
    """argon2id at its lowest cost that counts the hashes it checks (thread-safe)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.checked = 0
        self.hashes: list[str] = []
        self._lock = threading.Lock()

    def verify(self, hash: str, password: str) -> bool:  # noqa: A002 (the library's name)
        with self._lock:
            self.checked += 1
            self.hashes.append(hash)
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(auth_service, "_hasher", counting)
    return counting


def _post(client, body, address="192.0.2.1"):
    return client.post(LOGIN, json=body, environ_base={"REMOTE_ADDR": address})


def test_unknown_known_and_locked_accounts_cost_and_answer_the_same(client, factories, hasher):
    user = factories.user(Role.REFERENT, email="known@example.org")
    before = hasher.checked
    unknown = _post(client, {"email": "nobody@example.org", "password": "guess guess guess"})
    assert hasher.checked == before + 1, "an unknown e-mail runs argon2 too"
    known = _post(client, {"email": user.email, "password": "guess guess guess"})
    assert hasher.checked == before + 2
    assert unknown.status_code == known.status_code == 401
    assert unknown.get_json() == known.get_json()
    for _ in range(auth_service.MAX_FAILED_LOGINS):
        _post(client, {"email": user.email, "password": "guess"}, "192.0.2.2")
    before = hasher.checked
    locked = _post(client, {"email": user.email, "password": PASSWORD}, "192.0.2.3")
    assert hasher.checked == before + 1, "a locked account costs the same argon2 check"
    assert locked.get_json() == unknown.get_json()


def test_a_right_password_does_not_forgive_wrong_totp_codes(client, factories, clock):
    user = factories.user(Role.PHYSICIAN, email="totp@example.org")
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    credentials = {"email": user.email, "password": PASSWORD}
    for attempt in range(8):
        _post(client, {**credentials, "totp": "000000"}, f"192.0.2.{attempt + 10}")
    db.session.refresh(user)
    assert user.locked_until is not None
    code = pyotp.TOTP(user.totp_secret).at(clock.now())
    valid = _post(client, {**credentials, "totp": code}, "192.0.2.50")
    assert valid.status_code == 401, "a valid code is refused while the account is locked"
    clock.set(clock.now() + auth_service.LOCKOUT + timedelta(minutes=1))
    code = pyotp.TOTP(user.totp_secret).at(clock.now())
    assert _post(client, {**credentials, "totp": code}, "192.0.2.51").status_code == 200


def test_one_address_is_throttled_with_429_and_retry_after(client, factories, clock):
    users = [factories.user(Role.REFERENT) for _ in range(4)]
    answers = [_post(client, {"email": users[i % 4].email, "password": "wrong wrong wrong"})
               for i in range(auth_service.THROTTLE_ATTEMPTS + 1)]
    assert [a.status_code for a in answers[:-1]] == [401] * auth_service.THROTTLE_ATTEMPTS
    throttled = answers[-1]
    assert throttled.status_code == 429
    body = throttled.get_json()
    assert body["code"] == "too_many_attempts" and body["status"] == 429
    assert "Trop de tentatives" in body["message"]
    assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
    # Even the right password waits, from that address; another address is not held up.
    assert _post(client, {"email": users[0].email, "password": PASSWORD}).status_code == 429
    assert _post(client, {"email": users[1].email, "password": PASSWORD},
                 "198.51.100.7").status_code == 200
    clock.set(clock.now() + auth_service.THROTTLE_WINDOW)
    assert _post(client, {"email": users[1].email, "password": PASSWORD}).status_code == 200


def test_successful_log_ins_do_not_use_up_the_address_allowance(client, factories):
    user = factories.user(Role.REFERENT)
    for _ in range(auth_service.THROTTLE_ATTEMPTS + 5):
        assert _post(client, {"email": user.email, "password": PASSWORD}).status_code == 200


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"),
                    reason="parallel log-ins need PostgreSQL (SQLite serialises writers)")
def test_parallel_wrong_passwords_are_counted_exactly(app, client, factories, hasher):
    user = factories.user(Role.REFERENT, email="target@example.org")
    email = user.email

    def attempt(i: int, address: str) -> int:
        with app.test_client() as own:
            return _post(own, {"email": email, "password": f"wrong guess {i}"},
                         address).status_code

    # 20 at once from 20 addresses: exactly five passwords are checked before the lock.
    before = hasher.checked
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda i: attempt(i, f"203.0.113.{i}"), range(20)))
    assert codes == [401] * 20
    assert hasher.checked - before == 20, "every answer costs one argon2 check"
    assert hasher.hashes.count(user.password_hash) == auth_service.MAX_FAILED_LOGINS
    db.session.refresh(user)
    assert user.locked_until is not None and user.failed_logins == auth_service.MAX_FAILED_LOGINS

    # 20 at once from one address: the counter rises by exactly 20, ten get through.
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda i: attempt(i, "203.0.113.200"), range(20)))
    assert sorted(codes) == [401] * 10 + [429] * 10
    db.session.expire_all()
    row = db.session.scalar(select(LoginThrottle).where(
        LoginThrottle.address == "203.0.113.200"))
    assert row.attempts == 20


def test_pairing_code_guesses_are_throttled_per_address(client):
    for _ in range(auth_service.THROTTLE_ATTEMPTS):
        wrong = client.post("/api/v1/auth/pair", json={"code": "ZZZZ-ZZZZ"},
                            environ_base={"REMOTE_ADDR": "192.0.2.99"})
        assert wrong.status_code == 404
    throttled = client.post("/api/v1/auth/pair", json={"code": "ZZZZ-ZZZZ"},
                            environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
