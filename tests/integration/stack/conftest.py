"""The whole local stack for end-to-end tests: DynamoDB Local, the dev-store simulator,
and the app served over HTTP on 127.0.0.1, wired to each other as `make run` wires them."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from app.container import Container, build_container
from app.web import create_app
from infra.local.devstore import DevStoreServer, start_in_thread
from infra.local.devstore.seed import new_shop_body
from infra.local.dynamodb_local import free_port
from tests.conftest import TEST_SECRET, make_settings

API_KEY = "test-api-key"


@dataclass
class Stack:
    app_url: str
    devstore: DevStoreServer
    container: Container

    def sim(self, method: str, path: str, **kw: Any) -> Any:
        res = requests.request(method, f"{self.devstore.url}/_sim{path}", timeout=10, **kw)
        res.raise_for_status()
        return res.json()

    def new_shop(self, **fields: Any) -> str:
        domain = f"s{uuid.uuid4().hex[:10]}.myshopify.com"
        self.sim("POST", "/shops", json=new_shop_body(domain, **fields))
        return domain

    def install(self, shop: str) -> requests.Response:
        """A merchant installs: /auth -> Shopify's grant screen -> /auth/callback -> the admin."""
        browser = requests.Session()
        return browser.get(f"{self.app_url}/auth", params={"shop": shop}, timeout=30)

    def wait_for_webhooks(self) -> None:
        self.sim("POST", "/webhooks/wait", json={})
        self.container.queue.drain(timeout=30)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def stack(dynamodb_local, ddb_client) -> Iterator[Stack]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    devstore = start_in_thread(
        api_key=API_KEY,
        api_secret=TEST_SECRET,
        app_url=app_url,
        webhook_retry_delays=(0.05, 0.1, 0.2),
    )
    settings = make_settings(
        DYNAMODB_ENDPOINT_URL=dynamodb_local.endpoint,
        HEMLINE_TABLE="hemline-test",
        HEMLINE_APP_URL=app_url,
        SHOPIFY_ADMIN_ORIGIN=devstore.url,
    )
    container = build_container(settings, dynamodb=ddb_client)
    server = make_server("127.0.0.1", port, create_app(container=container), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Stack(app_url=app_url, devstore=devstore, container=container)
    finally:
        server.shutdown()
        devstore.stop()
        container.queue.close()  # type: ignore[attr-defined]
