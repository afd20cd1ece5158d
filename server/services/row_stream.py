"""Reading a large result while the database is still producing it.

A batch over the whole active file reads tens of thousands of rows and does
Python work on each. Fetched all at once, the database works while Python
waits, then Python works while the database waits. Streamed in chunks
(libpq's chunked mode, psycopg's ``Cursor.stream``), the two overlap on a
machine's two cores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from sqlalchemy import Select
from sqlalchemy.orm import Session

CHUNK_ROWS = 1000  # rows per chunk: large enough that a chunk's overhead is noise


def stream_rows(session: Session, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query`` as tuples in its column order, typed as SQLAlchemy would.

    On PostgreSQL (libpq 17 or later) they come as the database sends them;
    elsewhere all at once. The session's connection is busy until the
    iterator is exhausted or closed: run no other statement in between.
    """
    connection = session.connection()
    if (connection.dialect.name != "postgresql"
            or not psycopg.capabilities.has_stream_chunked()):
        yield from (tuple(row) for row in connection.execute(query))
        return
    # Literal values (dates, ids, enum values: never text from a request) let the driver
    # run the statement without SQLAlchemy's parameter processing, which streaming bypasses.
    sql = str(query.compile(dialect=connection.dialect,
                            compile_kwargs={"literal_binds": True}))
    convert = _result_processors(query, connection.dialect)
    with connection.connection.driver_connection.cursor() as cursor:
        # No parameters, but an empty tuple: the driver then reads the compiler's escaped
        # "%%" as the "%" it stands for, where without any it would send "%%" as written.
        rows = cursor.stream(sql, (), size=CHUNK_ROWS)
        if not convert:
            yield from rows
            return
        for row in rows:
            values = list(row)
            for index, process in convert:
                if values[index] is not None:
                    values[index] = process(values[index])
            yield tuple(values)


def _result_processors(query: Select[Any], dialect: Any) -> list[tuple[int, Callable[[Any], Any]]]:
    """The columns whose driver values SQLAlchemy converts, with the conversion."""
    processors = (column.type.result_processor(dialect, None)
                  for column in query.selected_columns)
    return [(index, process) for index, process in enumerate(processors) if process]
