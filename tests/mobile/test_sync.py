"""The sync engine against a real server on 127.0.0.1: batches, receipts, refusals, outages."""

from __future__ import annotations

import random
import threading
import time

import pytest

from mobile.api_client import ApiClient
from mobile.store import BOOKLET_ENTRY, HEALTH_EVENT, PENDING, REFUSED, SENT, SESSION
from mobile.sync import DONE, OFFLINE, UNPAIRED, Backoff, SyncEngine, SyncStatus
from server.extensions import db
from server.models import BookletEntry, BookletItem, Enrolment, ErgoSession, HealthEvent
from server.services import auth as auth_service
from server.services import notifications
from tests.mobile.conftest import count_distinct_client_ids, count_rows, session_payload


def add_sessions(store, clock, n, **overrides):
    return store.add_many(SESSION, [(session_payload(clock, **overrides), clock.today())
                                    for _ in range(n)], clock.now())


def test_a_pass_sends_every_kind_in_batches_and_caches_the_plan(store, clock, patient):
    ids = add_sessions(store, clock, 7)
    item = db.session.scalars(db.select(BookletItem)).first()
    store.add(BOOKLET_ENTRY, {"item_id": item.id, "day": clock.today().isoformat(),
                              "status": "done"}, clock.today(), clock.now())
    store.add(HEALTH_EVENT, {"kind": "fall", "occurred_on": clock.today().isoformat(),
                             "warning_signs": []}, clock.today(), clock.now())
    statuses: list[SyncStatus] = []
    engine = SyncEngine(store, clock=clock.now, batch_size=3, on_status=statuses.append)
    assert engine.sync_once() == DONE
    assert count_rows(ErgoSession) == 7 and count_distinct_client_ids(ErgoSession) == 7
    assert count_rows(BookletEntry) == 1 and count_rows(HealthEvent) == 1
    assert all(store.get_item(i).state == SENT and store.get_item(i).server_id for i in ids)
    assert statuses[-1].state == DONE and statuses[-1].pending == {}
    plan, fetched = store.cache_get("plan")
    assert plan["week"] == 3 and fetched == clock.now()
    assert store.cache_get("progress")[0]["total_sessions"] == 7
    assert store.cache_get("notifications")[0]["unread"] == 0


def test_items_sent_but_not_marked_are_stored_once(store, clock):
    """The app died after the server stored a batch but before the tablet marked it."""
    ids = add_sessions(store, clock, 5)
    ApiClient(store.get("server_url"), store.token).upload(
        "/me/sessions", [i.payload for i in store.pending(SESSION, 3)])
    assert count_rows(ErgoSession) == 3
    assert SyncEngine(store, clock=clock.now).sync_once() == DONE
    assert count_rows(ErgoSession) == 5 and count_distinct_client_ids(ErgoSession) == 5
    assert {store.get_item(i).state for i in ids} == {SENT}


def test_a_refused_item_is_kept_with_its_reason_and_not_retried(store, clock):
    good = add_sessions(store, clock, 2)
    [bad] = add_sessions(store, clock, 1, hr_mean=150, hr_max=120)
    more = add_sessions(store, clock, 2)
    engine = SyncEngine(store, clock=clock.now, batch_size=10)
    assert engine.sync_once() == DONE
    assert count_rows(ErgoSession) == 4
    refused = store.get_item(bad)
    assert refused.state == REFUSED and refused.error.startswith("hr_mean: ")
    assert all(store.get_item(i).state == SENT for i in good + more)
    attempts = refused.attempts
    assert engine.sync_once() == DONE
    assert store.get_item(bad).attempts == attempts  # never sent again as it is
    assert engine.status.refused == {SESSION: 1}
    fixed = store.correct(bad, {**refused.payload, "hr_mean": 110}, refused.day)
    assert engine.sync_once() == DONE
    assert store.get_item(fixed).state == SENT and count_rows(ErgoSession) == 5


def test_a_refusal_naming_no_item_keeps_the_whole_batch(store, clock, patient):
    """A programme not running (put back to validated): a 409 that names no item.

    (An enrolment that has ended ends its device tokens instead: 401, back to pairing.)
    """
    ids = add_sessions(store, clock, 2)
    enrolment = db.session.scalar(db.select(Enrolment).where(Enrolment.patient_id == patient.id))
    enrolment.state = "validated"
    db.session.commit()
    engine = SyncEngine(store, clock=clock.now)
    assert engine.sync_once() == DONE
    reasons = {store.get_item(i).error for i in ids}
    assert {store.get_item(i).state for i in ids} == {REFUSED}
    assert len(reasons) == 1 and "programme" in reasons.pop().lower()


