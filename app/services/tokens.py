"""Access tokens for the Admin API: decrypted on demand, refreshed before they expire.

Expiring offline tokens live one hour and their refresh tokens rotate, so a
refresh is claimed with a conditional write (a short lease on the token
version) and only the winner calls Shopify; the others wait for its result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from app.adapters.crypto import TokenCipher
from app.adapters.dynamo.store import DynamoStore
from app.adapters.shopify_oauth import ShopifyOAuth, TokenGrant
from app.clock import Clock
from app.errors import Conflict, NotAllowed, UpstreamError
from app.observability import logger

REFRESH_AHEAD = timedelta(minutes=5)
# How old a copy of the shop's tokens the first look may use (writes in this process are
# seen at once; a refresh or an uninstall elsewhere within this time).
TOKENS_MAX_AGE_S = 30.0
LEASE_S = 30


def _ctx(shop: str, purpose: str) -> dict[str, str]:
    return {"shop": shop, "purpose": purpose}


def encrypt_grant(cipher: TokenCipher, shop: str, grant: TokenGrant) -> dict[str, Any]:
    """The token attributes to store for a grant, secrets encrypted."""
    fields: dict[str, Any] = {
        "access_token": cipher.encrypt(grant.access_token, _ctx(shop, "access_token")),
        "scopes": ",".join(grant.scopes),
        "token_expires_at": int(grant.expires_at.timestamp()) if grant.expires_at else 0,
    }
    if grant.refresh_token:
        fields["refresh_token"] = cipher.encrypt(grant.refresh_token, _ctx(shop, "refresh_token"))
        fields["refresh_expires_at"] = (
            int(grant.refresh_expires_at.timestamp()) if grant.refresh_expires_at else 0
        )
    return fields


class AccessTokens:
    """Hands out a valid access token for a shop, refreshing it when it is about to expire."""

    def __init__(
        self,
        *,
        store: DynamoStore,
        cipher: TokenCipher,
        oauth: ShopifyOAuth,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._store = store
        self._cipher = cipher
        self._oauth = oauth
        self._clock = clock
        self._sleep = sleep

    def store_grant(self, shop: str, grant: TokenGrant, *, status: str | None = None) -> None:
        self._store.save_tokens(shop, encrypt_grant(self._cipher, shop, grant), status=status)

    def access_token(self, shop: str) -> str:
        """A token valid for at least a few minutes; raises NotAllowed if the shop has none.

        The first look may use this process's copy of the shop's item (TOKENS_MAX_AGE_S): a
        Shopify call then costs no DynamoDB read. A copy whose token is due for refresh is
        never used as is: the refresh reads afresh, as does every later look.
        """
        for attempt in range(20):
            tokens = self._store.get_tokens(
                shop, max_age_s=TOKENS_MAX_AGE_S if attempt == 0 else 0.0
            )
            if tokens is None or tokens.get("status") == "uninstalled":
                raise NotAllowed(f"{shop} has not installed Hemline")
            now = self._clock.now()
            expires = int(tokens.get("token_expires_at", 0))
            if not expires or datetime.fromtimestamp(expires, now.tzinfo) - now > REFRESH_AHEAD:
                return self._cipher.decrypt(tokens["access_token"], _ctx(shop, "access_token"))
            if "refresh_token" not in tokens:
                raise NotAllowed(
                    f"the access token of {shop} expired and there is no refresh token"
                )
            if attempt == 0:
                continue  # due for refresh: decide on a fresh read, not on the copy
            version = int(tokens["token_version"])
            if self._store.claim_token_refresh(shop, version, int(now.timestamp()), LEASE_S):
                return self._refresh(shop, tokens, version, now)
            self._sleep(0.25)  # another worker is refreshing; read its result shortly
        raise UpstreamError(f"token refresh for {shop} did not finish", retryable=True)

    def _refresh(self, shop: str, tokens: dict[str, Any], version: int, now: datetime) -> str:
        refresh_token = self._cipher.decrypt(tokens["refresh_token"], _ctx(shop, "refresh_token"))
        grant = self._oauth.refresh(shop, refresh_token, now)
        try:
            self._store.save_refreshed_tokens(
                shop, encrypt_grant(self._cipher, shop, grant), version
            )
        except Conflict:
            logger.info(
                "tokens replaced during refresh; using the newer pair", extra={"shop": shop}
            )
            return self.access_token(shop)
        logger.info("access token refreshed", extra={"shop": shop})
        return grant.access_token
