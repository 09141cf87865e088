"""Settings from the environment: local defaults, prod requirements, errors that name the variable."""

import pytest

from app.config import LOCAL_DEFAULTS, Settings
from app.errors import ConfigError


def test_local_defaults_apply_when_nothing_is_set():
    s = Settings.from_env({})
    assert s.env == "local"
    assert s.shopify_api_secret == LOCAL_DEFAULTS["SHOPIFY_API_SECRET"]
    assert s.shopify_api_version == "2026-04"
    assert s.app_url == "http://127.0.0.1:8000"
    assert "read_all_orders" in s.shopify_scopes


def test_environment_wins_over_local_defaults():
    s = Settings.from_env(
        {"SHOPIFY_API_KEY": "my-key", "SHOPIFY_API_SECRET": "my-secret-0123456789-0123456789abc"}
    )
    assert (s.shopify_api_key, s.shopify_api_secret) == (
        "my-key",
        "my-secret-0123456789-0123456789abc",
    )


def test_previous_secret_is_accepted_for_webhooks_during_rotation():
    s = Settings.from_env(
        {
            "SHOPIFY_API_SECRET": "new-secret-0123456789-0123456789ab",
            "SHOPIFY_API_SECRET_PREVIOUS": "old",
        }
    )
    assert s.webhook_secrets == ("new-secret-0123456789-0123456789ab", "old")


def test_prod_names_every_missing_variable():
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"HEMLINE_ENV": "prod"})
    text = str(err.value)
    for name in (
        "SHOPIFY_API_KEY",
        "SHOPIFY_API_SECRET",
        "HEMLINE_APP_URL",
        "HEMLINE_SECRET_KEY",
        "HEMLINE_KMS_KEY_ID",
        "HEMLINE_FILES_BUCKET",
        "HEMLINE_MAIL_SENDER",
    ):
        assert name in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HEMLINE_ENV", "staging"),
        ("SHOPIFY_API_VERSION", "2026-05"),
        ("HEMLINE_APP_URL", "ftp://example.com"),
        ("HEMLINE_WEBHOOK_DEDUPE_TTL_DAYS", "forever"),
        ("HEMLINE_SECRET_KEY", "short"),
        ("LOG_LEVEL", "LOUD"),
        ("SHOPIFY_API_SECRET", "tiny"),
    ],
)
def test_malformed_variable_is_named(name, value):
    with pytest.raises(ConfigError) as err:
        Settings.from_env({name: value})
    assert name in str(err.value)


def test_prod_requires_https_app_url():
    env = {
        "HEMLINE_ENV": "prod",
        "SHOPIFY_API_KEY": "k",
        "SHOPIFY_API_SECRET": "s" * 32,
        "HEMLINE_APP_URL": "http://hemline.example.com",
        "HEMLINE_SECRET_KEY": "x" * 40,
        "HEMLINE_KMS_KEY_ID": "alias/hemline-prod-tokens",
        "HEMLINE_FILES_BUCKET": "hemline-prod-files-123456789012",
        "HEMLINE_MAIL_SENDER": "Returns <returns@petiteplume.example>",
    }
    with pytest.raises(ConfigError, match="https"):
        Settings.from_env(env)
    env["HEMLINE_APP_URL"] = "https://hemline.example.com/"
    s = Settings.from_env(env)
    assert s.app_url == "https://hemline.example.com"
    assert not s.is_local
