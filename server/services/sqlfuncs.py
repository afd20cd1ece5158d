"""Date arithmetic written once for both databases (SQLite has no date type)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class days_between(FunctionElement[int]):  # noqa: N801 - reads as the SQL function it is
    """Whole days from the second date to the first (``later - earlier``)."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_pg(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (f"CAST(julianday({compiler.process(later, **kw)}) - "
            f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)")


def programme_week(day: ColumnElement[Any], start: ColumnElement[Any]) -> ColumnElement[int]:
    """The programme week (1 on the start day) of ``day`` for a programme starting ``start``."""
    # Days are never before the start (ingest refuses them), so integer division is a floor.
    return days_between(day, start) // 7 + 1
