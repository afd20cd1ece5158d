"""The tablet's local SQLite database: settings, the outbox of items to send, a cache.

Everything the patient logs is written here first, in one committed
transaction, before any network use; the sync engine then reads pending
items and marks them sent once the server has answered with its receipts.
SQLite commits are atomic, so a process killed at any moment leaves each
item either fully written or absent, and either pending or sent: an item
sent but not yet marked is simply sent again, and the server answers the
same receipt for the same UUID (it stores nothing twice).

Items carry the patient they belong to: unpairing keeps unsent items, and
only the paired patient's items are ever sent.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

# Kinds of item the tablet sends, with the API path of their batch endpoint.
SESSION = "session"
BOOKLET_ENTRY = "booklet_entry"
HEALTH_EVENT = "health_event"
QUESTIONNAIRE = "questionnaire"
KIND_PATHS = {
    SESSION: "/me/sessions",
    BOOKLET_ENTRY: "/me/booklet-entries",
    HEALTH_EVENT: "/me/health-events",
    QUESTIONNAIRE: "/me/questionnaires",
}

PENDING = "pending"
# Setting holding the ids of messages read on the tablet, not yet marked on the server.
READ_MARKS = "notifications_to_mark"
SENT = "sent"
REFUSED = "refused"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    patient_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    server_id INTEGER,
    error TEXT,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_state ON outbox (patient_id, state, kind, created_at);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class OutboxItem:
    """One logged item as stored on the tablet."""

    id: str
    kind: str
    patient_id: int
    day: date
    payload: dict[str, Any]
    created_at: datetime
    state: str
    attempts: int
    server_id: int | None
    error: str | None


class Store:
    """The local database; safe to share between the UI thread and the sync thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection behind a lock: writes are tiny, and SQLite serialises them anyway.
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            # WAL keeps readers from blocking the writer; FULL makes a commit survive power loss.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # Settings -----------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        """A setting, or ``default`` when unset."""
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0]["value"] if rows else default

    def set(self, key: str, value: str) -> None:
        """Write a setting."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    # Read marks waiting to be pushed: the UI thread adds, the sync thread removes. Each
    # change is one read-modify-write inside one transaction, so neither loses the other's.

    def queue_read_mark(self, notification_id: int) -> None:
        """Remember that a message was read, for the next sync (once)."""
        with self._transaction() as conn:
            marks = self._read_marks(conn)
            if notification_id not in marks:
                self._write_marks(conn, [*marks, notification_id])

    def read_marks(self) -> list[int]:
        """Messages read here whose mark the server has not received yet."""
        with self._lock:
            return self._read_marks(self._conn)

    def drop_read_mark(self, notification_id: int) -> None:
        """The server has this mark: forget it."""
        with self._transaction() as conn:
            marks = self._read_marks(conn)
            if notification_id in marks:
                self._write_marks(conn, [m for m in marks if m != notification_id])

    @staticmethod
    def _read_marks(conn: sqlite3.Connection) -> list[int]:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (READ_MARKS,)).fetchone()
        return json.loads(row["value"]) if row and row["value"] else []

    @staticmethod
    def _write_marks(conn: sqlite3.Connection, marks: list[int]) -> None:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     (READ_MARKS, json.dumps(marks)))

    def delete(self, *keys: str) -> None:
        """Remove settings."""
        with self._transaction() as conn:
            conn.executemany("DELETE FROM settings WHERE key = ?", [(k,) for k in keys])

    def pair(self, token: str, patient_id: int, first_name: str, programme_code: str) -> None:
        """Keep the device token and whom it belongs to, in one transaction."""
        values = {"token": token, "patient_id": str(patient_id), "first_name": first_name,
                  "programme_code": programme_code}
        with self._transaction() as conn:
            conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             list(values.items()))

    def unpair(self) -> None:
        """Forget the token and the cached plan; unsent items stay for the same patient."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM settings WHERE key = 'token'")
            conn.execute("DELETE FROM cache")

    @property
    def token(self) -> str | None:
        """The device token, or None when the tablet is not paired."""
        return self.get("token")

    @property
    def patient_id(self) -> int | None:
        """The patient of the current (or last) pairing."""
        value = self.get("patient_id")
        return int(value) if value is not None else None

    # Outbox -------------------------------------------------------------------

    def add(self, kind: str, payload: dict[str, Any], day: date, created_at: datetime) -> str:
        """Write one logged item (with a new UUID unless it has one) and return its id."""
        if kind not in KIND_PATHS:
            raise ValueError(f"unknown item kind {kind!r}")
        patient_id = self.patient_id
        if patient_id is None:
            raise RuntimeError("the tablet is not paired: nothing can be logged")
        item = dict(payload)
        item.setdefault("id", str(uuid.uuid4()))
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO outbox (id, kind, patient_id, day, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (item["id"], kind, patient_id, day.isoformat(),
                 json.dumps(item, sort_keys=True), created_at.isoformat()))
        return item["id"]

    def add_many(self, kind: str, items: list[tuple[dict[str, Any], date]],
                 created_at: datetime) -> list[str]:
        """Write many items in one transaction (a backlog)."""
        patient_id = self.patient_id
        if patient_id is None:
            raise RuntimeError("the tablet is not paired: nothing can be logged")
        rows = []
        for payload, day in items:
            item = dict(payload)
            item.setdefault("id", str(uuid.uuid4()))
            rows.append((item["id"], kind, patient_id, day.isoformat(),
                         json.dumps(item, sort_keys=True), created_at.isoformat()))
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO outbox (id, kind, patient_id, day, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", rows)
        return [r[0] for r in rows]

    @staticmethod
    def _item(row: sqlite3.Row) -> OutboxItem:
        return OutboxItem(
            id=row["id"], kind=row["kind"], patient_id=row["patient_id"],
            day=date.fromisoformat(row["day"]), payload=json.loads(row["payload"]),
            created_at=datetime.fromisoformat(row["created_at"]), state=row["state"],
            attempts=row["attempts"], server_id=row["server_id"], error=row["error"])

    def get_item(self, item_id: str) -> OutboxItem | None:
        """One item by its UUID."""
        rows = self._query("SELECT * FROM outbox WHERE id = ?", (item_id,))
        return self._item(rows[0]) if rows else None

    def pending(self, kind: str, limit: int) -> list[OutboxItem]:
        """The oldest pending items of ``kind`` for the paired patient."""
        rows = self._query(
            "SELECT * FROM outbox WHERE patient_id = ? AND state = 'pending' AND kind = ? "
            "ORDER BY created_at, rowid LIMIT ?", (self.patient_id or -1, kind, limit))
        return [self._item(r) for r in rows]

    def items(self, kind: str | None = None, states: Iterable[str] = (PENDING, SENT, REFUSED),
              ) -> list[OutboxItem]:
        """The paired patient's items, oldest first."""
        states = tuple(states)
        marks = ", ".join("?" for _ in states)
        sql = f"SELECT * FROM outbox WHERE patient_id = ? AND state IN ({marks})"
        params: list[Any] = [self.patient_id or -1, *states]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        return [self._item(r) for r in self._query(sql + " ORDER BY created_at, rowid", params)]

    def session_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """Start and end of the sessions logged for ``day`` (not the refused ones)."""
        spans = []
        for item in self.items(SESSION, states=(PENDING, SENT)):
            if item.day == day:
                start = datetime.fromisoformat(item.payload["started_at"])
                spans.append((start, start + timedelta(seconds=item.payload["duration_s"])))
        return spans

    def mark_attempt(self, ids: list[str]) -> None:
        """Count one more sending attempt for these items."""
        with self._transaction() as conn:
            conn.executemany("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?",
                             [(i,) for i in ids])

    def mark_sent(self, receipts: list[tuple[str, int]], at: datetime) -> None:
        """Record the server's receipts: these items are stored on the server."""
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET state = 'sent', server_id = ?, sent_at = ?, error = NULL "
                "WHERE id = ?", [(server_id, at.isoformat(), i) for i, server_id in receipts])

    def mark_refused(self, item_id: str, reason: str) -> None:
        """The server refused this item: keep it, with the reason, for correction."""
        with self._transaction() as conn:
            conn.execute("UPDATE outbox SET state = 'refused', error = ? WHERE id = ?",
                         (reason, item_id))

    def correct(self, item_id: str, payload: dict[str, Any], day: date) -> str:
        """Replace a refused item by its corrected version, under a new UUID.

        The server never stored a refused item (batches are all-or-nothing),
        and a new UUID also settles a refusal for a reused UUID.
        """
        item = dict(payload)
        item["id"] = str(uuid.uuid4())
        with self._transaction() as conn:
            row = conn.execute("SELECT state FROM outbox WHERE id = ?", (item_id,)).fetchone()
            if row is None or row["state"] != REFUSED:
                raise ValueError(f"item {item_id} is not waiting for correction")
            conn.execute(
                "UPDATE outbox SET id = ?, payload = ?, day = ?, state = 'pending', "
                "error = NULL, attempts = 0 WHERE id = ?",
                (item["id"], json.dumps(item, sort_keys=True), day.isoformat(), item_id))
        return item["id"]

    def discard(self, item_id: str) -> None:
        """Drop an item the server refused (the patient chose not to correct it)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM outbox WHERE id = ? AND state = 'refused'", (item_id,))

    def counts(self) -> dict[str, dict[str, int]]:
        """``{state: {kind: n}}`` for the paired patient."""
        result: dict[str, dict[str, int]] = {PENDING: {}, SENT: {}, REFUSED: {}}
        for row in self._query(
                "SELECT state, kind, COUNT(*) AS n FROM outbox WHERE patient_id = ? "
                "GROUP BY state, kind", (self.patient_id or -1,)):
            result[row["state"]][row["kind"]] = row["n"]
        return result

    # Cache --------------------------------------------------------------------

    def cache_put(self, key: str, body: Any, fetched_at: datetime) -> None:
        """Keep the last answer of the server for offline display."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO cache (key, body, fetched_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET body = excluded.body, "
                         "fetched_at = excluded.fetched_at",
                         (key, json.dumps(body), fetched_at.isoformat()))

    def cache_get(self, key: str) -> tuple[Any, datetime] | None:
        """The cached body and when it was fetched, or None."""
        rows = self._query("SELECT body, fetched_at FROM cache WHERE key = ?", (key,))
        if not rows:
            return None
        return json.loads(rows[0]["body"]), datetime.fromisoformat(rows[0]["fetched_at"])
