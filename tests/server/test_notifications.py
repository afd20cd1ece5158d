"""The notification outbox: enqueued once, delivered at most once, retried with back-off.

E-mail goes to a real SMTP server (aiosmtpd) and SMS/voice to a real HTTP
server, both started on 127.0.0.1 by the fixtures below.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask_babel import gettext
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.models import Notification
from server.models.notifications import NotificationChannel, NotificationStatus
from server.services.channels import EmailChannel, WebhookChannel
from server.services.errors import Invalid
from server.services.notifications import (
    BASE_DELAY,
    JITTER,
    MAX_ATTEMPTS,
    MAX_DELAY,
    SENDING_LEASE,
    NewMessage,
    backoff_delay,
    deliver_pending,
    enqueue,
    enqueue_many,
)
from shared.enums import Role

EMAIL, SMS, VOICE, IN_APP = (NotificationChannel.EMAIL, NotificationChannel.SMS,
                             NotificationChannel.VOICE, NotificationChannel.IN_APP)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every accepted message; refuses addresses it is told to."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refused: set[str] = set()
        self.logins: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"reprise"
              and auth_data.password == b"s3cret")
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    def messages(self) -> list[Any]:
        return [message_from_bytes(e.original_content, policy=policy.default)
                for e in self.envelopes]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 accepting AUTH LOGIN/PLAIN without TLS (test only)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                            authenticator=inbox.authenticate, auth_require_tls=False)
    controller.start()
    inbox.host, inbox.port = controller.hostname, controller.port
    yield inbox
    controller.stop()


class Webhook:
    """What the local SMS/voice provider received, and how it answers."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        self.url = ""


@pytest.fixture
def webhook():
    """A real HTTP server in a thread playing the SMS/voice provider."""
    state = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(state.delay)
            with state.lock:
                state.requests.append({"json": json.loads(body), "headers": dict(self.headers)})
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if state.status < 300 else b'{"error": "down"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def patient(factories):
    return factories.active_patient(factories.user(Role.REFERENT), email="jeanne@example.org")


def sms(patient, key: str = "sms-1", **kw: Any) -> Notification:
    return enqueue(channel=SMS, kind="call_tomorrow", patient_id=patient.id, dedupe_key=key,
                   body=kw.pop("body", "Votre kinésithérapeute vous appelle demain."), **kw)


def email(patient, key: str = "mail-1", **kw: Any) -> Notification:
    return enqueue(channel=EMAIL, kind="reminder_no_session", patient_id=patient.id,
                   dedupe_key=key, subject=kw.pop("subject", "Rappel : votre séance de vélo"),
                   body=kw.pop("body", "Aucune séance depuis 4 jours : à vos pédales !"), **kw)


def webhook_channels(webhook, token: str | None = "tok-123") -> dict:
    channel = WebhookChannel(webhook.url, token=token, timeout=5)
    return {SMS: channel, VOICE: channel}


def smtp_channels(smtp_server, **kw: Any) -> dict:
    return {EMAIL: EmailChannel(smtp_server.host, smtp_server.port,
                                "Reprise <ne-pas-repondre@reprise.test>", timeout=5, **kw)}


def stored(notification_id: int) -> Notification:
    db.session.expire_all()
    return db.session.get(Notification, notification_id)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification))


# --- enqueue -----------------------------------------------------------------------------


def test_enqueue_twice_with_the_same_dedupe_key_stores_one_row_and_returns_the_first(patient):
    first = sms(patient, "call:1:2026-03-03", body="Premier texte")
    db.session.commit()
    again = sms(patient, "call:1:2026-03-03", body="Second texte")
    db.session.commit()
    assert again.id == first.id
    assert again.body == "Premier texte"
    assert count() == 1


