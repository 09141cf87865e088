"""GET /healthz: is the app up, and can it reach its store?"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Any, int]:
    container = current_app.extensions["hemline"]
    store = container.store.status()
    body = {
        "status": "ok" if store["ok"] else "degraded",
        "env": container.settings.env,
        "store": store,
    }
    # 200 either way: the app answers; the body tells whether the store does.
    return jsonify(body), 200
