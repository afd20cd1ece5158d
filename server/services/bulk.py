"""Bulk row writes: COPY or one statement over arrays on PostgreSQL, one executemany elsewhere.

Jobs over the whole active file write tens of thousands of rows. An
executemany sends one statement per row, and a multi-row VALUES statement
costs the driver more to build than the database to run; a statement over
``unnest`` of one array per column costs neither.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import psycopg
from sqlalchemy import JSON, Table, bindparam, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models.types import StrEnumType


def copy_rows(session: Session, table: Table, columns: Sequence[str],
              rows: Sequence[Sequence[object]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) in the session's transaction.

    A unique or foreign key violated raises SQLAlchemy's ``IntegrityError``, as
    an INSERT would, whatever the path.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        column_list = ", ".join(columns)
        statement = f"COPY {table.name} ({column_list}) FROM STDIN"
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.IntegrityError as error:
            raise IntegrityError(statement, None, error) from error
        return
    connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                ids_by: str | None = None) -> dict[Any, int]:
    """Insert rows given as dictionaries.

    A column some rows leave out takes its default there (or NULL). With
    ``ids_by`` (a unique column), answers the new ids by that column's values.
    On PostgreSQL the ids are drawn from the table's sequence first and the
    rows go through COPY, which bypasses SQLAlchemy's column types: enums are
    sent as their values and JSON columns as JSON text here.
    """
    if not rows:
        return {}
    rows = _complete(table, rows)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        if ids_by is None:
            connection.execute(insert(table), list(rows))
            return {}
        # Unordered RETURNING: one batch, where asking for parameter order may not be.
        inserted = connection.execute(
            insert(table).returning(table.c.id, table.c[ids_by]), list(rows))
        return {key: row_id for row_id, key in inserted}
    columns = list(rows[0])
    values = _for_copy(table, columns, [[row[name] for name in columns] for row in rows])
    if ids_by is None:
        copy_rows(session, table, columns, values)
        return {}
    ids = connection.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": len(rows)}).scalars().all()
    copy_rows(session, table, ["id", *columns],
              [[row_id, *value] for row_id, value in zip(ids, values, strict=True)])
    return {row[ids_by]: row_id for row, row_id in zip(rows, ids, strict=True)}


def insert_skipping(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                    unique: str) -> int:
    """Insert rows given as dictionaries, but those whose ``unique`` column value is stored
    already (or comes earlier in ``rows``); how many were inserted.

    A column some rows leave out takes its default there (or NULL).
    """
    if not rows:
        return 0
    rows = _complete(table, rows)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=[unique])
        return len(connection.execute(statement.returning(table.c.id), list(rows)).all())
    columns = list(rows[0])
    statement = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM "
                 f"{_unnest(table, columns)} ON CONFLICT ({unique}) DO NOTHING")
    return _run_over_arrays(session, statement, table, columns, rows)


def update_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                key: str = "id") -> None:
    """Update the rows given as dictionaries: each names its row by ``key`` and holds the
    columns to set. One statement per set of columns."""
    connection = session.connection()
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    for columns, group in groups.items():
        changed = [name for name in columns if name != key]
        if connection.dialect.name == "postgresql":
            assignments = ", ".join(f"{name} = v.{name}" for name in changed)
            _run_over_arrays(session, f"UPDATE {table.name} AS t SET {assignments} FROM "
                             f"{_unnest(table, columns)} WHERE t.{key} = v.{key}",
                             table, columns, group)
            continue
        # Bound under other names: SQLAlchemy keeps a column's own name for its value.
        connection.execute(
            table.update().where(table.c[key] == bindparam(f"b_{key}"))
            .values({name: bindparam(f"b_{name}") for name in changed}),
            [{f"b_{name}": value for name, value in row.items()} for row in group])


def _unnest(table: Table, columns: Sequence[str]) -> str:
    """``unnest`` of one array parameter per column, typed as the column, as a row source."""
    dialect = postgresql.dialect()
    arrays = ", ".join(f"%b::{table.c[name].type.compile(dialect=dialect)}[]"
                       for name in columns)
    return f"unnest({arrays}) AS v({', '.join(columns)})"


def _run_over_arrays(session: Session, statement: str, table: Table, columns: Sequence[str],
                     rows: Sequence[dict[str, Any]]) -> int:
    """Run ``statement`` with one array per column of ``rows``; the rows it touched.

    A constraint violated raises SQLAlchemy's ``IntegrityError``, as the ORM would.
    """
    values = _for_copy(table, columns, [[row[name] for name in columns] for row in rows])
    arrays = [list(column) for column in zip(*values, strict=True)]
    raw = session.connection().connection.driver_connection
    try:
        with raw.cursor() as cursor:
            cursor.execute(statement, arrays)
            return cursor.rowcount
    except psycopg.errors.IntegrityError as error:
        raise IntegrityError(statement, None, error) from error


def _complete(table: Table, rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """``rows`` with the same keys each: a key some rows lack, or a column with a default
    that all rows leave out, takes the column's default (or NULL), as the ORM would."""
    keys = {key: None for row in rows for key in row}
    keys.update({column.key: None for column in table.columns
                 if column.default is not None and column.key not in keys})
    if all(len(row) == len(keys) for row in rows):
        return rows
    defaults = {key: table.c[key].default for key in keys}
    return [{key: row[key] if key in row else _default(defaults[key]) for key in keys}
            for row in rows]


def _default(default: Any) -> Any:
    """A column's Python-side default value (None when it has none)."""
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)
    return default.arg if default.is_scalar else None


def write_rows(session: Session, table: Table, columns: Sequence[str],
               rows: Sequence[Sequence[object]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, values as the ORM takes them).

    Unlike :func:`copy_rows`, JSON columns may hold Python objects and enum
    columns enums: they are converted for COPY on PostgreSQL, left to the
    column types elsewhere.
    """
    if not rows:
        return
    if session.connection().dialect.name == "postgresql" and any(
            isinstance(table.c[name].type, JSON | StrEnumType) for name in columns):
        rows = _for_copy(table, columns, [list(row) for row in rows])
    copy_rows(session, table, columns, rows)


def _for_copy(table: Table, columns: Sequence[str],
              values: list[list[Any]]) -> list[list[Any]]:
    """``values`` with JSON columns as JSON text and enums as their values, in place."""
    # Converted by column type, and only the columns that need it: rows may number tens
    # of thousands.
    convert = {index: _as_json if isinstance(table.c[name].type, JSON) else _enum_value
               for index, name in enumerate(columns)
               if isinstance(table.c[name].type, JSON | StrEnumType)}
    for value in values:
        for index, function in convert.items():
            value[index] = function(value[index])
    return values


def _as_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value
