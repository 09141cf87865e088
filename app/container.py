"""The composition root: builds every client and adapter once per process from Settings."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from app.adapters.crypto import KmsTokenCipher, LocalTokenCipher, TokenCipher
from app.adapters.dynamo.store import DynamoStore
from app.adapters.files import FileStore, LocalFileStore, S3FileStore
from app.adapters.mail import LocalOutbox, Mailer, SesMailer
from app.adapters.queues import InProcessWebhookQueue, SqsWebhookQueue
from app.adapters.shopify_oauth import ShopifyOAuth
from app.clock import Clock, SystemClock
from app.config import Settings
from app.errors import InvalidInput, NotAllowed, UpstreamError
from app.observability import Metrics
from app.services.tokens import AccessTokens

# The services, the Admin API client and its models are imported where they are used: a
# cold start builds the app and this container, and the first request of each kind imports
# what it needs (a webhook's, the ingress path alone). See docs/performance.md.
if TYPE_CHECKING:
    from app.adapters.labels.ports import LabelProvider
    from app.domain.orders import Fulfillment, OrderSnapshot, Refund
    from app.domain.rma import Rma
    from app.domain.shops import Shop
    from app.services import webhooks
    from app.services.install import ShopSetup
    from app.services.ports import HandlerDeps, WebhookQueue
    from app.services.proactive import ProactiveContext
    from app.services.returns import ReturnsContext
    from app.session_tokens import SessionToken
    from app.shopify.client import AdminClient

# Presigned POSTs for photo uploads need Signature Version 4.
_S3_CONFIG = Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 3})

_BOTO_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=32,
)


class LazyClient:
    """A boto3 client built on its first use, once per process.

    Building a client loads its service model (tens of milliseconds each); a cold start
    then pays only for the clients its path uses: a webhook acknowledgement needs
    DynamoDB and SQS, never KMS, S3 or SES. The Admin API shop set-up is built the same
    way, for the modules it imports.
    """

    def __init__(self, build: Callable[[], Any]):
        self._build = build
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build()
                client = self._client
        return getattr(client, name)


def _shopify_shop_setup(admin_for: Callable[[str], AdminClient]) -> ShopSetup:
    from app.adapters.shopify_admin import ShopifyShopSetup

    return ShopifyShopSetup(admin_for)


def dynamodb_client(settings: Settings) -> Any:
    kwargs: dict[str, Any] = {"region_name": settings.aws_region, "config": _BOTO_CONFIG}
    if settings.dynamodb_endpoint_url:
        kwargs["endpoint_url"] = settings.dynamodb_endpoint_url
        if settings.is_local:
            # DynamoDB Local (started with -sharedDb) accepts any credentials.
            kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
    return LazyClient(lambda: boto3.client("dynamodb", **kwargs))


def token_cipher(settings: Settings, kms: Any = None) -> TokenCipher:
    """KMS when a key id is configured (always in prod), else the local AES key."""
    if settings.kms_key_id:
        client = kms or LazyClient(
            lambda: boto3.client("kms", region_name=settings.aws_region, config=_BOTO_CONFIG)
        )
        return KmsTokenCipher(client, settings.kms_key_id)
    assert settings.token_key, "config guarantees a local token key outside prod"
    return LocalTokenCipher(settings.token_key)


@dataclass
class Container:
    """Everything a request or a Lambda invocation needs, wired explicitly."""

    settings: Settings
    store: DynamoStore
    clock: Clock
    metrics: Metrics
    cipher: TokenCipher
    oauth: ShopifyOAuth
    tokens: AccessTokens = field(init=False)
    queue: WebhookQueue = field(init=False)
    shop_setup: ShopSetup = field(init=False)
    files: FileStore = field(init=False)
    mailer: Mailer = field(init=False)
    outbox: LocalOutbox | None = None

    def admin_landing_url(self, shop: str) -> str:
        """Where a merchant lands after installing: the app inside the Shopify admin."""
        if self.settings.shopify_admin_origin or self.settings.is_local:
            return f"{self.settings.app_url}/admin?shop={shop}"
        store_handle = shop.removesuffix(".myshopify.com")
        return (
            f"https://admin.shopify.com/store/{store_handle}/apps/{self.settings.shopify_api_key}"
        )

    def admin_for(self, shop: str) -> AdminClient:
        """An Admin API client for the shop with a fresh access token (refreshed when due)."""
        from app.shopify.client import AdminClient

        origin = self.settings.shopify_admin_origin
        return AdminClient(
            shop,
            self.tokens.access_token(shop),
            self.settings.shopify_api_version,
            base_url=f"{origin}/shops/{shop}" if origin else None,
        )

    def install_with_session_token(self, session: SessionToken) -> None:
        """Embedded (Shopify-managed) install: session token -> offline tokens -> set-up."""
        from app.services import install

        install.install_with_session_token(
            session.shop,
            session.raw,
            store=self.store,
            oauth=self.oauth,
            tokens=self.tokens,
            setup=self.shop_setup,
            app_url=self.settings.app_url,
            clock=self.clock,
        )

    def order_from_shopify(
        self, shop: str, order_id: int
    ) -> tuple[OrderSnapshot, list[Fulfillment], list[Refund]] | None:
        """The order as the Admin API has it now; None when the shop has no usable token."""
        from app.adapters.shopify_admin import admin_order_to_snapshot
        from app.shopify.errors import ShopifyAuthError, ShopifyError

        try:
            admin = self.admin_for(shop)
        except NotAllowed:
            return None
        try:
            order = admin.get_order(f"gid://shopify/Order/{order_id}")
        except ShopifyAuthError:
            return None
        except ShopifyError as exc:
            raise UpstreamError(f"Shopify: {type(exc).__name__}", retryable=exc.retryable) from exc
        return admin_order_to_snapshot(order) if order else None

    def label_provider_for(self, shop: Shop) -> LabelProvider:
        """The shop's label provider; the built-in PDF label unless the merchant chose another.

        Raises InvalidInput when EasyPost or Shippo has no API key saved yet, UpstreamError
        when the saved key does not decrypt.
        """
        # Imported here: reportlab costs a cold start ~90 ms, and only label purchases need it.
        from app.adapters.labels.builtin import BuiltinLabelProvider

        if shop.label_provider == "builtin":
            return BuiltinLabelProvider(carrier="Hemline", currency=shop.currency)
        # Imported here: only shops on a paid provider pay for loading its SDK.
        from app.adapters.labels.easypost import EasyPostLabelProvider
        from app.adapters.labels.shippo import ShippoLabelProvider
        from app.services.settings import decrypt_label_key

        providers = {"easypost": EasyPostLabelProvider, "shippo": ShippoLabelProvider}
        if shop.label_provider not in providers:
            raise InvalidInput(f"unknown label provider {shop.label_provider}", "label_provider")
        api_key = decrypt_label_key(self.cipher, shop)
        if not api_key:
            raise InvalidInput(
                f"the {shop.label_provider} label provider has no API key yet; add it in settings",
                "label_provider",
            )
        # No base URL: each SDK's default is the provider's public API root.
        return providers[shop.label_provider](api_key)

    def returns_context(self) -> ReturnsContext:
        from app.adapters.dynamo.ledger import DynamoLedger
        from app.services import return_effects
        from app.services.returns import ReturnsContext
        from app.web.portal import status_link

        return ReturnsContext(
            store=self.store,
            ledger=DynamoLedger(self.store),
            clock=self.clock,
            admin_for=self.admin_for,
            after_approval=return_effects.issue_label,
            notify=return_effects.notify,
            files=self.files,
            mailer=self.mailer,
            label_provider_for=self.label_provider_for,
            status_link=lambda shop, number: status_link(shop, number, settings=self.settings),
            metrics=self.metrics,
        )

    def proactive_context(self) -> ProactiveContext:
        from app.adapters.dynamo.ledger import DynamoLedger
        from app.services.eligibility import policy_for
        from app.services.proactive import ProactiveContext

        return ProactiveContext(
            store=self.store,
            ledger=DynamoLedger(self.store),
            clock=self.clock,
            admin_for=self.admin_for,
            mailer=self.mailer,
            policy_for=policy_for,
            app_url=self.settings.app_url,
            link_secret=self.settings.secret_key.encode(),
            metrics=self.metrics,
        )

    def handler_deps(self) -> HandlerDeps:
        from app.services.ports import HandlerDeps

        return HandlerDeps(
            store=self.store,
            clock=self.clock,
            order_source=self.order_from_shopify,
            on_shipment=self.on_shipment,
            on_order=self.on_order,
            on_inventory=self.on_inventory,
            on_return_refunded=self.on_return_refunded,
            files=self.files,
        )

    def on_return_refunded(self, shop: str, rma: Rma) -> None:
        """A return settled by Shopify's refunds/create: the customer's refund email, once."""
        from app.services import return_effects

        known = self.store.get_shop(shop)
        if known is not None:
            return_effects.notify(self.returns_context(), known, rma, "refund_issued")

    def on_order(self, shop: Shop, order: OrderSnapshot) -> None:
        """A new order: promise its delivery date and look for backordered items (sweeps.order_hooks)."""
        from app.services import sweeps

        sweeps.order_hooks(self.proactive_context(), shop, order.id, order.customer_locale)

    def on_inventory(self, shop: str, inventory_item_id: int) -> None:
        from app.services import backorders

        known = self.store.get_shop(shop)
        if known is not None and known.is_installed:
            backorders.recheck_inventory_item(self.proactive_context(), known, inventory_item_id)

    def reconcile(self) -> dict[str, str]:
        """The daily reconciliation: subscriptions, missed orders (with their hooks), digests."""
        from app.services import sla, sync

        def schedule_digest(shop: str) -> None:
            known = self.store.get_shop(shop)
            if known is not None:
                sla.ensure_digest_scheduled(self.store, known, self.clock.now())

        return sync.reconcile_shops(
            store=self.store,
            setup=self.shop_setup,
            admin_for=self.admin_for,
            clock=self.clock,
            app_url=self.settings.app_url,
            on_order=self.on_order,
            on_shop=schedule_digest,
        )

    def on_shipment(self, shop: str, fulfillment: Fulfillment) -> None:
        """A shipment of a shop that can be asked: tell customers whose exchange items it carries;
        a delivered one settles its order's delivery promise."""
        from app.services import delays, returns

        if self.store.get_tokens(shop) is None:
            return
        returns.exchange_shipped(self.returns_context(), shop, fulfillment)
        if fulfillment.delivered_at is not None:
            delays.on_delivered(
                self.proactive_context(), shop, fulfillment.order_id, fulfillment.delivered_at
            )

    def process_webhook(self, shop: str, key: str, *, final_attempt: bool = False) -> str:
        from app.services import webhooks

        return webhooks.process_webhook(
            shop,
            key,
            deps=self.handler_deps(),
            metrics=self.metrics,
            final_attempt=final_attempt,
        )

    def receive_webhook(self, delivery: webhooks.Delivery) -> webhooks.Receipt:
        from app.services import webhooks

        return webhooks.receive_webhook(
            delivery,
            secrets=self.settings.webhook_secrets,
            store=self.store,
            queue=self.queue,
            clock=self.clock,
            metrics=self.metrics,
            dedupe_ttl=timedelta(days=self.settings.webhook_dedupe_ttl_days),
        )


