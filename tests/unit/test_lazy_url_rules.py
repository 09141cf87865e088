"""The app's URL rules build their URL builders on first use: url_for must answer exactly as
Werkzeug's own rules do, for every kind of route the app has."""

from __future__ import annotations

import threading

from flask import Flask, url_for
from werkzeug.routing import Rule

from app.web import LazyBuilderRule

CALLS = [
    ("home", {}),
    ("rma", {"number": "8PYW6ED8"}),
    ("rma", {"number": "8PYW6ED8", "lang": "zh-CN", "next": "/a b?c=d"}),
    ("order", {"order_id": 9007199254741245}),
    ("file", {"key": "labels/shop.myshopify.com/rma 1.pdf"}),
    ("page", {}),
    ("page", {"n": 3}),
    ("rma", {"number": "X", "_external": True}),
    ("rma", {"number": "X", "_anchor": "photos"}),
]


def _app(rule_class: type[Rule]) -> Flask:
    app = Flask(__name__)
    app.url_rule_class = rule_class
    app.config["SERVER_NAME"] = "hemline.example"

    def view(**_: object) -> str:
        return ""

    app.add_url_rule("/", "home", view)
    app.add_url_rule("/returns/<number>", "rma", view)
    app.add_url_rule("/orders/<int:order_id>", "order", view)
    app.add_url_rule("/files/<path:key>", "file", view)
    app.add_url_rule("/list", "page", view, defaults={"n": 1})
    app.add_url_rule("/list/<int:n>", "page", view)
    return app


def _urls(app: Flask) -> list[str]:
    with app.test_request_context():
        return [url_for(endpoint, **values) for endpoint, values in CALLS]


def test_lazily_built_rules_give_the_same_urls_as_werkzeugs_own():
    expected = _urls(_app(Rule))
    lazy = _app(LazyBuilderRule)
    # the first call builds the builders, the second uses them
    assert _urls(lazy) == expected
    assert _urls(lazy) == expected
    assert "/returns/8PYW6ED8?lang=zh-CN&next=/a+b?c%3Dd" in expected


def test_concurrent_first_uses_of_a_rule_all_get_the_right_url():
    app = _app(LazyBuilderRule)
    barrier = threading.Barrier(8)
    seen: list[str] = []

    def build() -> None:
        barrier.wait()
        with app.test_request_context():
            seen.append(url_for("order", order_id=42))

    threads = [threading.Thread(target=build) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == ["/orders/42"] * 8
