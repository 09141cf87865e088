"""Installing Hemline on a shop: OAuth authorization code grant and token exchange.

An install is complete only when the shop has tokens, its profile, and its
webhook subscriptions; until then the shop stays `installing`, so a failure
half-way never leaves a shop that looks installed but receives nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from app.adapters.dynamo.store import DynamoStore
from app.adapters.shopify_oauth import ShopifyOAuth
from app.clock import Clock
from app.domain.shops import Shop, ShopProfile, ensure_shop_domain
from app.errors import InvalidInput, NotAllowed
from app.observability import logger
from app.security import verify_oauth_query
from app.services.tokens import AccessTokens
from app.services.webhooks import API_SUBSCRIBED_TOPICS

STATE_TTL = timedelta(minutes=10)
CALLBACK_MAX_AGE = timedelta(hours=1)


class ShopSetup(Protocol):
    """What an install needs from the Admin API once it has a token."""

    def shop_profile(self, shop: str) -> ShopProfile: ...

    def ensure_webhook_subscriptions(
        self, shop: str, callback_url: str, topics: tuple[str, ...]
    ) -> list[str]:
        """Create the subscriptions that are missing; returns the topics it created."""
        ...


@dataclass(frozen=True)
class InstallStart:
    redirect_url: str
    state: str


def begin_install(
    shop_param: object,
    *,
    store: DynamoStore,
    oauth: ShopifyOAuth,
    clock: Clock,
    scopes: tuple[str, ...],
    app_url: str,
) -> InstallStart:
    """Validate the shop and send the merchant to Shopify's grant screen with a single-use state."""
    shop = ensure_shop_domain(shop_param, "shop")
    state = secrets.token_urlsafe(24)
    store.put_oauth_state(shop, state, int((clock.now() + STATE_TTL).timestamp()))
    url = oauth.authorize_url(
        shop, scopes=scopes, redirect_uri=f"{app_url}/auth/callback", state=state
    )
    return InstallStart(redirect_url=url, state=state)


def complete_install(
    params: dict[str, str],
    cookie_state: str | None,
    *,
    api_secret: str,
    required_scopes: tuple[str, ...],
    app_url: str,
    store: DynamoStore,
    oauth: ShopifyOAuth,
    tokens: AccessTokens,
    setup: ShopSetup,
    clock: Clock,
) -> str:
    """Verify Shopify's callback, store the tokens, set the shop up; returns the shop domain.

    Raises InvalidInput (forged or stale callback) or NotAllowed (scopes refused).
    """
    if not verify_oauth_query(params, api_secret):
        raise InvalidInput("the install link's signature does not match", "hmac")
    shop = ensure_shop_domain(params.get("shop"), "shop")
    try:
        issued = datetime.fromtimestamp(int(params.get("timestamp", "")), UTC)
    except ValueError as exc:
        raise InvalidInput("is missing or malformed", "timestamp") from exc
    now = clock.now()
    if abs(now - issued) > CALLBACK_MAX_AGE:
        raise InvalidInput("the install link has expired", "timestamp")
    state = params.get("state") or ""
    # The nonce must be the one this browser was given and never used before.
    if (
        not state
        or state != cookie_state
        or not store.consume_oauth_state(shop, state, int(now.timestamp()))
    ):
        raise InvalidInput("the install link was already used or did not start here", "state")
    code = params.get("code") or ""
    if not code:
        raise InvalidInput("is missing", "code")

    grant = oauth.exchange_code(shop, code, now)
    missing = sorted(set(required_scopes) - _implied(grant.scopes))
    if missing:
        raise NotAllowed(
            f"Shopify granted fewer permissions than Hemline needs: {', '.join(missing)}"
        )
    tokens.store_grant(shop, grant, status="installing")
    finish_setup(shop, store=store, setup=setup, app_url=app_url, clock=clock)
    return shop


def finish_setup(
    shop: str, *, store: DynamoStore, setup: ShopSetup, app_url: str, clock: Clock
) -> None:
    """Read the shop's profile and subscribe to webhooks, then mark it installed."""
    profile = setup.shop_profile(shop)
    created = setup.ensure_webhook_subscriptions(shop, f"{app_url}/webhooks", API_SUBSCRIBED_TOPICS)
    existing = store.get_shop(shop) or Shop(domain=shop, status="installing")
    # A re-install refreshes what Shopify says and keeps the merchant's own settings.
    store.put_shop(
        replace(
            existing,
            status="installed",
            installed_at=clock.now(),
            name=profile.name,
            country=profile.country,
            timezone=profile.timezone,
            currency=profile.currency,
        )
    )
    logger.info("shop installed", extra={"shop": shop, "subscriptions_created": len(created)})


def _implied(granted: tuple[str, ...]) -> set[str]:
    """Granted scopes plus those they imply (write_x implies read_x)."""
    scopes = set(granted)
    scopes.update("read_" + s[len("write_") :] for s in granted if s.startswith("write_"))
    return scopes


def install_with_session_token(
    shop: str,
    session_token: str,
    *,
    store: DynamoStore,
    oauth: ShopifyOAuth,
    tokens: AccessTokens,
    setup: ShopSetup,
    app_url: str,
    clock: Clock,
) -> None:
    """Embedded install (Shopify-managed): trade a verified session token for offline tokens."""
    grant = oauth.token_exchange(shop, session_token, clock.now())
    tokens.store_grant(shop, grant, status="installing")
    finish_setup(shop, store=store, setup=setup, app_url=app_url, clock=clock)


def is_shop_domain(value: str) -> bool:
    try:
        ensure_shop_domain(value)
    except InvalidInput:
        return False
    return True
