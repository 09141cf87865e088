"""Shopify's OAuth endpoints for the simulated shops, auto-approving installs.

- authorize: redirects to the app with code, hmac, host, shop, state and
  timestamp; the hmac is hex HMAC-SHA256 (app secret) over the sorted
  `key=value` pairs without `hmac`, escaped as Shopify (and ShopifyAPI) do.
- access_token: authorization-code grant (codes are single use), refresh-token
  grant (rotates: the old refresh token stops working) and the token-exchange
  grant (an App Bridge session token, HS256 with the app secret, for an
  offline or online token). `expiring=1` yields expiring offline tokens:
  expires_in 3600 plus a refresh token that lives 90 days.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt

from infra.local.devstore import state as s
from infra.local.devstore.clock import Clock
from infra.local.devstore.store import DevStore

ACCESS_TTL = 3600
ONLINE_TTL = 86399
REFRESH_TTL = 90 * 24 * 3600
CODE_TTL = 600
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a grant name
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105 - a type name
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"  # noqa: S105
ONLINE_TOKEN = "urn:shopify:params:oauth:token-type:online-access-token"  # noqa: S105
INVALID_TOKEN_BODY = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}


def query_hmac(secret: str, params: dict[str, Any]) -> str:
    """Hex HMAC-SHA256 of the sorted `k=v` pairs (without hmac) joined by '&'.

    Values of `k[]` keys are JSON lists; '%', '&' and '=' are escaped so that
    no value can forge a separator, exactly as Shopify verifies it.
    """
    pairs = []
    for key, value in params.items():
        if key == "hmac":
            continue
        if key.endswith("[]"):
            key = key[:-2]
            value = json.dumps([str(v) for v in value])
        key = str(key).replace("%", "%25").replace("=", "%3D")
        value = str(value).replace("%", "%25")
        pairs.append(f"{key}={value}".replace("&", "%26"))
    message = "&".join(sorted(pairs))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass
class AccessToken:
    token: str
    shop: str
    scope: str
    expires_at: datetime | None
    online: bool = False


@dataclass
class Grant:
    """An authorization code or a refresh token: single use, with an expiry."""

    value: str
    shop: str
    scope: str
    expires_at: datetime
    online: bool = False


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


class OAuthServer:
    """Tokens, codes and refresh tokens of every shop; thread-safe."""

    def __init__(
        self, store: DevStore, *, api_key: str, api_secret: str, app_url: str | None, clock: Clock
    ):
        self.store = store
        self.api_key = api_key
        self.api_secret = api_secret
        self.app_url = app_url.rstrip("/") if app_url else None
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, AccessToken] = {}
        self._codes: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._codes.clear()
            self._refresh.clear()

    # -- authorize ---------------------------------------------------------------------------

    def authorize(self, params: dict[str, Any], shop_domain: str | None) -> str:
        """The redirect URL back to the app; raises OAuthError for a bad request."""
        if params.get("client_id") != self.api_key:
            raise OAuthError(
                400, "invalid_request", "Oauth error invalid_request: The client_id is invalid"
            )
        redirect_uri = params.get("redirect_uri") or ""
        if not redirect_uri or (self.app_url and not redirect_uri.startswith(self.app_url)):
            raise OAuthError(
                400,
                "invalid_request",
                "Oauth error invalid_request: The redirect_uri is not whitelisted",
            )
        domain = (shop_domain or params.get("shop") or "").lower()
        shop = self.store.shops.get(domain)
        if shop is None:
            raise OAuthError(
                404, "shop_not_found", f"There is no shop at {domain or 'this address'}"
            )
        online = "per-user" in (params.get("grant_options[]") or [])
        code = secrets.token_hex(16)
        now = self.clock.now()
        with self._lock:
            self._codes[code] = Grant(
                value=code,
                shop=shop.domain,
                scope=params.get("scope") or "",
                expires_at=now + timedelta(seconds=CODE_TTL),
                online=online,
            )
        store_handle = shop.domain.split(".", 1)[0]
        host = base64.urlsafe_b64encode(f"admin.shopify.com/store/{store_handle}".encode()).decode()
        answer = {
            "code": code,
            "host": host.rstrip("="),
            "shop": shop.domain,
            "timestamp": str(int(now.timestamp())),
        }
        if params.get("state") is not None:
            answer["state"] = params["state"]
        answer["hmac"] = query_hmac(self.api_secret, answer)
        separator = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{separator}{urlencode(answer)}"

    # -- access_token ------------------------------------------------------------------------

    def access_token(self, form: dict[str, Any], path_shop: str | None = None) -> dict[str, Any]:
        """The token response body for any supported grant; raises OAuthError."""
        if form.get("client_id") != self.api_key or not hmac.compare_digest(
            str(form.get("client_secret") or ""), self.api_secret
        ):
            raise OAuthError(401, "invalid_client", "Client authentication failed")
        grant_type = form.get("grant_type") or "authorization_code"
        expiring = str(form.get("expiring", "0")) == "1"
        if grant_type == "authorization_code":
            grant = self._take(self._codes, form.get("code"))
            if grant is None or (path_shop and grant.shop != path_shop):
                raise OAuthError(
                    400,
                    "invalid_request",
                    "The authorization code was not found or was already used",
                )
            return self.issue(grant.shop, grant.scope, expiring=expiring, online=grant.online)
        if grant_type == "refresh_token":
            grant = self._take(self._refresh, form.get("refresh_token"))
            if grant is None or (path_shop and grant.shop != path_shop):
                raise OAuthError(
                    400,
                    "invalid_grant",
                    "The refresh token is invalid, expired or was already used",
                )
            return self.issue(grant.shop, grant.scope, expiring=True, online=False)
        if grant_type == TOKEN_EXCHANGE:
            return self._exchange(form, path_shop, expiring)
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type {grant_type}")

    def _take(self, grants: dict[str, Grant], value: Any) -> Grant | None:
        """Remove and return a live grant; used or expired ones are gone for good."""
        with self._lock:
            grant = grants.pop(str(value), None) if value else None
        if grant is None or grant.expires_at <= self.clock.now():
            return None
        return grant

    def _exchange(
        self, form: dict[str, Any], path_shop: str | None, expiring: bool
    ) -> dict[str, Any]:
        if form.get("subject_token_type") != ID_TOKEN:
            raise OAuthError(400, "invalid_request", "subject_token_type must be an id_token")
        requested = form.get("requested_token_type")
        if requested not in (OFFLINE_TOKEN, ONLINE_TOKEN):
            raise OAuthError(400, "invalid_request", "requested_token_type is not supported")
        try:
            claims = jwt.decode(
                str(form.get("subject_token") or ""),
                self.api_secret,
                algorithms=["HS256"],
                audience=self.api_key,
                leeway=10,
                # The claims App Bridge always sets (and the app itself requires).
                options={"require": ["exp", "nbf", "iss", "dest", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise OAuthError(
                400, "invalid_subject_token", f"The session token is invalid: {exc}"
            ) from exc
        dest = str(claims["dest"]).removeprefix("https://").rstrip("/").lower()
        if not str(claims["iss"]).startswith(f"https://{dest}/admin") or (
            path_shop and path_shop != dest
        ):
            raise OAuthError(
                400, "invalid_subject_token", "The session token's issuer does not match its shop"
            )
        if dest not in self.store.shops:
            raise OAuthError(400, "invalid_subject_token", f"Unknown shop {dest}")
        online = requested == ONLINE_TOKEN
        scope = self._scope_for(dest)
        return self.issue(
            dest, scope, expiring=expiring or online, online=online, user_id=claims.get("sub")
        )

    def _scope_for(self, shop: str) -> str:
        with self._lock:
            scopes = [t.scope for t in self._tokens.values() if t.shop == shop and t.scope]
        return scopes[-1] if scopes else "read_orders,write_orders,read_returns,write_returns"

    def issue(
        self, shop_domain: str, scope: str, *, expiring: bool, online: bool, user_id: Any = None
    ) -> dict[str, Any]:
        now = self.clock.now()
        prefix = "shpua_" if online else "shpat_"
        token = AccessToken(
            token=prefix + secrets.token_hex(16),
            shop=shop_domain,
            scope=scope,
            expires_at=now + timedelta(seconds=ONLINE_TTL if online else ACCESS_TTL)
            if (expiring or online)
            else None,
            online=online,
        )
        body: dict[str, Any] = {"access_token": token.token, "scope": scope}
        with self._lock:
            self._tokens[token.token] = token
        shop = self.store.shops[shop_domain]
        shop.installed = True
        if online:
            body["expires_in"] = ONLINE_TTL
            body["associated_user_scope"] = scope
            body["associated_user"] = {
                "id": int(user_id) if str(user_id or "").isdigit() else 902541635,
                "first_name": "Dev",
                "last_name": "Owner",
                "email": shop.email,
                "account_owner": True,
                "locale": "en",
                "collaborator": False,
                "email_verified": True,
            }
        elif expiring:
            refresh = Grant(
                value="shprt_" + secrets.token_hex(16),
                shop=shop_domain,
                scope=scope,
                expires_at=now + timedelta(seconds=REFRESH_TTL),
            )
            with self._lock:
                self._refresh[refresh.value] = refresh
            body["expires_in"] = ACCESS_TTL
            body["refresh_token"] = refresh.value
            body["refresh_token_expires_in"] = REFRESH_TTL
        return body

    # -- checking tokens ---------------------------------------------------------------------

    def shop_for(self, token: str | None) -> s.Shop | None:
        """The shop an unexpired access token belongs to, else None."""
        if not token:
            return None
        with self._lock:
            record = self._tokens.get(token)
        if record is None or (
            record.expires_at is not None and record.expires_at <= self.clock.now()
        ):
            return None
        return self.store.shops.get(record.shop)

    def revoke_shop(self, shop_domain: str) -> None:
        with self._lock:
            for table in (self._tokens, self._codes, self._refresh):
                for key in [k for k, v in table.items() if v.shop == shop_domain]:
                    del table[key]
