"""Signed webhook delivery to the app, on a background thread, with retries and a log.

Like Shopify: the body is compact JSON signed with base64(HMAC-SHA256(app
secret, raw body)); non-2xx answers and timeouts are retried (Shopify retries
8 times over 4 hours; the delays here are configurable and short in tests);
a retry sends the same webhook id and bytes, so receivers can dedupe on it.
Deliveries happen only for shops that installed the app, to the subscription
address for the topic when the app registered one, else to the default
address (the app-configuration subscriptions of shopify.app.toml).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import requests

from infra.local.devstore import state as s
from infra.local.devstore.clock import Clock

log = logging.getLogger("devstore.webhooks")
API_VERSION = "2026-04"
DEFAULT_RETRY_DELAYS = (5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0)


def sign(secret: str, body: bytes) -> str:
    """Shopify's X-Shopify-Hmac-Sha256: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Delivery:
    """One webhook to one address; attempts are appended as it is (re)sent."""

    webhook_id: str
    event_id: str
    topic: str
    shop: str
    url: str
    triggered_at: str
    body: bytes
    headers: dict[str, str]
    redelivery_of: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    status: str = "pending"

    def as_json(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "topic": self.topic,
            "shop": self.shop,
            "url": self.url,
            "triggered_at": self.triggered_at,
            "status": self.status,
            "attempts": list(self.attempts),
            "redelivery_of": self.redelivery_of,
            "headers": dict(self.headers),
            "body": self.body.decode(),
        }


class WebhookDispatcher:
    """Queues, signs, sends and retries webhooks; keeps a delivery log."""

    def __init__(
        self,
        *,
        api_secret: str,
        default_url: str | None,
        clock: Clock,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = 5.0,
    ) -> None:
        self.api_secret = api_secret
        self.default_url = default_url
        self.clock = clock
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self._log: list[Delivery] = []
        self._queue: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._http = requests.Session()

    # -- producing -------------------------------------------------------------------------

    def submit(self, shop: s.Shop, topic: str, payload: dict[str, Any]) -> list[Delivery]:
        """Queue `topic` for every address that should receive it; [] if none should."""
        if not shop.installed and topic != "app/uninstalled":
            return []
        enum_topic = topic.upper().replace("/", "_")
        urls = [w.uri for w in shop.webhook_subscriptions if w.topic == enum_topic]
        if not urls and self.default_url:
            urls = [self.default_url]
        body = json.dumps(payload, separators=(",", ":")).encode()
        event_id = str(uuid.uuid4())
        triggered_at = self.clock.now().astimezone(UTC).isoformat(timespec="microseconds")
        triggered_at = triggered_at.replace("+00:00", "Z")
        deliveries = []
        for url in urls:
            webhook_id = str(uuid.uuid4())
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Shop-Domain": shop.domain,
                "X-Shopify-API-Version": API_VERSION,
                "X-Shopify-Webhook-Id": webhook_id,
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered_at,
                "X-Shopify-Hmac-Sha256": sign(self.api_secret, body),
            }
            delivery = Delivery(
                webhook_id=webhook_id,
                event_id=event_id,
                topic=topic,
                shop=shop.domain,
                url=url,
                triggered_at=triggered_at,
                body=body,
                headers=headers,
            )
            deliveries.append(delivery)
            self._enqueue(delivery, delay=0.0)
        return deliveries

    def redeliver(self, webhook_id: str) -> Delivery | None:
        """Send an earlier webhook again: same webhook id, headers and bytes (a duplicate)."""
        with self._cond:
            original = next((d for d in self._log if d.webhook_id == webhook_id), None)
        if original is None:
            return None
        copy = Delivery(
            webhook_id=original.webhook_id,
            event_id=original.event_id,
            topic=original.topic,
            shop=original.shop,
            url=original.url,
            triggered_at=original.triggered_at,
            body=original.body,
            headers=dict(original.headers),
            redelivery_of=original.webhook_id,
        )
        self._enqueue(copy, delay=0.0)
        return copy

    def _enqueue(self, delivery: Delivery, delay: float) -> None:
        with self._cond:
            self._log.append(delivery)
            self._in_flight += 1
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._seq), delivery))
            self._cond.notify_all()

    # -- reading the log -------------------------------------------------------------------

    def deliveries(self, *, shop: str | None = None, topic: str | None = None) -> list[Delivery]:
        with self._cond:
            return [
                d
                for d in self._log
                if (shop is None or d.shop == shop) and (topic is None or d.topic == topic)
            ]

    def clear(self) -> None:
        with self._cond:
            self._log.clear()
            self._queue.clear()
            self._in_flight = 0
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or being retried; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    # -- sending ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="devstore-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._http.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (
                    not self._queue or self._queue[0][0] > time.monotonic()
                ):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._cond.wait(timeout=wait)
                if self._stopping:
                    return
                _, _, delivery = heapq.heappop(self._queue)
            self._attempt(delivery)

    def _attempt(self, delivery: Delivery) -> None:
        attempt: dict[str, Any] = {
            "at": self.clock.now().isoformat(),
            "status": None,
            "error": None,
        }
        try:
            response = self._http.post(
                delivery.url, data=delivery.body, headers=delivery.headers, timeout=self.timeout
            )
            attempt["status"] = response.status_code
            ok = 200 <= response.status_code < 300
        except requests.RequestException as exc:
            attempt["error"] = type(exc).__name__
            ok = False
        with self._cond:
            delivery.attempts.append(attempt)
            retries_done = len(delivery.attempts) - 1
            if ok:
                delivery.status = "delivered"
            elif retries_done < len(self.retry_delays):
                delivery.status = "retrying"
                heapq.heappush(
                    self._queue,
                    (time.monotonic() + self.retry_delays[retries_done], next(self._seq), delivery),
                )
                self._cond.notify_all()
                return
            else:
                delivery.status = "failed"
                log.warning("webhook %s to %s failed after retries", delivery.topic, delivery.url)
            self._in_flight = max(0, self._in_flight - 1)
            self._cond.notify_all()
