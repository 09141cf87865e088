"""Signatures Shopify puts on what it sends us, verified in constant time.

ShopifyAPI has no helper for webhook HMACs, so this is the one small function
that does it: base64(HMAC-SHA256(app secret, raw body)), compared with
`X-Shopify-Hmac-Sha256`. During a secret rotation both secrets are accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def webhook_hmac(secret: str, body: bytes) -> str:
    """The header value Shopify sends for `body` signed with `secret`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_webhook_hmac(body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """True when `header` is the HMAC of `body` under any of `secrets`."""
    if not header:
        return False
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (ValueError, TypeError):
        return False
    ok = False
    for secret in secrets:
        expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
        # Check every secret so the time taken does not say which one matched.
        ok |= hmac.compare_digest(expected, given)
    return ok


def oauth_query_hmac(secret: str, params: dict[str, str]) -> str:
    """Shopify's HMAC over an OAuth/app-load query: hex, over sorted `k=v` pairs joined by '&'."""
    message = "&".join(
        f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature")
    )
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_oauth_query(params: dict[str, str], secret: str) -> bool:
    """True when the query's `hmac` is Shopify's signature of the rest of it."""
    given = params.get("hmac") or ""
    return hmac.compare_digest(oauth_query_hmac(secret, params), given.lower())
