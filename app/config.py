"""Settings: the one reader of os.environ, validated at start-up.

Every variable is named in README.md. A missing or malformed variable stops
start-up with a message that names it and says what a valid value looks like.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from app.errors import ConfigError

ENVIRONMENTS = ("local", "test", "prod")

# Local defaults are documented in README.md; they never apply in prod.
LOCAL_DEFAULTS = {
    "SHOPIFY_API_KEY": "hemline-local-api-key",
    "SHOPIFY_API_SECRET": "hemline-local-api-secret-not-for-production",
    "HEMLINE_SECRET_KEY": "hemline-local-signing-key-not-for-production",
    "HEMLINE_TOKEN_KEY": "bG9jYWwtb25seS10b2tlbi1rZXktMzItYnl0ZXMhISE=",
}

API_VERSION_RE = re.compile(r"^\d{4}-(01|04|07|10)$")


@dataclass(frozen=True)
class Settings:
    env: str
    shopify_api_key: str
    shopify_api_secret: str
    shopify_api_secret_previous: str | None
    shopify_api_version: str
    shopify_scopes: tuple[str, ...]
    app_url: str
    secret_key: str
    table_name: str
    aws_region: str
    dynamodb_endpoint_url: str | None
    queue_url: str | None
    sqs_endpoint_url: str | None
    kms_key_id: str | None
    token_key: str | None
    shopify_admin_origin: str | None
    files_bucket: str | None
    mail_sender: str
    local_data_dir: str
    webhook_dedupe_ttl_days: int
    max_webhook_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.env in ("local", "test")

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        """Secrets a webhook HMAC may be made with: current first, then the one being rotated out."""
        if self.shopify_api_secret_previous:
            return (self.shopify_api_secret, self.shopify_api_secret_previous)
        return (self.shopify_api_secret,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the environment; raises ConfigError naming every bad variable."""
        env_map = dict(os.environ if environ is None else environ)
        if (env_map.get("HEMLINE_ENV") or "").strip() == "prod":
            # In AWS the environment names where secrets live (SSM, Secrets Manager); fetch them.
            from app.secrets import resolve_references

            env_map = resolve_references(env_map)
        problems: list[str] = []

        def get(
            name: str, default: str | None = None, *, required_in_prod: bool = False
        ) -> str | None:
            value = env_map.get(name)
            if value is not None and value.strip() == "":
                value = None
            if value is None:
                if env == "prod" and required_in_prod:
                    problems.append(f"{name} is required when HEMLINE_ENV=prod")
                    return None
                if env != "prod" and name in LOCAL_DEFAULTS:
                    return LOCAL_DEFAULTS[name]
                return default
            return value.strip()

        env = (env_map.get("HEMLINE_ENV") or "local").strip()
        if env not in ENVIRONMENTS:
            problems.append(f"HEMLINE_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
            env = "local"

        api_key = get("SHOPIFY_API_KEY", required_in_prod=True) or ""
        api_secret = get("SHOPIFY_API_SECRET", required_in_prod=True) or ""
        if api_secret and len(api_secret) < 32:
            problems.append(
                "SHOPIFY_API_SECRET looks truncated: Shopify client secrets have at least 32 characters"
            )
        previous = get("SHOPIFY_API_SECRET_PREVIOUS")

        api_version = get("SHOPIFY_API_VERSION", "2026-04") or ""
        if not API_VERSION_RE.match(api_version):
            problems.append(
                f"SHOPIFY_API_VERSION must look like 2026-04 (a quarterly release), got {api_version!r}"
            )

        scopes_raw = (
            get(
                "SHOPIFY_SCOPES",
                "read_orders,read_all_orders,write_orders,read_returns,write_returns,"
                "read_customers,write_store_credit_account_transactions,read_inventory,"
                "read_products,write_discounts,write_gift_cards,write_order_edits,"
                "read_fulfillments,write_reverse_fulfillment_orders",
            )
            or ""
        )
        scopes = tuple(s.strip() for s in scopes_raw.split(",") if s.strip())
        if not scopes:
            problems.append("SHOPIFY_SCOPES must list at least one scope, comma-separated")

        port = get("PORT", "8000") or "8000"
        app_url = get("HEMLINE_APP_URL", f"http://127.0.0.1:{port}", required_in_prod=True) or ""
        parsed = urlparse(app_url)
        if app_url and (parsed.scheme not in ("http", "https") or not parsed.netloc):
            problems.append(f"HEMLINE_APP_URL must be an absolute http(s) URL, got {app_url!r}")
        elif env == "prod" and parsed.scheme != "https":
            problems.append(
                "HEMLINE_APP_URL must use https in prod (Shopify only calls https URLs)"
            )

        secret_key = get("HEMLINE_SECRET_KEY", required_in_prod=True) or ""
        if secret_key and len(secret_key) < 32:
            problems.append(
                "HEMLINE_SECRET_KEY must be at least 32 characters (it signs portal sessions)"
            )

        ttl_raw = get("HEMLINE_WEBHOOK_DEDUPE_TTL_DAYS", "7") or "7"
        try:
            ttl_days = int(ttl_raw)
            if not 1 <= ttl_days <= 90:
                raise ValueError
        except ValueError:
            problems.append(
                f"HEMLINE_WEBHOOK_DEDUPE_TTL_DAYS must be a whole number 1-90, got {ttl_raw!r}"
            )
            ttl_days = 7

        kms_key_id = get("HEMLINE_KMS_KEY_ID")
        token_key = get("HEMLINE_TOKEN_KEY") if env != "prod" else env_map.get("HEMLINE_TOKEN_KEY")
        if env == "prod" and not kms_key_id:
            problems.append(
                "HEMLINE_KMS_KEY_ID is required when HEMLINE_ENV=prod (access tokens are KMS-encrypted)"
            )

        admin_origin = get("SHOPIFY_ADMIN_ORIGIN")
        if admin_origin and env == "prod":
            problems.append(
                "SHOPIFY_ADMIN_ORIGIN points Shopify calls at a simulator; it is not allowed in prod"
            )
        elif admin_origin and not urlparse(admin_origin).netloc:
            problems.append(
                f"SHOPIFY_ADMIN_ORIGIN must be an absolute URL like http://127.0.0.1:8100, got {admin_origin!r}"
            )

        files_bucket = get("HEMLINE_FILES_BUCKET", required_in_prod=True)
        mail_sender = (
            get(
                "HEMLINE_MAIL_SENDER",
                "Hemline Returns <returns@hemline.local>",
                required_in_prod=True,
            )
            or ""
        )
        if mail_sender and "@" not in mail_sender:
            problems.append(
                f"HEMLINE_MAIL_SENDER must be an email address (optionally 'Name <address>'), got {mail_sender!r}"
            )

        log_level = (get("LOG_LEVEL", "INFO") or "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

        if problems:
            raise ConfigError(problems)

        return cls(
            env=env,
            shopify_api_key=api_key,
            shopify_api_secret=api_secret,
            shopify_api_secret_previous=previous,
            shopify_api_version=api_version,
            shopify_scopes=scopes,
            app_url=app_url.rstrip("/"),
            secret_key=secret_key,
            table_name=get("HEMLINE_TABLE", "hemline") or "hemline",
            aws_region=get("AWS_REGION", env_map.get("AWS_DEFAULT_REGION") or "us-east-1")
            or "us-east-1",
            dynamodb_endpoint_url=get("DYNAMODB_ENDPOINT_URL"),
            queue_url=get("HEMLINE_QUEUE_URL"),
            sqs_endpoint_url=get("SQS_ENDPOINT_URL"),
            kms_key_id=kms_key_id,
            token_key=token_key,
            shopify_admin_origin=admin_origin.rstrip("/") if admin_origin else None,
            files_bucket=files_bucket,
            mail_sender=mail_sender,
            local_data_dir=get("HEMLINE_LOCAL_DATA", ".local") or ".local",
            webhook_dedupe_ttl_days=ttl_days,
            log_level=log_level,
        )
