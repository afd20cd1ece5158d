"""The tablet's HTTP client of the Reprise API (``/api/v1``), on requests.

Errors come out as three exceptions the sync engine acts on:
:class:`Unreachable` (no network, timeout, server error: try again later),
:class:`Unauthorized` (the device token was revoked: pair again) and
:class:`Refused` (the server refuses the request; for a batch, which items
and why).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = 15.0


class ApiError(Exception):
    """A request did not succeed; ``message`` is readable by the patient."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unreachable(ApiError):
    """The server could not be reached or failed: the request may be repeated later."""


class Unauthorized(ApiError):
    """The device token is unknown or revoked."""


class Refused(ApiError):
    """The server refused the request (4xx); repeating it unchanged will not help.

    ``item_errors`` maps the index of each refused item of a batch to the
    reason, fields named, as the server gave it.
    """

    def __init__(self, status: int, message: str, item_errors: dict[int, str]) -> None:
        super().__init__(message)
        self.status = status
        self.item_errors = item_errors


def normalise_server_url(text: str) -> str:
    """``http(s)://host[:port][/path]`` without a trailing slash; ValueError otherwise."""
    url = text.strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(url)
    return url


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    if isinstance(errors, dict):
        return [line for key, value in errors.items()
                for line in _flatten(value, f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(errors, list):
        return [line for e in errors for line in _flatten(e, prefix)]
    return [f"{prefix}: {errors}" if prefix else str(errors)]


def item_errors(body: Any) -> dict[int, str]:
    """Per-item reasons from an error body: ``errors.items.<i>`` or ``errors.json.items.<i>``."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, dict) and isinstance(errors.get("json"), dict):
        errors = errors["json"]  # flask-smorest nests schema errors under the location
    items = errors.get("items") if isinstance(errors, dict) else None
    if not isinstance(items, dict):
        return {}
    result = {}
    for key, fields in items.items():
        try:
            index = int(key)
        except (TypeError, ValueError):
            continue
        result[index] = "; ".join(_flatten(fields))
    return result


class ApiClient:
    """Calls of the patient's tablet; ``token`` is None before pairing."""

    def __init__(self, server_url: str, token: str | None = None, language: str = "fr",
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base = normalise_server_url(server_url) + API_PREFIX
        self.timeout = timeout
        self.http = requests.Session()
        # The server writes its error messages in the patient's language.
        self.http.headers["Accept-Language"] = language
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        """Release the connection pool."""
        self.http.close()

    def _call(self, method: str, path: str, json: Any = None,
              params: dict[str, Any] | None = None) -> Any:
        try:
            response = self.http.request(method, self.base + path, json=json, params=params,
                                         timeout=self.timeout)
        except requests.RequestException as exc:
            raise Unreachable(str(exc)) from exc
        if response.status_code < 300:
            return response.json() if response.content else None
        try:
            body = response.json()
        except ValueError:
            body = {}
        message = body.get("message") if isinstance(body, dict) else None
        message = message or f"HTTP {response.status_code}"
        if response.status_code == 401:
            raise Unauthorized(message)
        # 408 and 429 say "later"; 5xx is the server's own trouble: both are retried.
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise Unreachable(message)
        raise Refused(response.status_code, message, item_errors(body))

    def pair(self, code: str, device_label: str) -> dict[str, Any]:
        """Exchange a pairing code for ``{"token", "patient_id", "first_name", ...}``."""
        return self._call("POST", "/auth/pair", json={"code": code, "device_label": device_label})

    def plan(self) -> dict[str, Any]:
        """This week's plan: phase, week, prescription, targets, booklet, next contacts."""
        return self._call("GET", "/me/plan")

    def progress(self) -> dict[str, Any]:
        """Sessions per week against the target band."""
        return self._call("GET", "/me/progress")

    def notifications(self, limit: int = 50) -> dict[str, Any]:
        """The newest in-app messages and the number unread."""
        return self._call("GET", "/me/notifications", params={"limit": limit})

    def syntheses(self) -> list[dict[str, Any]]:
        """The reviews of the programme sent by the care team, newest first."""
        return self._call("GET", "/me/syntheses")

    def mark_read(self, notification_id: int) -> dict[str, Any]:
        """Mark one message read."""
        return self._call("POST", f"/me/notifications/{notification_id}/read")

    def upload(self, path: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send one batch to ``path`` (e.g. ``/me/sessions``); the receipts in order."""
        return self._call("POST", path, json={"items": items})["items"]
