"""`make run`'s access log without secrets: the console shows every request, but not the
OAuth codes, signatures, session tokens and signed links that would let a reader act as a
merchant or a customer."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from werkzeug.serving import WSGIRequestHandler

REDACTED = "[redacted]"
# Query values that are credentials: Shopify's OAuth code, HMAC and state, the embedded
# admin's id_token, the portal's signed status links (t).
SECRET_PARAMS = frozenset({"code", "hmac", "state", "id_token", "session", "t", "token"})
# Path segments that are credentials: the one-click links in backorder emails.
_SECRET_PATH = re.compile(r"^(/o/)[^/?]+")


def redact(path: str) -> str:
    """`path` (with its query) as it may be logged."""
    path, sep, query = path.partition("?")
    path = _SECRET_PATH.sub(rf"\g<1>{REDACTED}", path)
    if not sep:
        return path
    pairs = [
        (k, REDACTED if k in SECRET_PARAMS else v)
        for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{path}?{urlencode(pairs, safe='[]')}"


class RedactingRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, logging each request with `redact`ed path and query."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        original = getattr(self, "path", None)
        if original is None:
            super().log_request(code, size)
            return
        self.path = redact(original)
        try:
            super().log_request(code, size)
        finally:
            self.path = original
