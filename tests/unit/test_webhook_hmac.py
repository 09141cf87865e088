"""The webhook HMAC check, against published vectors and Shopify's real sample bodies."""

import base64

import pytest

from app.security import verify_webhook_hmac, webhook_hmac
from tests.support.shopify import payload_bytes

# RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
RFC4231_HEX = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
RFC4231_B64 = base64.b64encode(bytes.fromhex(RFC4231_HEX)).decode()


def test_hmac_matches_rfc4231_vector():
    assert webhook_hmac("Jefe", b"what do ya want for nothing?") == RFC4231_B64


def test_verify_accepts_rfc4231_vector():
    assert verify_webhook_hmac(b"what do ya want for nothing?", RFC4231_B64, ["Jefe"])


def test_verify_accepts_real_order_body_signed_with_the_secret():
    body = payload_bytes("orders/create")
    assert verify_webhook_hmac(body, webhook_hmac("s3cret-value", body), ["s3cret-value"])


def test_verify_accepts_previous_secret_when_rotating():
    body = payload_bytes("orders/create")
    header = webhook_hmac("old-secret", body)
    assert verify_webhook_hmac(body, header, ["new-secret", "old-secret"])
    assert not verify_webhook_hmac(body, header, ["new-secret"])


@pytest.mark.parametrize(
    "header",
    [None, "", "not base64 at all!", base64.b64encode(b"x" * 32).decode(), RFC4231_B64[:-4]],
    ids=["absent", "empty", "garbage", "wrong-digest", "truncated"],
)
def test_verify_refuses_when_header_is_wrong(header):
    assert not verify_webhook_hmac(b"what do ya want for nothing?", header, ["Jefe"])


def test_verify_refuses_when_one_byte_of_body_changed():
    body = payload_bytes("orders/create")
    header = webhook_hmac("s", body)
    tampered = body.replace(b'"404.95"', b'"004.95"', 1)
    assert tampered != body
    assert not verify_webhook_hmac(tampered, header, ["s"])


def test_verify_refuses_reserialised_json():
    """Parsing and re-dumping changes the bytes; the HMAC covers the raw body only."""
    import json

    body = payload_bytes("orders/create")
    header = webhook_hmac("s", body)
    assert not verify_webhook_hmac(json.dumps(json.loads(body)).encode(), header, ["s"])
