"""Shopify's OAuth endpoints: authorization code grant, refresh, and token exchange.

Offline tokens are requested as expiring (`expiring=1`): a one-hour access
token and a refresh token, which Shopify rotates on every refresh. ShopifyAPI's
`Session.request_token` predates expiring tokens, so these calls are made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from app.errors import InvalidInput, UpstreamError

if TYPE_CHECKING:
    import requests

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a grant type name
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105 - a token type name
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"  # noqa: S105


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    refresh_token: str | None
    refresh_expires_at: datetime | None


class ShopifyOAuth:
    """Talks to `https://<shop>/admin/oauth/...` (or the dev-store simulator's origin locally)."""

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        admin_origin: str | None = None,
        http: requests.Session | None = None,
        timeout_s: float = 10.0,
    ):
        self._key = api_key
        self._secret = api_secret
        self._origin = admin_origin.rstrip("/") if admin_origin else None
        self._http_session = http  # requests loads on the first grant, not at cold start
        self._timeout = timeout_s

    def _http(self) -> requests.Session:
        if self._http_session is None:
            import requests

            self._http_session = requests.Session()
        return self._http_session

    def _base(self, shop: str) -> str:
        return self._origin or f"https://{shop}"

    def authorize_url(
        self, shop: str, *, scopes: tuple[str, ...], redirect_uri: str, state: str
    ) -> str:
        params = {
            "client_id": self._key,
            "scope": ",".join(scopes),
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if self._origin:
            params["shop"] = shop  # one simulator serves many shops; real Shopify uses the host
        return f"{self._base(shop)}/admin/oauth/authorize?{urlencode(params)}"

    def exchange_code(self, shop: str, code: str, now: datetime) -> TokenGrant:
        """Trade an authorization code for an expiring offline token pair."""
        return self._token(shop, {"code": code, "expiring": "1"}, now)

    def refresh(self, shop: str, refresh_token: str, now: datetime) -> TokenGrant:
        """Trade a refresh token for a new pair; the old refresh token stops working."""
        return self._token(
            shop, {"grant_type": "refresh_token", "refresh_token": refresh_token}, now
        )

    def token_exchange(self, shop: str, session_token: str, now: datetime) -> TokenGrant:
        """Trade an embedded app's session token for an expiring offline token pair."""
        return self._token(
            shop,
            {
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": session_token,
                "subject_token_type": ID_TOKEN,
                "requested_token_type": OFFLINE_TOKEN,
                "expiring": "1",
            },
            now,
        )

    def _token(self, shop: str, fields: dict[str, str], now: datetime) -> TokenGrant:
        import requests

        body = {"client_id": self._key, "client_secret": self._secret, **fields}
        try:
            res = self._http().post(
                f"{self._base(shop)}/admin/oauth/access_token",
                data=body,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise UpstreamError(
                f"Shopify OAuth unreachable: {type(exc).__name__}", retryable=True
            ) from exc
        if res.status_code >= 500 or res.status_code == 429:
            raise UpstreamError(f"Shopify OAuth answered {res.status_code}", retryable=True)
        if res.status_code != 200:
            raise InvalidInput(f"Shopify refused the grant ({res.status_code})", "code")
        try:
            data: dict[str, Any] = res.json()
            access = str(data["access_token"])
        except (ValueError, KeyError) as exc:
            raise UpstreamError(
                "Shopify OAuth answered without an access token", retryable=False
            ) from exc
        expires_in = data.get("expires_in")
        refresh_in = data.get("refresh_token_expires_in")
        return TokenGrant(
            access_token=access,
            scopes=tuple(s for s in str(data.get("scope", "")).split(",") if s),
            expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
            refresh_token=data.get("refresh_token"),
            refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
        )
