"""Bearer-token authentication, one hook per blueprint: staff or patient device."""

from __future__ import annotations

from flask import g, request

from server.i18n import gettext as _
from server.models import ApiToken, User
from server.services.auth import use_token
from server.services.errors import Unauthorized
from shared.enums import Role


def _bearer_token() -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized(_("Authentication required."), "missing_token")
    token = use_token(raw.strip())
    if token is None:
        raise Unauthorized(_("Invalid, expired or revoked token."), "invalid_token")
    g.token = token
    return token


def require_staff() -> None:
    """before_request hook: a live staff token; sets ``g.user``."""
    token = _bearer_token()
    if token.user is None or token.user.role == Role.PATIENT:
        raise Unauthorized(_("This endpoint is for staff accounts."), "staff_only")
    g.user = token.user


def require_patient() -> None:
    """before_request hook: a live device token; sets ``g.patient_id``."""
    token = _bearer_token()
    if token.patient_id is None:
        raise Unauthorized(_("This endpoint is for a patient's paired device."), "device_only")
    g.patient_id = token.patient_id


def current_user() -> User:
    """The authenticated staff user of this request."""
    return g.user
