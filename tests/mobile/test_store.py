"""The tablet's local database: outbox life cycle, settings, cache, and a kill mid-write."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mobile.store import BOOKLET_ENTRY, PENDING, REFUSED, SENT, SESSION, Store

NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)


@pytest.fixture
def local(tmp_path: Path) -> Store:
    store = Store(tmp_path / "reprise.sqlite3")
    store.pair("token-1", 7, "Jeanne", "respiratory_home")
    yield store
    store.close()


def test_an_item_is_pending_until_its_receipt_then_sent(local):
    item_id = local.add(SESSION, {"duration_s": 600}, DAY, NOW)
    [pending] = local.pending(SESSION, 10)
    assert pending.id == item_id and pending.payload == {"id": item_id, "duration_s": 600}
    assert local.counts()[PENDING] == {SESSION: 1}
    local.mark_sent([(item_id, 42)], NOW)
    assert local.pending(SESSION, 10) == []
    stored = local.get_item(item_id)
    assert stored.state == SENT and stored.server_id == 42
    assert local.counts()[SENT] == {SESSION: 1}


def test_pending_is_oldest_first_by_kind_and_limited(local):
    ids = [local.add(SESSION, {"n": n}, DAY, NOW) for n in range(5)]
    local.add(BOOKLET_ENTRY, {"item_id": 1}, DAY, NOW)
    assert [i.id for i in local.pending(SESSION, 3)] == ids[:3]
    assert [i.kind for i in local.pending(BOOKLET_ENTRY, 10)] == [BOOKLET_ENTRY]


def test_refused_item_is_kept_with_reason_and_corrected_under_a_new_uuid(local):
    item_id = local.add(SESSION, {"hr_max": 400}, DAY, NOW)
    local.mark_refused(item_id, "hr_max: Must be between 25 and 250 bpm.")
    assert local.pending(SESSION, 10) == []
    [refused] = local.items(states=[REFUSED])
    assert refused.error == "hr_max: Must be between 25 and 250 bpm."
    new_id = local.correct(item_id, {"hr_max": 140}, DAY)
    assert new_id != item_id and local.get_item(item_id) is None
    [fixed] = local.pending(SESSION, 10)
    assert fixed.payload == {"id": new_id, "hr_max": 140} and fixed.error is None


def test_only_refused_items_can_be_corrected_or_discarded(local):
    item_id = local.add(SESSION, {"duration_s": 60}, DAY, NOW)
    with pytest.raises(ValueError, match="not waiting for correction"):
        local.correct(item_id, {"duration_s": 120}, DAY)
    local.discard(item_id)
    assert local.get_item(item_id) is not None


def test_unpairing_keeps_unsent_items_for_the_same_patient_only(local):
    item_id = local.add(SESSION, {"duration_s": 60}, DAY, NOW)
    local.cache_put("plan", {"week": 3}, NOW)
    local.unpair()
    assert local.token is None and local.cache_get("plan") is None
    assert [i.id for i in local.pending(SESSION, 10)] == [item_id]
    local.pair("token-2", 8, "Paul", "respiratory_home")
    assert local.pending(SESSION, 10) == []  # another patient never sends Jeanne's items
    local.pair("token-3", 7, "Jeanne", "respiratory_home")
    assert [i.id for i in local.pending(SESSION, 10)] == [item_id]


def test_logging_needs_a_pairing(tmp_path):
    store = Store(tmp_path / "fresh.sqlite3")
    with pytest.raises(RuntimeError, match="not paired"):
        store.add(SESSION, {}, DAY, NOW)
    store.pair("t", 1, "A", "respiratory_home")
    with pytest.raises(ValueError, match="unknown item kind"):
        store.add("meal", {}, DAY, NOW)
    store.close()


def test_cache_and_settings_survive_reopening(tmp_path):
    path = tmp_path / "reprise.sqlite3"
    store = Store(path)
    store.set("language", "en")
    store.cache_put("plan", {"week": 3, "booklet": []}, NOW)
    store.close()
    again = Store(path)
    assert again.get("language") == "en" and again.get("missing", "x") == "x"
    assert again.cache_get("plan") == ({"week": 3, "booklet": []}, NOW)
    again.delete("language")
    assert again.get("language") is None
    again.close()


WRITER = """
import sys
from datetime import UTC, date, datetime
from mobile.store import SESSION, Store
store = Store(sys.argv[1])
store.pair("t", 1, "A", "respiratory_home")
n = 0
while True:
    store.add(SESSION, {"n": n, "blob": "x" * 2000}, date(2026, 3, 2), datetime.now(UTC))
    n += 1
    print(n, flush=True)
"""


def test_killing_the_app_mid_write_leaves_every_item_whole(tmp_path):
    path = tmp_path / "reprise.sqlite3"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).parents[2])
    acknowledged = 0
    deadline = time.monotonic() + 20
    while acknowledged < 200 and time.monotonic() < deadline:
        acknowledged = int(writer.stdout.readline() or 0)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(5)
    writer.stdout.close()
    assert acknowledged >= 200
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = conn.execute("SELECT payload FROM outbox ORDER BY rowid").fetchall()
    conn.close()
    numbers = [json.loads(r[0])["n"] for r in rows]
    # Every acknowledged write is there, whole; at most the one in flight follows it.
    assert numbers == list(range(len(numbers))) and len(numbers) >= acknowledged


def test_read_marks_from_the_ui_and_the_sync_thread_never_overwrite_each_other(
        tmp_path: Path) -> None:
    """The UI marks messages read while the sync thread pushes and drops earlier marks."""
    import threading

    from mobile.sync import SyncEngine

    store = Store(tmp_path / "marks.sqlite3")
    pushed_before = list(range(1000, 1300))
    for notification_id in pushed_before:
        store.queue_read_mark(notification_id)
    read_now = list(range(1, 301))
    sent: list[int] = []

    class SlowServer:
        def mark_read(self, notification_id: int) -> None:
            sent.append(notification_id)
            time.sleep(0)  # let the UI thread in between read and write

    engine = SyncEngine(store)
    sync = threading.Thread(target=engine._push_reads, args=(SlowServer(),))
    sync.start()
    for notification_id in read_now:  # the UI thread, meanwhile
        store.queue_read_mark(notification_id)
    sync.join()

    assert sorted(sent) == pushed_before or set(pushed_before) <= set(sent)
    remaining = set(store.read_marks())
    assert set(read_now) <= remaining | set(sent), "no read mark was lost"
    assert not remaining & set(pushed_before), "no pushed mark came back"
    store.close()
