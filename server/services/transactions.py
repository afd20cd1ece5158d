"""The transaction of a use case belongs to its service, never to the view that calls it.

A service entry point that an HTML view and an API view share is decorated
with :func:`use_case` (it writes) or :func:`read_use_case` (it reads, and
writes only the audit rows of that read). Either way the service commits when
it returns and rolls back when it raises, so a refused request leaves nothing
half-stored and a view never touches the session: it authenticates, calls one
service, and renders or serializes what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from server.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def _transaction(fn: Callable[P, R], keep_loaded: bool) -> Callable[P, R]:
    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = fn(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        session = db.session()
        expire = session.expire_on_commit
        # A page renders what the read loaded: expiring it would reload every row, one
        # query each. Writes expire as usual, so what they return is read back fresh.
        session.expire_on_commit = expire and not keep_loaded
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
        return result

    return wrapper


def use_case(fn: Callable[P, R]) -> Callable[P, R]:
    """A use case that writes: commit on return, roll back everything on any error."""
    return _transaction(fn, keep_loaded=False)


def read_use_case(fn: Callable[P, R]) -> Callable[P, R]:
    """A use case that reads (and audits the read): commit the audit rows on return,
    keeping what was loaded readable without a reload; roll back on any error."""
    return _transaction(fn, keep_loaded=True)
