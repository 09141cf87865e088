"""The simulator's OAuth endpoints behave like Shopify's for install, refresh and token exchange."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
import shopify

from app.adapters.shopify_oauth import ShopifyOAuth
from app.shopify.client import AdminClient

from .conftest import API_KEY, API_SECRET, API_VERSION, SCOPES, install

pytestmark = pytest.mark.integration


def _token(devstore, **form):
    return requests.post(
        f"{devstore.url}/admin/oauth/access_token",
        data={"client_id": API_KEY, "client_secret": API_SECRET, **form},
        timeout=10,
    )


def _works(devstore, shop, access_token) -> bool:
    client = AdminClient(shop, access_token, API_VERSION, base_url=devstore.shop_url(shop))
    return client.shop().domain == shop


def session_token(shop: str, *, secret: str = API_SECRET, audience: str = API_KEY) -> str:
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": audience,
        "sub": "902541635",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": str(uuid.uuid4()),
        "sid": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def test_redirect_carries_shopify_query_hmac_when_install_is_authorized(devstore, sim):
    granted = install(devstore, sim.shop, state="n0nce&100%")
    query = granted["redirect"]
    assert set(query) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert (query["shop"], query["state"]) == (sim.shop, "n0nce&100%")
    message = "&".join(
        f"{k}={v.replace('%', '%25')}".replace("&", "%26")
        for k, v in sorted(query.items())
        if k != "hmac"
    )
    expected = hmac.new(API_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert query["hmac"] == expected
    saved = shopify.Session.secret
    shopify.Session.secret = API_SECRET
    try:
        assert shopify.Session.validate_params(query)
    finally:
        shopify.Session.secret = saved


def test_expiring_offline_token_is_issued_when_code_is_traded(devstore, sim):
    granted = install(devstore, sim.shop)
    assert granted["access_token"].startswith("shpat_")
    assert (granted["scope"], granted["expires_in"], granted["refresh_token_expires_in"]) == (
        SCOPES,
        3600,
        90 * 24 * 3600,
    )
    assert _works(devstore, sim.shop, granted["access_token"])


def test_code_is_refused_when_used_twice(devstore, sim):
    res = requests.get(
        f"{devstore.url}/shops/{sim.shop}/admin/oauth/authorize",
        params={
            "client_id": API_KEY,
            "scope": SCOPES,
            "redirect_uri": f"{devstore.simulator.config.app_url}/cb",
        },
        allow_redirects=False,
        timeout=10,
    )
    code = parse_qs(urlsplit(res.headers["Location"]).query)["code"][0]
    assert _token(devstore, code=code).status_code == 200
    again = _token(devstore, code=code)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_request",
        "error_description": "The authorization code was not found or was already used",
    }


def test_non_expiring_token_is_issued_when_expiring_is_not_asked(devstore, sim):
    res = requests.get(
        f"{devstore.url}/admin/oauth/authorize",
        params={
            "client_id": API_KEY,
            "scope": SCOPES,
            "shop": sim.shop,
            "redirect_uri": f"{devstore.simulator.config.app_url}/cb",
        },
        allow_redirects=False,
        timeout=10,
    )
    code = parse_qs(urlsplit(res.headers["Location"]).query)["code"][0]
    body = _token(devstore, code=code).json()
    assert set(body) == {"access_token", "scope"}


def test_secret_is_checked_when_tokens_are_requested(devstore, sim):
    res = requests.post(
        f"{devstore.url}/admin/oauth/access_token",
        data={"client_id": API_KEY, "client_secret": "wrong", "code": "whatever"},
        timeout=10,
    )
    assert res.status_code == 401
    assert res.json()["error"] == "invalid_client"


def test_authorize_is_refused_when_redirect_leaves_the_app(devstore, sim):
    res = requests.get(
        f"{devstore.url}/admin/oauth/authorize",
        params={
            "client_id": API_KEY,
            "scope": SCOPES,
            "shop": sim.shop,
            "redirect_uri": "https://evil.example/cb",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert res.status_code == 400
    assert "redirect_uri" in res.text


def test_refresh_rotates_pair_when_refresh_token_is_used(devstore, sim):
    first = install(devstore, sim.shop)
    rotated = _token(devstore, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert rotated.status_code == 200
    body = rotated.json()
    assert body["refresh_token"] != first["refresh_token"] and body["expires_in"] == 3600
    assert _works(devstore, sim.shop, body["access_token"])
    reused = _token(devstore, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


def test_token_exchange_issues_offline_token_when_session_token_is_valid(devstore, sim):
    res = _token(
        devstore,
        grant_type="urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token=session_token(sim.shop),
        subject_token_type="urn:ietf:params:oauth:token-type:id_token",
        requested_token_type="urn:shopify:params:oauth:token-type:offline-access-token",
        expiring="1",
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["expires_in"] == 3600 and body["refresh_token"].startswith("shprt_")
    assert _works(devstore, sim.shop, body["access_token"])


@pytest.mark.parametrize(
    "forged",
    [{"secret": "not-the-app-secret-but-just-as-long-0123"}, {"audience": "someone-elses-app"}],
    ids=["wrong-signature", "wrong-audience"],
)
def test_token_exchange_is_refused_when_session_token_is_not_for_this_app(devstore, sim, forged):
    res = _token(
        devstore,
        grant_type="urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token=session_token(sim.shop, **forged),
        subject_token_type="urn:ietf:params:oauth:token-type:id_token",
        requested_token_type="urn:shopify:params:oauth:token-type:offline-access-token",
    )
    assert (res.status_code, res.json()["error"]) == (400, "invalid_subject_token")


def test_app_oauth_adapter_completes_install_when_pointed_at_simulator(devstore, sim):
    oauth = ShopifyOAuth(api_key=API_KEY, api_secret=API_SECRET, admin_origin=devstore.url)
    url = oauth.authorize_url(
        sim.shop,
        scopes=tuple(SCOPES.split(",")),
        redirect_uri=f"{devstore.simulator.config.app_url}/cb",
        state="s",
    )
    redirect = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    now = datetime.now(UTC)
    grant = oauth.exchange_code(sim.shop, code, now)
    refreshed = oauth.refresh(sim.shop, grant.refresh_token, now)
    exchanged = oauth.token_exchange(sim.shop, session_token(sim.shop), now)
    assert (
        grant.expires_at and grant.refresh_token and refreshed.refresh_token != grant.refresh_token
    )
    assert _works(devstore, sim.shop, exchanged.access_token)
