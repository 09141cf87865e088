"""Session tokens (App Bridge JWTs): forged, expired, wrong-audience and mismatched tokens are refused."""

import time

import jwt
import pytest

from app.security import oauth_query_hmac, verify_oauth_query
from app.session_tokens import InvalidSessionToken, verify_session_token

KEY = "api-key-123"
SECRET, OLD = "app-secret-0123456789abcdef-0123456789", "old-secret-0123456789abcdef-0123456789"
SHOP = "petite-plume.myshopify.com"


def token(secret=SECRET, **over):
    now = int(time.time())
    claims = {
        "iss": f"https://{SHOP}/admin",
        "dest": f"https://{SHOP}",
        "aud": KEY,
        "sub": "42",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": "abc",
        "sid": "session-1",
    }
    claims.update(over)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(tok):
    return verify_session_token(tok, api_key=KEY, secrets=(SECRET, OLD))


def test_valid_token_names_shop_and_user():
    st = verify(token())
    assert (st.shop, st.user_id, st.session_id) == (SHOP, "42", "session-1")


def test_token_signed_with_previous_secret_is_accepted_during_rotation():
    assert verify(token(secret=OLD)).shop == SHOP


def test_token_a_few_seconds_early_is_within_leeway():
    assert verify(token(nbf=int(time.time()) + 5)).shop == SHOP


@pytest.mark.parametrize(
    ("case", "tok"),
    [
        ("forged", lambda: token(secret="attacker-secret-0123456789-0123456789")),
        ("expired", lambda: token(exp=int(time.time()) - 60)),
        ("not-yet-valid", lambda: token(nbf=int(time.time()) + 120)),
        ("wrong-audience", lambda: token(aud="another-app")),
        ("dest-not-a-shop", lambda: token(dest="https://evil.example.com")),
        ("iss-other-shop", lambda: token(iss="https://other.myshopify.com/admin")),
        ("http-dest", lambda: token(dest=f"http://{SHOP}")),
        ("missing-dest", lambda: token(dest=None)),
        (
            "alg-none",
            lambda: jwt.encode({"dest": f"https://{SHOP}", "aud": KEY}, None, algorithm="none"),
        ),
        ("garbage", lambda: "not.a.jwt"),
        ("empty", lambda: ""),
    ],
)
def test_bad_tokens_are_refused(case, tok):
    with pytest.raises(InvalidSessionToken):
        verify(tok())


def test_oauth_query_hmac_matches_shopify_documented_example():
    # Shopify's OAuth docs example: secret "hush", these parameters, this hex digest.
    params = {
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "shop": "some-shop.myshopify.com",
        "state": "0.6784241404160823",
        "timestamp": "1337178173",
    }
    signed = dict(params, hmac=oauth_query_hmac("hush", params))
    assert verify_oauth_query(signed, "hush")
    assert signed["hmac"] == "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"


def test_oauth_query_with_changed_parameter_is_refused():
    params = {"code": "c", "shop": "a.myshopify.com", "state": "s", "timestamp": "1"}
    signed = dict(params, hmac=oauth_query_hmac("hush", params))
    signed["shop"] = "b.myshopify.com"
    assert not verify_oauth_query(signed, "hush")