def test_enqueue_many_stores_only_new_keys_and_counts_them(patient, factories):
    sms(patient, "digest:1")
    db.session.commit()
    referent = factories.user(Role.REFERENT)
    rows = [
        {"channel": "sms", "kind": "digest", "patient_id": patient.id, "dedupe_key": "digest:1",
         "body": "déjà là"},
        NewMessage(channel=EMAIL, kind="digest", user_id=referent.id, dedupe_key="digest:2",
                   subject="Synthèse du jour", body="3 alertes ouvertes"),
        NewMessage(channel=IN_APP, kind="flag", patient_id=patient.id, dedupe_key="digest:3",
                   body="Pensez à votre séance"),
        # The same key twice in one batch: the first one wins.
        NewMessage(channel=IN_APP, kind="flag", patient_id=patient.id, dedupe_key="digest:3",
                   body="doublon"),
    ]
    assert enqueue_many(rows) == 2
    db.session.commit()
    assert enqueue_many(rows) == 0
    assert count() == 3
    by_key = {n.dedupe_key: n for n in db.session.scalars(select(Notification))}
    assert by_key["digest:2"].address == referent.email
    assert by_key["digest:3"].body == "Pensez à votre séance"


def test_addresses_default_to_the_patients_phone_and_email(patient):
    assert sms(patient).address == "06 12 34 56 78"
    assert email(patient).address == "jeanne@example.org"
    assert sms(patient, "sms-2", address="+33 6 00 00 00 00").address == "+33 6 00 00 00 00"


def test_message_without_any_address_is_refused(factories):
    referent = factories.user(Role.REFERENT)
    # Staff accounts have no phone number: an SMS to a referent has nowhere to go.
    with pytest.raises(Invalid) as refused:
        enqueue(channel=SMS, kind="flag", user_id=referent.id, dedupe_key="x", body="...")
    assert refused.value.code == "no_address"
    assert count() == 0


