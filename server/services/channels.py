"""Ways out of the outbox: SMTP for e-mail, an HTTP webhook provider for SMS and voice calls.

A channel sends one :class:`Outgoing` message and returns, or raises: the
delivery loop (server.services.notifications) decides about retries. Channels
know nothing of the database, so that a slow SMTP server never holds a
transaction open.

Which channels exist is read from the configuration (server.config):

- e-mail is on when ``SMTP_HOST`` is set; plain SMTP on ``SMTP_PORT``
  (default 25), upgraded with STARTTLS when ``SMTP_STARTTLS`` is true, with a
  login when ``SMTP_USERNAME`` is set; the sender is ``SMTP_FROM``;
- SMS and voice are on when ``NOTIFY_WEBHOOK_URL`` is set; the provider gets a
  bearer ``NOTIFY_WEBHOOK_TOKEN`` when one is configured.

Messages of a channel that is off are not claimed: they wait, pending.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, Protocol

import requests

from server.clock import utcnow
from server.i18n import gettext as _
from server.models.notifications import NotificationChannel

DEFAULT_SENDER = "Reprise <ne-pas-repondre@localhost>"


class DeliveryError(Exception):
    """The provider refused or could not take the message."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail (a synthesis to a secure health messaging address)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, detached from the database session while it is sent."""

    id: int
    channel: NotificationChannel
    address: str
    subject: str
    body: str
    kind: str
    dedupe_key: str
    attempts: int
    attachment: Attachment | None = None


class Channel(Protocol):
    """Sends one message; raises on any failure."""

    def send(self, message: Outgoing) -> None:
        """Hand ``message`` to the provider, or raise."""


class EmailChannel:
    """E-mail over SMTP, one connection per message (a failure spoils only that one)."""

    def __init__(self, host: str, port: int = 25, sender: str = DEFAULT_SENDER,
                 *, starttls: bool = False, username: str | None = None,
                 password: str | None = None, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout

    def build(self, message: Outgoing) -> EmailMessage:
        """The e-mail for ``message``: its French subject and body, plus a do-not-reply footer."""
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.address
        email["Subject"] = message.subject or _("Message from Reprise")
        email["Date"] = format_datetime(utcnow())
        email["Message-ID"] = make_msgid(idstring=f"reprise.{message.id}",
                                         domain=_sender_domain(self.sender))
        # Tells mail servers and out-of-office robots not to answer an automated message.
        email["Auto-Submitted"] = "auto-generated"
        email["X-Reprise-Notification"] = str(message.id)
        footer = _("This automatic message was sent by Reprise. Please do not reply to it.")
        email.set_content(f"{message.body}\n\n-- \n{footer}\n", charset="utf-8")
        if message.attachment is not None:
            maintype, _slash, subtype = message.attachment.content_type.partition("/")
            email.add_attachment(message.attachment.content, maintype=maintype,
                                 subtype=subtype, filename=message.attachment.filename)
        return email

    def send(self, message: Outgoing) -> None:
        """Send through the configured SMTP server; any refusal raises."""
        email = self.build(message)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            refused = smtp.send_message(email)
        # send_message raises when every recipient is refused; there is only one here,
        # but an empty dict is the only answer that means "accepted".
        if refused:
            raise DeliveryError(f"recipient refused: {refused}")


class WebhookChannel:
    """SMS and voice calls through an HTTP provider: POST JSON, any non-2xx answer raises."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, message: Outgoing) -> None:
        """POST ``{"to", "message", "channel", "id"}`` to the provider."""
        headers = {
            # Providers that honour it drop a retry of a message they already took.
            "Idempotency-Key": message.dedupe_key,
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # One connection per message (requests.post closes it): messages are few,
        # and no pooled socket outlives the delivery run.
        response = requests.post(
            self.url,
            json={"to": message.address, "message": message.body,
                  "channel": message.channel.value, "id": message.id},
            headers=headers, timeout=self.timeout,
            # A redirect would turn the POST into a GET and lose the message: refuse it.
            allow_redirects=False,
        )
        if not 200 <= response.status_code < 300:
            raise DeliveryError(
                f"webhook answered {response.status_code}: {response.text[:200]}")


def configured_channels(config: Mapping[str, Any]) -> dict[NotificationChannel, Channel]:
    """The sending channels switched on by ``config`` (in-app needs none)."""
    channels: dict[NotificationChannel, Channel] = {}
    if config.get("SMTP_HOST"):
        channels[NotificationChannel.EMAIL] = EmailChannel(
            config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
            config.get("SMTP_FROM") or DEFAULT_SENDER,
            starttls=bool(config.get("SMTP_STARTTLS")),
            username=config.get("SMTP_USERNAME"), password=config.get("SMTP_PASSWORD"),
            timeout=float(config.get("SMTP_TIMEOUT") or 10),
        )
    if config.get("NOTIFY_WEBHOOK_URL"):
        webhook = WebhookChannel(config["NOTIFY_WEBHOOK_URL"], config.get("NOTIFY_WEBHOOK_TOKEN"),
                                 float(config.get("NOTIFY_WEBHOOK_TIMEOUT") or 10))
        channels[NotificationChannel.SMS] = webhook
        channels[NotificationChannel.VOICE] = webhook
    return channels


def _sender_domain(sender: str) -> str | None:
    # Message-IDs name the sender's domain; make_msgid falls back to the host name.
    return parseaddr(sender)[1].rpartition("@")[2] or None
