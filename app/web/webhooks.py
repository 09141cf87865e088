"""POST /webhooks: Shopify's HTTPS deliveries, translated into one service call."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks")
def receive() -> tuple[Any, int]:
    from app.services.webhooks import Delivery

    container = current_app.extensions["hemline"]
    limit = container.settings.max_webhook_bytes
    if request.content_length is not None and request.content_length > limit:
        return jsonify({"error": "too_large", "message": f"body exceeds {limit} bytes"}), 413
    # cache=False: the raw bytes are what the HMAC covers; never re-serialise them.
    if request.content_length is None and request.environ.get("wsgi.input_terminated"):
        # A chunked body: werkzeug's limited stream stops quietly at the limit, so read one
        # byte past it here (the server ends the stream) to tell "too large" from "exact".
        body = request.environ["wsgi.input"].read(limit + 1)
    else:
        body = request.get_data(cache=False)
    if len(body) > limit:
        return jsonify({"error": "too_large", "message": f"body exceeds {limit} bytes"}), 413
    headers = request.headers
    receipt = container.receive_webhook(
        Delivery(
            topic=headers.get("X-Shopify-Topic"),
            shop=headers.get("X-Shopify-Shop-Domain"),
            webhook_id=headers.get("X-Shopify-Webhook-Id"),
            event_id=headers.get("X-Shopify-Event-Id"),
            api_version=headers.get("X-Shopify-API-Version"),
            triggered_at=headers.get("X-Shopify-Triggered-At"),
            hmac=headers.get("X-Shopify-Hmac-Sha256"),
            body=body,
        )
    )
    payload: dict[str, Any] = {"outcome": receipt.outcome}
    if receipt.detail:
        payload["message"] = receipt.detail
    return jsonify(payload), receipt.status
