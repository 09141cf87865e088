"""shopify.app.toml and the code agree: scopes, API version, compliance topics, URLs."""

import re
import tomllib
from pathlib import Path

from app.config import Settings
from app.services.webhooks import API_SUBSCRIBED_TOPICS, COMPLIANCE_TOPICS, TOPIC_HANDLERS

ROOT = Path(__file__).resolve().parents[2]
TOML = tomllib.loads((ROOT / "shopify.app.toml").read_text(encoding="utf-8"))


def test_scopes_match_what_the_app_requests():
    assert TOML["access_scopes"]["scopes"].split(",") == list(Settings.from_env({}).shopify_scopes)


def test_api_version_matches_config():
    assert TOML["webhooks"]["api_version"] == Settings.from_env({}).shopify_api_version


def test_compliance_topics_are_subscribed_here_and_handled_by_the_code():
    subs = TOML["webhooks"]["subscriptions"]
    compliance = {t for s in subs for t in s.get("compliance_topics", [])}
    assert compliance == set(COMPLIANCE_TOPICS)
    assert compliance <= set(TOPIC_HANDLERS)


def test_api_registered_topics_are_not_repeated_here():
    """Listing them here too would have Shopify deliver every event twice."""
    subs = TOML["webhooks"]["subscriptions"]
    toml_topics = {t for s in subs for t in s.get("topics", [])}
    assert toml_topics.isdisjoint(API_SUBSCRIBED_TOPICS)
    comment = (ROOT / "shopify.app.toml").read_text(encoding="utf-8")
    handled = re.search(r"Hemline handles \(([^)]*)\)", comment, re.S)
    assert handled, "the file's comment lists the API-registered topics"
    listed = {t.strip(" #\n") for t in handled.group(1).split(",")}
    assert listed == set(API_SUBSCRIBED_TOPICS), (
        "the file's comment lists the API-registered topics"
    )


def test_urls_are_https_and_point_at_the_app_routes():
    assert TOML["application_url"].startswith("https://") and TOML["application_url"].endswith(
        "/admin"
    )
    assert all(
        u.startswith("https://") and u.endswith("/auth/callback")
        for u in TOML["auth"]["redirect_urls"]
    )
    assert all(s["uri"] == "/webhooks" for s in TOML["webhooks"]["subscriptions"])
    assert TOML["embedded"] is True
