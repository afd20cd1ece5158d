"""Settings, read from the environment in one place and never at import time of views."""

from __future__ import annotations

import os
import secrets
import time
from datetime import date
from pathlib import Path
from typing import Any


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'reprise.sqlite'}"
    # Tell SQLAlchemy to use psycopg 3 whatever spelling the operator used.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def settings_from_env(instance_path: Path) -> dict[str, Any]:
    """The application's settings for this process."""
    secret = os.environ.get("SECRET_KEY")
    as_of = os.environ.get("REPRISE_AS_OF")
    yes = {"1", "true", "yes", "on"}
    return {
        # Outbound notifications (server.services.channels). A channel without
        # its setting is off: its messages stay pending in the outbox, unsent,
        # until it is configured. E-mail needs SMTP_HOST (plain SMTP on port 25
        # unless told otherwise; STARTTLS and login only when asked for);
        # SMS and voice calls need NOTIFY_WEBHOOK_URL.
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", 25)),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "").strip().lower() in yes,
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_FROM": os.environ.get("SMTP_FROM", "Reprise <ne-pas-repondre@localhost>"),
        "SMTP_TIMEOUT": float(os.environ.get("SMTP_TIMEOUT", 10)),
        # Health data (a patient's name, a finding) goes out by e-mail only when the mail
        # server is a secure health messaging service (MSSanté in France): declared here.
        "SMTP_SECURE_HEALTH_MESSAGING":
            os.environ.get("SMTP_SECURE_HEALTH_MESSAGING", "").strip().lower() in yes,
        # Domains of secure health messaging addresses (MSSanté): a synthesis goes to a
        # professional as an e-mail attachment only at such an address, by post otherwise.
        "SECURE_MAIL_DOMAINS": tuple(
            d.strip().lower().lstrip("@.") for d in
            os.environ.get("REPRISE_SECURE_MAIL_DOMAINS", "mssante.fr").split(",") if d.strip()),
        # The address staff open Reprise at, for links in messages (none when unset).
        "PUBLIC_URL": (os.environ.get("REPRISE_PUBLIC_URL") or "").rstrip("/") or None,
        # The FHIR export's identifier system: a URL the organisation controls, under which
        # every exported resource's identifier and Reprise's local code systems are named.
        # Set it once: another value makes another system's identifiers.
        "FHIR_SYSTEM": (os.environ.get("REPRISE_FHIR_SYSTEM")
                        or "https://reprise.example.org/fhir").rstrip("/"),
        "NOTIFY_WEBHOOK_URL": os.environ.get("NOTIFY_WEBHOOK_URL") or None,
        "NOTIFY_WEBHOOK_TOKEN": os.environ.get("NOTIFY_WEBHOOK_TOKEN") or None,
        "NOTIFY_WEBHOOK_TIMEOUT": float(os.environ.get("NOTIFY_WEBHOOK_TIMEOUT", 10)),
        # None when unset: resolve_secret_key decides once the test settings are known.
        "SECRET_KEY": secret or None,
        "DEMO": not os.environ.get("DATABASE_URL"),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # The demo's database (no DATABASE_URL): the only one `reprise demo-data` may
        # empty or fill with the published demo logins without being told otherwise.
        "DEMO_DATABASE_URI": f"sqlite:///{instance_path / 'reprise.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "TIMEZONE": os.environ.get("TZ_PROGRAMME", os.environ.get("REPRISE_TZ", "Europe/Paris")),
        "AS_OF": date.fromisoformat(as_of) if as_of else None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("REPRISE_MAX_BODY", 8 * 1024 * 1024)),
        # Reverse proxies (load balancer, nginx) in front of the server, each adding its hop to
        # X-Forwarded-For: the client's address is read that many hops back.
        "PROXIES": int(os.environ.get("REPRISE_PROXIES", 0)),
        "PAIRING_CODE_TTL_MINUTES": int(os.environ.get("REPRISE_PAIRING_TTL", 60 * 24)),
        "STAFF_TOKEN_TTL_HOURS": int(os.environ.get("REPRISE_STAFF_TOKEN_TTL", 12)),
        # Wording of licensed instruments (CRQ, Oswestry, Dallas, STarT Back), installed by the
        # programme under its own licence: without it forms show item numbers and domains.
        "INSTRUMENT_WORDING_PATH": os.environ.get("REPRISE_INSTRUMENT_WORDING") or None,
        # A device token expires this many days after its last use (renewed by each use).
        "DEVICE_TOKEN_TTL_DAYS": int(os.environ.get("REPRISE_DEVICE_TOKEN_TTL_DAYS", 90)),
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": ("fr", "en"),
        "API_TITLE": "Reprise API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "JSON_SORT_KEYS": False,
        # Staff pages (server.web): the session cookie never travels in clear text nor
        # to other sites' requests; CSRF is checked on the pages' POSTs only, since the API
        # authenticates with bearer tokens rather than cookies.
        "SESSION_COOKIE_NAME": "reprise_session",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * int(os.environ.get("REPRISE_STAFF_TOKEN_TTL", 12)),
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_I18N_ENABLED": True,
    }


SECRET_KEY_FILE = "secret_key"


class MissingSecretKey(RuntimeError):
    """Start-up refused: a real deployment without SECRET_KEY."""


def resolve_secret_key(config: dict[str, Any], instance_path: Path) -> str:
    """The key sessions, CSRF tokens and pairing codes are signed with, the same in every worker.

    Given in SECRET_KEY: that one. Tests: a random one. The demo (no DATABASE_URL,
    the SQLite file in the instance folder): drawn once and kept in the instance
    folder (mode 0600), so that every worker and every restart agree. Anywhere
    else the server refuses to start: a random key per process would break
    sessions, CSRF and pairing codes from one worker to the next.
    """
    if config.get("SECRET_KEY"):
        return str(config["SECRET_KEY"])
    if config.get("TESTING"):
        return secrets.token_hex(32)
    if not config.get("DEMO"):
        raise MissingSecretKey(
            "SECRET_KEY is not set. Outside the demo (DATABASE_URL is set) Reprise needs a "
            "long random SECRET_KEY shared by all its processes, for example: "
            "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')")
    path = instance_path / SECRET_KEY_FILE
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two workers starting together, one writes the key, the other reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = ""
        for _attempt in range(50):  # the other worker may still be writing it
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise MissingSecretKey(f"{path} is empty; delete it to draw a new key.") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
