"""Who is behind a page request: the staff session, role checks, and where each role lands.

The session cookie (signed, HttpOnly, Secure, SameSite=Lax) carries the row
id of a staff token issued by ``services.auth``, never the token itself: a
copied cookie opens no API. Every request resolves it again, so a revoked
token, a deactivated account or an expired session ends at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from server.models import User
from server.services.auth import resolve_session
from shared.enums import Role

F = TypeVar("F", bound=Callable[..., Any])

# Pages reachable without a session: the log-in steps, the language switch and error pages.
PUBLIC_ENDPOINTS = frozenset({
    "web.auth.login", "web.auth.totp", "web.auth.language",
})
HOME_BY_ROLE = {
    Role.REFERENT: "web.queue.index",
    Role.PHYSICIAN: "web.physician.index",
    Role.COORDINATOR: "web.coordinator.index",
    Role.ADMIN: "web.admin.index",
}


def load_user() -> Any:
    """before_request hook: set ``g.user`` from the session, or send to the log-in page."""
    g.user = None
    sid = session.get("sid")
    if isinstance(sid, int):
        token = resolve_session(sid)
        if token is not None and token.user is not None and token.user.role != Role.PATIENT:
            # The token's new last_used_at is saved with the page's own commit: one
            # write per request, not two (an error page may lose it, which is harmless).
            g.user, g.token = token.user, token
        else:
            session.pop("sid", None)
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("web.auth.login", next=request.full_path
                                if request.method == "GET" else None))
    return None


def current_user() -> User:
    """The staff member of this request (pages other than the log-in steps)."""
    return g.user


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Limit a view to some roles; others get 403 (their own pages are elsewhere)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user is None or g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def home_endpoint(user: User | None) -> str:
    """The endpoint a role starts from."""
    if user is None:
        return "web.auth.login"
    return HOME_BY_ROLE.get(user.role, "web.auth.login")


def safe_next(target: str | None) -> str | None:
    """A local path to go back to after log-in; anything else is dropped (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