def build_container(
    settings: Settings,
    *,
    dynamodb: Any = None,
    sqs: Any = None,
    clock: Clock | None = None,
    queue: WebhookQueue | None = None,
    metrics: Metrics | None = None,
    kms: Any = None,
    s3: Any = None,
    ses: Any = None,
) -> Container:
    """Wire the app; clients are built only when none is given (tests inject their own)."""
    store = DynamoStore(dynamodb or dynamodb_client(settings), settings.table_name)
    container = Container(
        settings=settings,
        store=store,
        clock=clock or SystemClock(),
        metrics=metrics or Metrics(enabled=settings.env == "prod"),
        cipher=token_cipher(settings, kms),
        oauth=ShopifyOAuth(
            api_key=settings.shopify_api_key,
            api_secret=settings.shopify_api_secret,
            admin_origin=settings.shopify_admin_origin,
        ),
    )
    admin_for = container.admin_for
    # Built on first use: it brings the Admin API client and its models, which only
    # installs and the daily reconciliation need.
    container.shop_setup = LazyClient(lambda: _shopify_shop_setup(admin_for))
    data_dir = Path(settings.local_data_dir)
    if settings.files_bucket:
        s3 = s3 or LazyClient(
            lambda: boto3.client("s3", region_name=settings.aws_region, config=_S3_CONFIG)
        )
        container.files = S3FileStore(s3, settings.files_bucket)
    else:
        container.files = LocalFileStore(data_dir / "files", settings.app_url)
    if settings.is_local:
        container.outbox = LocalOutbox(data_dir / "outbox")
        container.mailer = container.outbox
    else:
        ses = ses or LazyClient(
            lambda: boto3.client("sesv2", region_name=settings.aws_region, config=_BOTO_CONFIG)
        )
        container.mailer = SesMailer(ses, settings.mail_sender)
    container.tokens = AccessTokens(
        store=store, cipher=container.cipher, oauth=container.oauth, clock=container.clock
    )
    if queue is not None:
        container.queue = queue
    elif settings.queue_url:
        sqs_kwargs: dict[str, Any] = {"region_name": settings.aws_region, "config": _BOTO_CONFIG}
        if settings.sqs_endpoint_url:
            sqs_kwargs["endpoint_url"] = settings.sqs_endpoint_url
        container.queue = SqsWebhookQueue(
            sqs or LazyClient(lambda: boto3.client("sqs", **sqs_kwargs)), settings.queue_url
        )
    else:
        container.queue = InProcessWebhookQueue(container.process_webhook)
    return container


_lock = threading.Lock()


@functools.cache
def _cached() -> Container:
    return build_container(Settings.from_env())


def get_container() -> Container:
    """The process-wide container (Lambda handlers reuse it across invocations)."""
    with _lock:
        return _cached()
