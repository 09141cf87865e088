"""`make run`'s console access log keeps credentials out and everything else in."""

import io
import logging
import threading

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from infra.local.access_log import RedactingRequestHandler, redact
from infra.local.dynamodb_local import free_port


def test_oauth_callback_keeps_the_shop_and_hides_the_code_hmac_and_state():
    logged = redact("/auth/callback?code=abc123&hmac=f00d&shop=demo.myshopify.com&state=n0nce")
    assert "abc123" not in logged and "f00d" not in logged and "n0nce" not in logged
    assert "shop=demo.myshopify.com" in logged
    assert logged.startswith("/auth/callback?code=[redacted]&hmac=[redacted]")


def test_session_tokens_status_links_and_one_click_links_are_hidden():
    assert redact("/admin?shop=a.myshopify.com&id_token=eyJhbGciOi.x.y") == (
        "/admin?shop=a.myshopify.com&id_token=[redacted]"
    )
    assert redact("/portal/a.myshopify.com/returns/R-7K2Q?t=sig.nature") == (
        "/portal/a.myshopify.com/returns/R-7K2Q?t=[redacted]"
    )
    assert redact("/o/eyJvcmRlciI6MX0.c2ln") == "/o/[redacted]"
    assert redact("/admin/returns?q=R-7K2Q&limit=20") == "/admin/returns?q=R-7K2Q&limit=20"


def test_the_served_app_logs_the_request_without_its_credentials():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log = logging.getLogger("werkzeug")
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    port = free_port()
    server = make_server(
        "127.0.0.1",
        port,
        lambda environ, start: Response(environ["QUERY_STRING"])(environ, start),
        request_handler=RedactingRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        res = requests.get(
            f"http://127.0.0.1:{port}/auth/callback?code=s3cr3t&shop=x.myshopify.com", timeout=10
        )
    finally:
        server.shutdown()
        log.removeHandler(handler)
        log.setLevel(level)
    # the app itself still got the real query; only the log line is redacted
    assert res.text == "code=s3cr3t&shop=x.myshopify.com"
    line = stream.getvalue()
    assert "GET /auth/callback?code=[redacted]&shop=x.myshopify.com" in line
    assert "s3cr3t" not in line
