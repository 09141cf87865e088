"""The mail port: SES (v2) in AWS, a local outbox folder in dev and tests.

Every message has an HTML and a plain-text part. The outbox keeps what would
have been sent as files (`<id>.json`, `.html`, `.txt`) for the `/dev/outbox`
page; it holds customer addresses, so it exists only on a developer's machine.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from app.clock import Clock, SystemClock
from app.errors import InvalidInput, NotFound, UpstreamError

# SES refusals that will not change on a retry (the address, the identity or the account).
PERMANENT_SES_CODES = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "AccountSuspendedException",
    "SendingPausedException",
    "BadRequestException",
    "NotFoundException",
}
_ID = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{8}$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    html: str
    text: str
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _EMAIL.match(self.to):
            raise InvalidInput("is not an email address", "to")
        if "\n" in self.subject or "\r" in self.subject:
            raise InvalidInput("must be one line", "subject")


class Mailer(Protocol):
    def send(self, message: Message) -> str:
        """Send `message`; returns the provider's message id; raises UpstreamError."""
        ...


class SesMailer:
    """Sends through SES v2 `SendEmail` with Simple content (both parts, UTF-8)."""

    def __init__(self, client: Any, sender: str, *, configuration_set: str | None = None):
        self._ses = client
        self._sender = sender
        self._configuration_set = configuration_set

    def send(self, message: Message) -> str:
        simple: dict[str, Any] = {
            "Subject": {"Data": message.subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": message.text, "Charset": "UTF-8"},
                "Html": {"Data": message.html, "Charset": "UTF-8"},
            },
        }
        if message.headers:
            simple["Headers"] = [{"Name": k, "Value": v} for k, v in message.headers.items()]
        kwargs: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [message.to]},
            "Content": {"Simple": simple},
        }
        if message.reply_to:
            kwargs["ReplyToAddresses"] = [message.reply_to]
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        try:
            res = self._ses.send_email(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            raise UpstreamError(
                f"SES refused the message: {code}", retryable=code not in PERMANENT_SES_CODES
            ) from exc
        except BotoCoreError as exc:
            raise UpstreamError(f"SES unreachable: {type(exc).__name__}", retryable=True) from exc
        return str(res["MessageId"])


@dataclass(frozen=True)
class OutboxMessage:
    id: str
    to: str
    subject: str
    reply_to: str | None
    headers: dict[str, str]
    sent_at: datetime


class LocalOutbox:
    """Writes each message as <id>.json + <id>.html + <id>.txt; ids sort by time sent."""

    def __init__(self, directory: str | Path, clock: Clock | None = None):
        self._dir = Path(directory)
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()

    def send(self, message: Message) -> str:
        now = self._clock.now().astimezone(UTC)
        message_id = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
        meta = {
            "id": message_id,
            "to": message.to,
            "subject": message.subject,
            "reply_to": message.reply_to,
            "headers": message.headers,
            "sent_at": now.isoformat(),
        }
        with self._lock:
            self._dir.mkdir(parents=True, exist_ok=True)
            (self._dir / f"{message_id}.html").write_text(message.html, encoding="utf-8")
            (self._dir / f"{message_id}.txt").write_text(message.text, encoding="utf-8")
            # The .json last: list() shows a message only once all its parts are there.
            (self._dir / f"{message_id}.json").write_text(
                json.dumps(meta, ensure_ascii=False), encoding="utf-8"
            )
        return message_id

    def list(self) -> list[OutboxMessage]:
        """Every message, newest first."""
        if not self._dir.is_dir():
            return []
        found = [self._meta(p) for p in self._dir.glob("*.json") if _ID.match(p.stem)]
        return sorted(found, key=lambda m: (m.sent_at, m.id), reverse=True)

    def get(self, message_id: str) -> OutboxMessage:
        """One message's envelope; raises NotFound (also for ids that are not ours)."""
        path = self._dir / f"{message_id}.json"
        if not _ID.match(message_id) or not path.is_file():
            raise NotFound(f"no message {message_id}")
        return self._meta(path)

    def part(self, message_id: str, kind: str) -> str:
        """The "html" or "text" part of a message; raises NotFound."""
        self.get(message_id)
        suffix = {"html": ".html", "text": ".txt"}.get(kind)
        if suffix is None:
            raise NotFound(f"no part {kind}")
        return (self._dir / f"{message_id}{suffix}").read_text(encoding="utf-8")

    @staticmethod
    def _meta(path: Path) -> OutboxMessage:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return OutboxMessage(
            id=raw["id"],
            to=raw["to"],
            subject=raw["subject"],
            reply_to=raw.get("reply_to"),
            headers=raw.get("headers") or {},
            sent_at=datetime.fromisoformat(raw["sent_at"]),
        )


class InMemoryMailer:
    """The fake for service tests: keeps sent messages, fails on demand."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.failures: list[Exception] = []
        self._lock = threading.Lock()

    def send(self, message: Message) -> str:
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(message)
            return f"mem-{len(self.sent)}"