def test_a_revoked_token_unpairs_and_keeps_unsent_items(store, clock, device_token, patient,
                                                        factories):
    ids = add_sessions(store, clock, 3)
    auth_service.revoke(auth_service.resolve_token(device_token))
    unpaired = threading.Event()
    engine = SyncEngine(store, clock=clock.now, on_unpaired=unpaired.set)
    assert engine.sync_once() == UNPAIRED and unpaired.is_set()
    assert store.token is None and engine.status.state == UNPAIRED
    assert [i.id for i in store.pending(SESSION, 10)] == ids
    store.pair(factories.device_token(patient), patient.id, "Jeanne", "respiratory_home")
    assert engine.sync_once() == DONE and count_rows(ErgoSession) == 3


def test_no_network_keeps_items_pending_until_the_server_is_back(store, clock, live_server):
    ids = add_sessions(store, clock, 4)
    live_server.stop()
    engine = SyncEngine(store, clock=clock.now, timeout=2)
    assert engine.sync_once() == OFFLINE
    assert engine.status.state == OFFLINE and engine.status.pending == {SESSION: 4}
    assert {store.get_item(i).state for i in ids} == {PENDING}
    live_server.start()
    assert engine.sync_once() == DONE and count_rows(ErgoSession) == 4


def test_the_worker_thread_backs_off_then_delivers_when_the_network_returns(store, clock,
                                                                             live_server):
    add_sessions(store, clock, 3)
    live_server.stop()
    statuses: list[SyncStatus] = []
    engine = SyncEngine(store, clock=clock.now, timeout=1, poll_interval=60,
                        backoff=Backoff(base=0.05, cap=0.2, rng=random.Random(1)),
                        on_status=statuses.append)
    engine.start()
    try:
        deadline = time.monotonic() + 10
        while sum(1 for s in statuses if s.state == OFFLINE and s.retry_in) < 3:
            assert time.monotonic() < deadline, "the engine did not retry"
            time.sleep(0.02)
        live_server.start()
        while engine.status.state != DONE or engine.status.pending:
            assert time.monotonic() < deadline, f"not delivered: {engine.status}"
            time.sleep(0.02)
    finally:
        engine.stop()
    assert count_rows(ErgoSession) == 3
    assert engine.backoff.failures == 0


def test_wake_sends_at_once_without_waiting_for_the_poll(store, clock):
    engine = SyncEngine(store, clock=clock.now, poll_interval=3600)
    engine.start()
    try:
        deadline = time.monotonic() + 10
        while engine.status.state != DONE:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        add_sessions(store, clock, 2)
        engine.wake()
        while count_rows(ErgoSession) < 2:
            assert time.monotonic() < deadline, "wake() did not trigger a pass"
            time.sleep(0.05)
    finally:
        engine.stop()


def test_backoff_doubles_with_jitter_up_to_its_cap():
    backoff = Backoff(base=2, cap=60, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [2, 4, 8, 16, 32, 60, 60, 60]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered, not a fixed ladder
    backoff.reset()
    assert backoff.next_delay() <= 2


def test_read_marks_wait_for_the_network(store, clock, patient, live_server):
    message = notifications.enqueue(channel="in_app", kind="reminder", body="Pensez au vélo",
                                    dedupe_key="r1", patient_id=patient.id, subject="Rappel")
    db.session.commit()
    store.set("notifications_to_mark", f"[{message.id}]")
    assert SyncEngine(store, clock=clock.now).sync_once() == DONE
    assert store.get("notifications_to_mark") == "[]"
    [item] = store.cache_get("notifications")[0]["items"]
    assert item["read"] is True


@pytest.mark.parametrize("batch_size", [1, 100])
def test_batch_size_does_not_change_what_is_stored(store, clock, batch_size):
    add_sessions(store, clock, 5)
    assert SyncEngine(store, clock=clock.now, batch_size=batch_size).sync_once() == DONE
    assert count_rows(ErgoSession) == 5
