"""Storms, faults and hostile input against the real local stack: DynamoDB Local, the
dev-store simulator and the app served over HTTP (the `stack` fixture, shared with the
integration tier). Each module adds what it needs beside it, not here."""

from __future__ import annotations

from tests.integration.stack.conftest import Stack, stack  # noqa: F401  (per module)
