"""Kill a real sync process with SIGKILL mid-sync: nothing lost, nothing stored twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mobile.store import PENDING, SENT, SESSION
from server.models import ErgoSession
from tests.mobile.conftest import count_distinct_client_ids, count_rows, session_payload

BACKLOG = 600
ROOT = Path(__file__).parents[2]


def sync_process(data_dir: Path) -> subprocess.Popen:
    """``python -m mobile.sync``: the app's sync engine in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "mobile.sync", "--data-dir", str(data_dir), "--batch-size", "20"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_sigkill_during_sync_then_restart_stores_each_item_exactly_once(store, clock):
    ids = store.add_many(SESSION, [(session_payload(clock, index=i), clock.today())
                                   for i in range(BACKLOG)], clock.now())
    data_dir = store.path.parent
    kills = 0
    for threshold in (BACKLOG // 5, BACKLOG // 2):
        process = sync_process(data_dir)
        deadline = time.monotonic() + 30
        while count_rows(ErgoSession) < threshold:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the sync process sent nothing"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(5) == -signal.SIGKILL
        process.stdout.close()
        kills += 1
        on_server = count_rows(ErgoSession)
        assert on_server < BACKLOG, "killed too late: the sync had already finished"
        counts = store.counts()
        # Whatever the tablet marked sent, the server holds; the rest is still pending.
        assert counts[SENT].get(SESSION, 0) <= on_server
        assert counts[SENT].get(SESSION, 0) + counts[PENDING].get(SESSION, 0) == BACKLOG
    final = sync_process(data_dir)
    output, _ = final.communicate(timeout=60)
    assert final.returncode == 0, output
    assert kills == 2
    assert count_rows(ErgoSession) == BACKLOG
    assert count_distinct_client_ids(ErgoSession) == BACKLOG
    assert store.counts()[SENT] == {SESSION: BACKLOG}
    assert {store.get_item(i).state for i in ids} == {SENT}


def app_process(data_dir: Path, server_url: str, kivy_home: Path) -> subprocess.Popen:
    """``python -m mobile``: the whole app, window and all, syncing as it starts."""
    env = {**os.environ, "KIVY_HOME": str(kivy_home), "KIVY_NO_ARGS": "1",
           "KIVY_NO_CONSOLELOG": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "mobile", "--server", server_url, "--data-dir", str(data_dir)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_sigkill_of_the_app_mid_sync_then_restart_stores_each_item_exactly_once(
        display, store, clock, live_server, tmp_path):
    backlog = 1000
    store.add_many(SESSION, [(session_payload(clock, index=i), clock.today())
                             for i in range(backlog)], clock.now())
    data_dir = store.path.parent
    app = app_process(data_dir, live_server.url, tmp_path / "kivy")
    deadline = time.monotonic() + 60
    while count_rows(ErgoSession) < backlog // 5:
        assert app.poll() is None, app.stderr.read()
        assert time.monotonic() < deadline, "the app sent nothing"
        time.sleep(0.005)
    os.kill(app.pid, signal.SIGKILL)
    assert app.wait(5) == -signal.SIGKILL
    app.stderr.close()
    assert count_rows(ErgoSession) < backlog, "killed too late: the sync had already finished"
    again = app_process(data_dir, live_server.url, tmp_path / "kivy")
    try:
        while store.counts()[PENDING]:
            assert again.poll() is None, again.stderr.read()
            assert time.monotonic() < deadline, "the restarted app did not finish the sync"
            time.sleep(0.05)
    finally:
        again.terminate()
        again.wait(10)
        again.stderr.close()
    assert count_rows(ErgoSession) == backlog
    assert count_distinct_client_ids(ErgoSession) == backlog
    assert store.counts()[SENT] == {SESSION: backlog}
