"""The background sync: send pending items in batches, then refresh the cached plan.

Runs on its own worker thread and never touches the UI: it reports through
callbacks (``on_status``, ``on_unpaired``, ``on_refreshed``) that the app
forwards to the Kivy clock. One pass (:meth:`SyncEngine.sync_once`):

1. for each kind of item, send the oldest pending ones in batches with their
   UUIDs and mark them sent with the server's receipts;
2. a batch the server refuses (4xx) names its bad items: those are kept,
   marked refused with the reason for the patient to correct, and the rest
   of the batch is sent again at once; a refusal that names no item marks
   the whole batch refused. Refused items are never retried on their own;
3. a revoked token (401) unpairs the tablet, keeping every unsent item;
4. no network, a timeout or a server error ends the pass; the thread waits
   an exponentially growing, jittered delay before the next one;
5. the plan, progress, messages and reviews are fetched and cached for offline use.

``python -m mobile.sync --data-dir DIR`` runs passes without any UI until
nothing is left to send (used by the kill test and handy on a desktop).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mobile.api_client import ApiClient, Refused, Unauthorized, Unreachable
from mobile.store import KIND_PATHS, PENDING, REFUSED, Store

DONE = "done"
OFFLINE = "offline"
UNPAIRED = "unpaired"
DEFAULT_BATCH = 50
DEFAULT_POLL_S = 300.0


@dataclass(frozen=True)
class SyncStatus:
    """What the home screen shows of the sync."""

    state: str  # "syncing", "done", "offline" or "unpaired"
    pending: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    last_success: datetime | None = None
    message: str | None = None
    retry_in: float | None = None


class Backoff:
    """Exponential back-off with jitter: ``base * 2**n`` capped, drawn in its upper half.

    The jitter keeps tablets that lost the network together (a rural mast
    going down) from all coming back at the same second.
    """

    def __init__(self, base: float = 2.0, cap: float = 300.0,
                 rng: random.Random | None = None) -> None:
        self.base, self.cap = base, cap
        self.rng = rng or random.Random()
        self.failures = 0

    def next_delay(self) -> float:
        """The delay before the next try, after one more failure."""
        self.failures += 1
        ceiling = min(self.cap, self.base * 2 ** (self.failures - 1))
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """A success: start again from the base delay."""
        self.failures = 0


def utc_now() -> datetime:
    """The wall clock, aware, in UTC."""
    return datetime.now(UTC)


class SyncEngine:
    """Sends the store's pending items and refreshes its cache, on a worker thread."""

    def __init__(
        self, store: Store, *, clock: Callable[[], datetime] = utc_now,
        batch_size: int = DEFAULT_BATCH, backoff: Backoff | None = None,
        poll_interval: float = DEFAULT_POLL_S,
        on_status: Callable[[SyncStatus], None] | None = None,
        on_unpaired: Callable[[], None] | None = None,
        on_refreshed: Callable[[], None] | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.batch_size = batch_size
        self.backoff = backoff or Backoff()
        self.poll_interval = poll_interval
        self.timeout = timeout
        self._on_status = on_status or (lambda status: None)
        self._on_unpaired = on_unpaired or (lambda: None)
        self._on_refreshed = on_refreshed or (lambda: None)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pass_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last_success: datetime | None = None
        self.status = SyncStatus(DONE)

    # Thread control -------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread (once)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="reprise-sync", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to finish its current request and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Try now (something was logged, or the patient asked), whatever the back-off."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            outcome = self.sync_once()
            if outcome == OFFLINE:
                delay = self.backoff.next_delay()
                self._report(OFFLINE, self.status.message, retry_in=delay)
            else:
                self.backoff.reset()
                delay = self.poll_interval
            self._wake.wait(delay)
            self._wake.clear()

    # One pass -------------------------------------------------------------------

    def sync_once(self) -> str:
        """Send all pending items, refresh the cache: ``done``, ``offline`` or ``unpaired``."""
        with self._pass_lock:
            token, server = self.store.token, self.store.get("server_url")
            if not token or not server:
                self._report(UNPAIRED, None)
                return UNPAIRED
            self._report("syncing", None)
            client = ApiClient(server, token, self.store.get("language", "fr") or "fr",
                               timeout=self.timeout)
            try:
                self._push(client)
                self._push_reads(client)
                self._pull(client)
            except Unauthorized as exc:
                self.store.unpair()
                self._report(UNPAIRED, exc.message)
                self._on_unpaired()
                return UNPAIRED
            except Unreachable as exc:
                self._report(OFFLINE, exc.message)
                return OFFLINE
            finally:
                client.close()
            self.last_success = self.clock()
            self._report(DONE, None)
            return DONE

    def _push(self, client: ApiClient) -> None:
        for kind, path in KIND_PATHS.items():
            while not self._stop.is_set():
                batch = self.store.pending(kind, self.batch_size)
                if not batch:
                    break
                self.store.mark_attempt([item.id for item in batch])
                try:
                    receipts = client.upload(path, [item.payload for item in batch])
                except Refused as exc:
                    self._refuse(batch, exc)
                    continue
                self.store.mark_sent([(r["id"], r["server_id"]) for r in receipts], self.clock())
                self._report("syncing", None)

    def _refuse(self, batch: list, exc: Refused) -> None:
        named = {i: reason for i, reason in exc.item_errors.items() if 0 <= i < len(batch)}
        if not named:
            # Nothing points at one item: the whole batch waits for a person to look.
            named = dict.fromkeys(range(len(batch)), exc.message)
        for index, reason in named.items():
            self.store.mark_refused(batch[index].id, reason)

    def _push_reads(self, client: ApiClient) -> None:
        for notification_id in self.store.read_marks():
            with contextlib.suppress(Refused):  # gone on the server: nothing left to mark
                client.mark_read(notification_id)
            self.store.drop_read_mark(notification_id)

    def _pull(self, client: ApiClient) -> None:
        now = self.clock()
        for key, fetch in (("plan", client.plan), ("progress", client.progress),
                           ("notifications", client.notifications),
                           ("syntheses", client.syntheses)):
            try:
                self.store.cache_put(key, fetch(), now)
            except Refused as exc:
                # e.g. the programme is not running any more: keep what was cached.
                self._report("syncing", exc.message)
        self._on_refreshed()

    def _report(self, state: str, message: str | None, retry_in: float | None = None) -> None:
        counts = self.store.counts()
        self.status = SyncStatus(state, counts[PENDING], counts[REFUSED], self.last_success,
                                 message, retry_in)
        self._on_status(self.status)


def main(argv: list[str] | None = None) -> int:
    """Send a tablet database's backlog without any UI; exit 0 when nothing is left."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--tries", type=int, default=5)
    args = parser.parse_args(argv)
    store = Store(args.data_dir / "reprise.sqlite3")
    engine = SyncEngine(store, batch_size=args.batch_size)
    outcome = OFFLINE
    for _ in range(args.tries):
        outcome = engine.sync_once()
        if outcome != OFFLINE:
            break
        threading.Event().wait(engine.backoff.next_delay())
    pending = sum(store.counts()[PENDING].values())
    print(f"{outcome}: {pending} pending")
    return 0 if outcome == DONE and pending == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