def test_a_message_has_exactly_one_recipient(patient, factories, clock):
    with pytest.raises(ValueError, match="exactly one"):
        NewMessage(channel=IN_APP, kind="flag", dedupe_key="k", body="b")
    # The database holds the same rule for rows written by other means.
    db.session.add(Notification(
        channel=IN_APP, kind="flag", dedupe_key="k", body="b", created_at=clock.now(),
        patient_id=patient.id, user_id=factories.user(Role.REFERENT).id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_in_app_message_is_readable_at_once_and_never_sent(patient, webhook, smtp_server, clock):
    note = enqueue(channel=IN_APP, kind="flag", patient_id=patient.id, dedupe_key="app-1",
                   body="Votre appel est confirmé.")
    db.session.commit()
    assert note.status == NotificationStatus.SENT and note.sent_at == clock.now()
    assert note.address is None
    report = deliver_pending(channels={**webhook_channels(webhook), **smtp_channels(smtp_server)})
    assert report.sent == [] and webhook.requests == [] and smtp_server.envelopes == []
    assert stored(note.id).attempts == 0


# --- delivery over real servers ----------------------------------------------------------


def test_email_is_delivered_to_a_real_smtp_server_in_french(patient, smtp_server, clock):
    message = email(patient)
    db.session.commit()
    report = deliver_pending(channels=smtp_channels(smtp_server))
    assert report.sent == [message.id]
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "ne-pas-repondre@reprise.test"
    assert envelope.rcpt_tos == ["jeanne@example.org"]
    [received] = smtp_server.messages()
    assert received["Subject"] == "Rappel : votre séance de vélo"
    assert received["To"] == "jeanne@example.org"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Date"].datetime == clock.now()  # the app's clock, not the wall clock
    text = received.get_content()
    assert "Aucune séance depuis 4 jours : à vos pédales !" in text
    assert gettext("This automatic message was sent by Reprise. Please do not reply to it.") \
        in text
    sent = stored(message.id)
    assert (sent.status, sent.attempts, sent.sent_at) == (NotificationStatus.SENT, 1,
                                                          clock.now())
    assert sent.last_error is None


def test_email_settings_come_from_the_config_with_login(app, patient, smtp_server):
    app.config.update(SMTP_HOST=smtp_server.host, SMTP_PORT=smtp_server.port,
                      SMTP_USERNAME="reprise", SMTP_PASSWORD="s3cret",
                      SMTP_FROM="Équipe Reprise <reprise@hopital.test>")
    message = email(patient)
    db.session.commit()
    assert deliver_pending().sent == [message.id]
    assert smtp_server.logins == ["reprise"]
    assert smtp_server.envelopes[0].mail_from == "reprise@hopital.test"


def test_channel_without_settings_leaves_its_messages_pending(app, patient, smtp_server):
    app.config.update(SMTP_HOST=None, NOTIFY_WEBHOOK_URL=None)
    message = email(patient)
    db.session.commit()
    assert deliver_pending().as_dict() == {"sent": 0, "retried": 0, "failed": 0, "abandoned": 0}
    assert stored(message.id).status == NotificationStatus.PENDING
    # Once configured, the waiting message goes out.
    app.config.update(SMTP_HOST=smtp_server.host, SMTP_PORT=smtp_server.port)
    assert deliver_pending().sent == [message.id]


def test_sms_and_voice_are_posted_to_the_webhook_with_the_bearer_token(app, patient, webhook):
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url, NOTIFY_WEBHOOK_TOKEN="tok-123")
    text = sms(patient)
    call = enqueue(channel=VOICE, kind="call_tomorrow", patient_id=patient.id, dedupe_key="v-1",
                   body="Bonjour, ceci est un rappel de Reprise.")
    db.session.commit()
    assert deliver_pending().sent == [text.id, call.id]
    assert [r["json"] for r in webhook.requests] == [
        {"to": "06 12 34 56 78", "message": "Votre kinésithérapeute vous appelle demain.",
         "channel": "sms", "id": text.id},
        {"to": "06 12 34 56 78", "message": "Bonjour, ceci est un rappel de Reprise.",
         "channel": "voice", "id": call.id},
    ]
    headers = webhook.requests[0]["headers"]
    assert headers["Authorization"] == "Bearer tok-123"
    assert headers["Idempotency-Key"] == "sms-1"


def test_webhook_without_token_sends_no_authorization(patient, webhook):
    sms(patient)
    db.session.commit()
    deliver_pending(channels=webhook_channels(webhook, token=None))
    assert "Authorization" not in webhook.requests[0]["headers"]


def test_failing_webhook_is_retried_with_backoff_then_failed_after_the_last_attempt(
        patient, webhook, clock):
    webhook.status = 500
    message = sms(patient)
    db.session.commit()
    channels = webhook_channels(webhook)
    rng = random.Random(42)
    for attempt in range(1, MAX_ATTEMPTS):
        report = deliver_pending(channels=channels, rng=rng)
        assert report.retried == [message.id]
        row = stored(message.id)
        assert (row.status, row.attempts) == (NotificationStatus.PENDING, attempt)
        assert "500" in row.last_error
        wait = row.next_attempt_at - clock.now()
        expected = BASE_DELAY * 2 ** (attempt - 1)
        assert expected <= wait <= expected * (1 + JITTER)
        # Not due yet: a run just before the retry time sends nothing.
        clock.set(row.next_attempt_at - timedelta(seconds=1))
        assert deliver_pending(channels=channels, rng=rng).retried == []
        assert len(webhook.requests) == attempt
        clock.set(row.next_attempt_at)
    report = deliver_pending(channels=channels, rng=rng)
    assert report.failed == [message.id]
    row = stored(message.id)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        NotificationStatus.FAILED, MAX_ATTEMPTS, None)
    clock.set(clock.now() + timedelta(days=1))
    deliver_pending(channels=channels, rng=rng)
    assert len(webhook.requests) == MAX_ATTEMPTS


def test_message_sent_after_a_failure_is_sent_and_keeps_its_attempt_count(patient, webhook,
                                                                           clock):
    webhook.status = 503
    message = sms(patient)
    db.session.commit()
    deliver_pending(channels=webhook_channels(webhook))
    webhook.status = 200
    clock.set(stored(message.id).next_attempt_at)
    assert deliver_pending(channels=webhook_channels(webhook)).sent == [message.id]
    row = stored(message.id)
    assert (row.status, row.attempts, row.last_error) == (NotificationStatus.SENT, 2, None)


def test_backoff_doubles_is_capped_and_jittered_reproducibly():
    assert backoff_delay(1, random.Random(1)) == backoff_delay(1, random.Random(1))
    for attempts, base in ((1, BASE_DELAY), (2, 2 * BASE_DELAY), (4, 8 * BASE_DELAY),
                           (30, MAX_DELAY)):
        delay = backoff_delay(attempts, random.Random(attempts))
        assert base <= delay <= base * (1 + JITTER)


