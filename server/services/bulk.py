"""Bulk row insertion: COPY on PostgreSQL, one executemany elsewhere."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def copy_rows(session: Session, table: Table, columns: Sequence[str],
              rows: Sequence[Sequence[object]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        column_list = ", ".join(columns)
        with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({column_list}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
