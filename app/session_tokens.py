"""Shopify session tokens (App Bridge's JWT) for embedded admin requests.

HS256 signed with the app secret; `aud` is the app's API key, `dest` the
shop's URL and `iss` its admin URL. Verified with PyJWT, `exp`/`nbf` with a
small leeway for clock skew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from app.domain.shops import SHOP_DOMAIN_RE

LEEWAY = timedelta(seconds=10)


class InvalidSessionToken(Exception):
    """The token is absent, forged, expired, or not for this app or shop."""


@dataclass(frozen=True)
class SessionToken:
    shop: str
    user_id: str | None
    session_id: str | None
    expires_at: datetime
    raw: str


def verify_session_token(token: str, *, api_key: str, secrets: tuple[str, ...]) -> SessionToken:
    """Verify signature, audience, lifetime and that iss/dest name the same shop."""
    if not token:
        raise InvalidSessionToken("missing session token")
    import jwt  # loaded on first use: webhook-only cold starts never need it

    claims = None
    last: Exception | None = None
    for secret in secrets:
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                audience=api_key,
                leeway=LEEWAY,
                options={"require": ["exp", "nbf", "iss", "dest", "aud"]},
            )
            break
        except jwt.InvalidSignatureError as exc:
            last = exc
            continue
        except jwt.PyJWTError as exc:
            raise InvalidSessionToken(f"session token rejected: {type(exc).__name__}") from exc
    if claims is None:
        raise InvalidSessionToken("session token signature does not match") from last
    dest = urlparse(str(claims["dest"]))
    iss = urlparse(str(claims["iss"]))
    shop = (dest.hostname or "").lower()
    if dest.scheme != "https" or not SHOP_DOMAIN_RE.match(shop):
        raise InvalidSessionToken("session token dest is not a shop URL")
    if (iss.hostname or "").lower() != shop or not iss.path.startswith("/admin"):
        raise InvalidSessionToken("session token iss and dest name different shops")
    return SessionToken(
        shop=shop,
        user_id=str(claims["sub"]) if claims.get("sub") is not None else None,
        session_id=claims.get("sid"),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        raw=token,
    )
