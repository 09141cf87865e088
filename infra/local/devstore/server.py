"""The dev-store HTTP server: Admin GraphQL, OAuth, the /_sim control API and the HTML page.

`start_in_thread(...)` is what tests use; `python -m infra.local.devstore`
serves the same app in the foreground. Routes exist both plain
(`/admin/...`, shop taken from the token or the `shop` parameter) and under a
per-shop prefix (`/shops/<domain>/admin/...`), so an app can treat
`<url>/shops/<domain>` exactly like `https://<domain>`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, redirect, request
from graphql import GraphQLError, OperationDefinitionNode, parse
from werkzeug.serving import make_server as make_wsgi_server

from infra.local.devstore.clock import Clock, SystemClock
from infra.local.devstore.control import control_blueprint
from infra.local.devstore.faults import FaultInjector
from infra.local.devstore.graphql_api import AdminGraphQL
from infra.local.devstore.oauth import INVALID_TOKEN_BODY, OAuthError, OAuthServer
from infra.local.devstore.schema import API_VERSION, load_schema, schema_path
from infra.local.devstore.store import DevStore
from infra.local.devstore.webhooks import DEFAULT_RETRY_DELAYS, WebhookDispatcher

log = logging.getLogger("devstore")


@dataclass
class DevStoreConfig:
    """How the simulator is wired to the app it stands in front of."""

    api_key: str
    api_secret: str
    app_url: str | None = None
    # Where webhooks go when the app registered no subscription for a topic.
    webhook_url: str | None = None
    schema_path: str | None = None
    bucket_maximum: float = 2000.0
    restore_rate: float = 100.0
    webhook_retry_delays: Sequence[float] = field(default_factory=lambda: DEFAULT_RETRY_DELAYS)
    webhook_timeout: float = 5.0

    @property
    def default_webhook_url(self) -> str | None:
        if self.webhook_url:
            return self.webhook_url
        return f"{self.app_url.rstrip('/')}/webhooks" if self.app_url else None


class Simulator:
    """Everything behind the HTTP surface, wired once per server."""

    def __init__(self, config: DevStoreConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.schema_path = schema_path(config.schema_path)
        schema = load_schema(self.schema_path)
        self.webhooks = WebhookDispatcher(
            api_secret=config.api_secret,
            default_url=config.default_webhook_url,
            clock=self.clock,
            retry_delays=config.webhook_retry_delays,
            timeout=config.webhook_timeout,
        )
        self.store = DevStore(self.clock, emit=self.webhooks.submit)
        self.oauth = OAuthServer(
            self.store,
            api_key=config.api_key,
            api_secret=config.api_secret,
            app_url=config.app_url,
            clock=self.clock,
        )
        self.graphql = AdminGraphQL(
            self.store,
            schema,
            self.clock,
            bucket_maximum=config.bucket_maximum,
            restore_rate=config.restore_rate,
        )
        self.faults = FaultInjector()
        self._requests: list[dict[str, Any]] = []
        self._requests_lock = threading.Lock()

    def record_request(self, entry: dict[str, Any]) -> None:
        with self._requests_lock:
            self._requests.append(entry)

    def requests(self, shop: str | None = None) -> list[dict[str, Any]]:
        with self._requests_lock:
            return [r for r in self._requests if shop is None or r["shop"] == shop]

    def reset(self) -> None:
        """Forget every shop, token, fault, delivery and request."""
        self.store.reset()
        self.oauth.reset()
        self.graphql.reset()
        self.faults.clear()
        self.webhooks.clear()
        with self._requests_lock:
            self._requests.clear()


def _operation_name(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    if body.get("operationName"):
        return str(body["operationName"])
    try:
        document = parse(str(body.get("query") or ""))
    except GraphQLError:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name:
            return definition.name.value
    return None


def create_app(sim: Simulator) -> Flask:
    """The Flask app serving one Simulator."""
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["devstore"] = sim
    app.register_blueprint(control_blueprint(sim))

    def graphql_endpoint(version: str, shop: str | None = None) -> Any:
        if version != API_VERSION:
            return jsonify({"errors": "Not Found"}), 404
        token_shop = sim.oauth.shop_for(request.headers.get("X-Shopify-Access-Token"))
        if token_shop is None or (shop is not None and token_shop.domain != shop.lower()):
            return jsonify(INVALID_TOKEN_BODY), 401
        body = request.get_json(silent=True)
        operation = _operation_name(body)
        fault = sim.faults.take(token_shop.domain, operation)
        entry: dict[str, Any] = {
            "shop": token_shop.domain,
            "operation": operation,
            "at": sim.clock.now().isoformat(),
            "fault": None,
            "status": None,
            "throttled": False,
            "cost": None,
        }
        # Logged before answering, so a request still stalled by a fault is visible.
        sim.record_request(entry)
        if fault is not None and fault.mode == "slow":
            entry["fault"] = f"slow {fault.seconds}s"
            # Real time on purpose: the client's socket timeout must fire.
            time.sleep(fault.seconds)
        if fault is not None and fault.mode == "status":
            entry["fault"] = f"status {fault.status}" + (" (applied)" if fault.apply else "")
            if fault.apply:
                sim.graphql.execute(token_shop, body)
            entry["status"] = fault.status
            response = jsonify(fault.body())
            response.status_code = fault.status
            if fault.status == 429:
                response.headers["Retry-After"] = f"{fault.retry_after:g}"
            return response
        status, answer = sim.graphql.execute(token_shop, body)
        entry["status"] = status
        errors = answer.get("errors")
        entry["throttled"] = isinstance(errors, list) and any(
            (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors
        )
        entry["cost"] = (answer.get("extensions") or {}).get("cost")
        response = jsonify(answer)
        response.status_code = status
        response.headers["X-Shopify-API-Version"] = API_VERSION
        return response

    def authorize_endpoint(shop: str | None = None) -> Any:
        params: dict[str, Any] = request.args.to_dict()
        params["grant_options[]"] = request.args.getlist("grant_options[]")
        try:
            return redirect(sim.oauth.authorize(params, shop), code=302)
        except OAuthError as exc:
            return exc.body["error_description"], exc.status

    def access_token_endpoint(shop: str | None = None) -> Any:
        form: dict[str, Any] = request.args.to_dict()
        form.update(request.form.to_dict())
        json_body = request.get_json(silent=True)
        if isinstance(json_body, dict):
            form.update(json_body)
        try:
            return jsonify(sim.oauth.access_token(form, shop.lower() if shop else None))
        except OAuthError as exc:
            return jsonify(exc.body), exc.status

    for prefix in ("", "/shops/<shop>"):
        app.add_url_rule(
            f"{prefix}/admin/api/<version>/graphql.json",
            f"graphql{prefix}",
            graphql_endpoint,
            methods=["POST"],
        )
        app.add_url_rule(
            f"{prefix}/admin/oauth/authorize", f"authorize{prefix}", authorize_endpoint
        )
        app.add_url_rule(
            f"{prefix}/admin/oauth/access_token",
            f"access_token{prefix}",
            access_token_endpoint,
            methods=["POST"],
        )
    return app


class DevStoreServer:
    """A running (or ready) simulator on 127.0.0.1; `.url`, `.stop()`."""

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = simulator
        self.app = create_app(simulator)
        self._server = make_wsgi_server(host, port, self.app, threaded=True)
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def shop_url(self, domain: str) -> str:
        """The per-shop base URL: use it where production uses https://<domain>."""
        return f"{self.url}/shops/{domain}"

    def start(self) -> DevStoreServer:
        self.simulator.webhooks.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="devstore-http", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.simulator.webhooks.start()
        try:
            self._server.serve_forever()
        finally:
            self.simulator.webhooks.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.simulator.webhooks.stop()


def make_server(
    *,
    api_key: str,
    api_secret: str,
    app_url: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock | None = None,
    seed: str | None = None,
    **config: Any,
) -> DevStoreServer:
    """A configured, not yet started server (port 0 picks a free port)."""
    simulator = Simulator(
        DevStoreConfig(api_key=api_key, api_secret=api_secret, app_url=app_url, **config), clock
    )
    if seed == "demo":
        from infra.local.devstore.seed import seed_demo

        seed_demo(simulator.store)
    elif seed is not None:
        raise ValueError(f"unknown seed {seed!r} (known: demo)")
    return DevStoreServer(simulator, host, port)


def start_in_thread(**kwargs: Any) -> DevStoreServer:
    """make_server(...) and serve it on a background thread; call .stop() when done."""
    return make_server(**kwargs).start()
