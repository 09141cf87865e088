"""Download a bought label's PDF from the URL a provider returned."""

from __future__ import annotations

from app.errors import UpstreamError

MAX_LABEL_BYTES = 5 * 1024 * 1024


def download_label(url: str, *, timeout_s: float = 20) -> bytes:
    """The PDF at `url`; raises UpstreamError(retryable) for any failure, since the label
    was bought and a later attempt finds it again by reference and gets a fresh URL."""
    if not url.startswith(("https://", "http://")):
        raise UpstreamError("label URL is not http(s)", retryable=False)
    import requests  # loaded on first download, not at cold start

    try:
        res = requests.get(url, timeout=timeout_s)
    except requests.RequestException as exc:
        raise UpstreamError(f"label download failed: {type(exc).__name__}", retryable=True) from exc
    if res.status_code != 200:
        raise UpstreamError(f"label download answered {res.status_code}", retryable=True)
    body = res.content
    if len(body) > MAX_LABEL_BYTES or not body.startswith(b"%PDF-"):
        raise UpstreamError("label download is not a PDF", retryable=True)
    return body
