"""Exit 0 when PostgreSQL answers at the given URL, creating its database if missing."""

import sys

import psycopg
from psycopg import sql


def main(url: str) -> int:
    """Connect to the server's maintenance database and make sure the test database exists."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    try:
        with psycopg.connect(**info, dbname="postgres", connect_timeout=3,
                             autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL unreachable: {exc}".strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
