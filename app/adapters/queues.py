"""Webhook queues: SQS in AWS, a thread pool in local mode.

Only a reference (shop, webhook id) travels on the queue; the worker reads the
stored delivery, so message size never limits a webhook.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from app.errors import UpstreamError
from app.observability import logger


class SqsWebhookQueue:
    """Queues delivery references on SQS; the handlers.queue Lambda consumes them."""

    def __init__(self, client: Any, queue_url: str):
        self._sqs = client
        self._url = queue_url

    def enqueue(self, shop: str, key: str) -> None:
        """Queue a reference to a recorded delivery: its shop and dedupe key."""
        try:
            self._sqs.send_message(
                QueueUrl=self._url, MessageBody=json.dumps({"shop": shop, "key": key})
            )
        except (ClientError, BotoCoreError) as exc:
            raise UpstreamError(f"SQS send failed: {type(exc).__name__}", retryable=True) from exc


Processor = Callable[..., str]


class InProcessWebhookQueue:
    """Processes deliveries on background threads after the HTTP answer, with retries.

    A delivery that still fails after `max_attempts` is parked as failed in the
    store (the local stand-in for the dead-letter queue).
    """

    def __init__(
        self,
        processor: Processor,
        *,
        workers: int = 2,
        max_attempts: int = 5,
        backoff_s: float = 0.2,
    ):
        self._processor = processor
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook-worker")
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    def enqueue(self, shop: str, key: str) -> None:
        future = self._pool.submit(self._run, shop, key)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _run(self, shop: str, key: str) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                self._processor(shop, key, final_attempt=attempt == self._max_attempts)
                return
            except UpstreamError:
                if attempt == self._max_attempts:
                    logger.error(
                        "webhook parked after retries",
                        extra={"shop": shop, "webhook_key": key},
                    )
                    return
                time.sleep(self._backoff_s * 2 ** (attempt - 1) * (0.5 + random.random()))  # noqa: S311
            except Exception:
                logger.exception("webhook worker crashed", extra={"shop": shop, "webhook_key": key})
                return

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every queued delivery has been processed (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._pending)
            if not pending:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(pending)} webhook(s) still processing after {timeout}s")
            wait(pending, timeout=remaining)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