def test_a_failing_channel_does_not_block_an_email_in_the_same_run(patient, webhook,
                                                                   smtp_server):
    webhook.status = 500
    # Enqueued first, so tried first: its failures come before the e-mail.
    down_sms = sms(patient)
    unreachable = enqueue(channel=VOICE, kind="call_tomorrow", patient_id=patient.id,
                          dedupe_key="voice-1", body="Rappel")
    refused = email(patient, "mail-refused", address="inconnu@example.org")
    smtp_server.refused.add("inconnu@example.org")
    good = email(patient)
    db.session.commit()
    closed = WebhookChannel(f"http://127.0.0.1:{free_port()}/send", timeout=2)
    report = deliver_pending(channels={SMS: webhook_channels(webhook)[SMS], VOICE: closed,
                                       **smtp_channels(smtp_server)})
    assert report.sent == [good.id]
    assert sorted(report.retried) == [down_sms.id, unreachable.id, refused.id]
    assert smtp_server.envelopes[0].rcpt_tos == ["jeanne@example.org"]
    assert "Connection" in stored(unreachable.id).last_error
    assert "inconnu@example.org" in stored(refused.id).last_error


# --- at most once --------------------------------------------------------------------------


def test_delivering_twice_sends_each_message_once(patient, webhook, clock):
    message = sms(patient)
    db.session.commit()
    channels = webhook_channels(webhook)
    assert deliver_pending(channels=channels).sent == [message.id]
    clock.set(clock.now() + timedelta(hours=2))
    assert deliver_pending(channels=channels).sent == []
    assert len(webhook.requests) == 1


def test_limit_bounds_one_run_and_the_next_run_takes_the_rest(patient, webhook):
    ids = [sms(patient, f"sms-{i}").id for i in range(5)]
    db.session.commit()
    channels = webhook_channels(webhook)
    assert deliver_pending(limit=3, channels=channels).sent == ids[:3]
    assert deliver_pending(limit=3, channels=channels).sent == ids[3:]
    assert sorted(r["json"]["id"] for r in webhook.requests) == ids


def test_two_workers_at_once_send_each_message_once(app, patient, webhook):
    ids = [sms(patient, f"race-{i}").id for i in range(12)]
    db.session.commit()
    both_chose = threading.Barrier(2, timeout=10)

    def hold_claims_until_both_chose(conn, cursor, statement, *args: Any) -> None:
        # The claim is the UPDATE that returns dedupe_key. Holding it until both
        # workers have picked their rows (on PostgreSQL: locked them) forces the
        # worst interleaving instead of hoping the threads meet.
        if statement.startswith("UPDATE notifications") and "dedupe_key" in statement:
            both_chose.wait()

    reports: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                reports.append(deliver_pending(limit=12, channels=webhook_channels(webhook)))
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    event.listen(db.engine, "before_cursor_execute", hold_claims_until_both_chose)
    try:
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(db.engine, "before_cursor_execute", hold_claims_until_both_chose)
    assert errors == []
    assert len(reports) == 2
    posted = sorted(r["json"]["id"] for r in webhook.requests)
    assert posted == ids
    assert sorted(i for report in reports for i in report.sent) == ids
    db.session.expire_all()
    assert {n.status for n in db.session.scalars(select(Notification))} == {
        NotificationStatus.SENT}


class Crash(BaseException):
    """The worker process dies in the middle of a send."""


class CrashingChannel:
    def send(self, message: Any) -> None:
        raise Crash


def test_a_message_abandoned_mid_send_is_failed_and_never_resent(patient, webhook, clock):
    message = sms(patient)
    db.session.commit()
    with pytest.raises(Crash):
        deliver_pending(channels={SMS: CrashingChannel()})
    assert stored(message.id).status == NotificationStatus.SENDING
    channels = webhook_channels(webhook)
    # Within the lease another run leaves it alone: its worker may still be sending.
    assert deliver_pending(channels=channels).as_dict()["abandoned"] == 0
    clock.set(clock.now() + SENDING_LEASE)
    report = deliver_pending(channels=channels)
    assert report.abandoned == [message.id] and report.sent == []
    row = stored(message.id)
    assert row.status == NotificationStatus.FAILED and "interrupted" in row.last_error
    assert webhook.requests == []

