"""Fixtures for every tier: settings, a shared DynamoDB Local, an app wired to it."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.container import Container, build_container
from app.observability import Metrics
from infra.local import dynamodb_local as ddb_local
from infra.local.tables import ensure_table

TESTS = Path(__file__).resolve().parent
TIERS = {
    "unit": "unit",
    "adapters": "adapters",
    "integration": "integration",
    "resilience": "resilience",
    "browser": "browser",
}

TEST_SECRET = "test-shopify-secret-0123456789abcdef"
TEST_SECRET_PREVIOUS = "old-shopify-secret-0123456789abcdef"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its tier from the folder it lives in (tests/<tier>/...)."""
    for item in items:
        parts = Path(str(item.fspath)).resolve().relative_to(TESTS).parts
        if parts and parts[0] in TIERS:
            item.add_marker(getattr(pytest.mark, TIERS[parts[0]]))


LOCAL_DATA = tempfile.mkdtemp(prefix="hemline-test-")
atexit.register(shutil.rmtree, LOCAL_DATA, True)  # files and outbox written by the app under test


def make_settings(**overrides: str) -> Settings:
    env = {
        "HEMLINE_LOCAL_DATA": LOCAL_DATA,
        "HEMLINE_ENV": "test",
        "SHOPIFY_API_KEY": "test-api-key",
        "SHOPIFY_API_SECRET": TEST_SECRET,
        "SHOPIFY_API_SECRET_PREVIOUS": TEST_SECRET_PREVIOUS,
        "AWS_REGION": "us-east-1",
    }
    env.update(overrides)
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[ddb_local.LocalDynamo]:
    """One in-memory DynamoDB Local for the session; tests isolate themselves by shop."""
    handle = ddb_local.start(in_memory=True)
    if handle.kind != "dynamodb-local":  # pragma: no cover - CI must exercise the real emulator
        handle.stop()
        pytest.fail("DynamoDB Local did not start (is Java 17 installed and `make deps` run?)")
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def ddb_client(dynamodb_local: ddb_local.LocalDynamo) -> Any:
    client = dynamodb_local.client()
    ensure_table(client, "hemline-test")
    return client


@pytest.fixture
def shop() -> str:
    """A shop of its own for each test: every read and write is scoped by shop."""
    return f"t{uuid.uuid4().hex[:12]}.myshopify.com"


@pytest.fixture
def settings(dynamodb_local: ddb_local.LocalDynamo) -> Settings:
    return make_settings(
        DYNAMODB_ENDPOINT_URL=dynamodb_local.endpoint, HEMLINE_TABLE="hemline-test"
    )


@pytest.fixture
def container(settings: Settings, ddb_client: Any) -> Iterator[Container]:
    c = build_container(settings, dynamodb=ddb_client, metrics=Metrics(enabled=True))
    yield c
    close = getattr(c.queue, "close", None)
    if close:
        close()


@pytest.fixture
def store(container: Container):  # type: ignore[no-untyped-def]
    return container.store


@pytest.fixture
def app(container: Container):  # type: ignore[no-untyped-def]
    from app.web import create_app

    return create_app(container=container)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def drain(container: Container):  # type: ignore[no-untyped-def]
    """Wait for the in-process webhook worker to finish what was queued."""
    return lambda: container.queue.drain(timeout=30)  # type: ignore[attr-defined]
