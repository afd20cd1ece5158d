"""Settings, read from the environment in one place and never at import time of views."""

from __future__ import annotations

import os
import secrets
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
        "NOTIFY_WEBHOOK_URL": os.environ.get("NOTIFY_WEBHOOK_URL") or None,
        "NOTIFY_WEBHOOK_TOKEN": os.environ.get("NOTIFY_WEBHOOK_TOKEN") or None,
        "NOTIFY_WEBHOOK_TIMEOUT": float(os.environ.get("NOTIFY_WEBHOOK_TIMEOUT", 10)),
        # Without SECRET_KEY a random one is drawn: sessions and pairing codes
        # then do not survive a restart, which is right for a demo.
        "SECRET_KEY": secret or secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "TIMEZONE": os.environ.get("TZ_PROGRAMME", os.environ.get("REPRISE_TZ", "Europe/Paris")),
        "AS_OF": date.fromisoformat(as_of) if as_of else None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("REPRISE_MAX_BODY", 8 * 1024 * 1024)),
        # Reverse proxies (load balancer, nginx) in front of the server, each adding its hop to
        # X-Forwarded-For: the client's address is read that many hops back.
        "PROXIES": int(os.environ.get("REPRISE_PROXIES", 0)),
        "PAIRING_CODE_TTL_MINUTES": int(os.environ.get("REPRISE_PAIRING_TTL", 60 * 24)),
        "STAFF_TOKEN_TTL_HOURS": int(os.environ.get("REPRISE_STAFF_TOKEN_TTL", 12)),
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
