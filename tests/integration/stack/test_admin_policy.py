"""The return policy page and API over HTTP against the whole stack: presets, overrides,
who may save them, and the live preview that saves nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import requests

from tests.integration.stack.test_admin_pages import page, text
from tests.integration.stack.test_api import OWNER, STAFF, call, token
from tests.integration.stack.test_returns_flow import _delivered_order

WINDOW = "discretionary.rules[-1].window.days"
WINDOW_FIELD = f"overrides.{WINDOW}"


@pytest.fixture
def shop(stack) -> str:
    """GIVEN an installed Petite Plume shop whose owner (user 100) opened Hemline first."""
    domain = stack.new_shop()
    stack.install(domain)
    res = page(stack, "/admin/policy", domain, OWNER)
    assert res.status_code == 200 and "Signed in as owner" in res.text
    return domain


def post(stack, path: str, shop: str, user: str = OWNER, **fields: str) -> requests.Response:
    """A form of the policy page as the browser sends it: the session token in a hidden field."""
    data = {"id_token": token(shop, user), **fields}
    return requests.post(f"{stack.app_url}{path}", data=data, timeout=30, allow_redirects=False)


def radio_checked(res: requests.Response) -> str:
    match = re.search(r'name="preset" value="([^"]+)" checked', res.text)
    assert match, "no preset chosen on the page"
    return match[1]


def field_value(res: requests.Response, name: str) -> str:
    match = re.search(rf'<input [^>]*name="{re.escape(name)}" value="([^"]*)"', res.text)
    assert match, f"no {name} field on the page"
    return match[1]


def window_ends(stack, shop: str, order_id: int) -> tuple[bool, date]:
    res = call(stack, "GET", f"/api/orders/{order_id}", shop)
    assert res.status_code == 200, res.text
    item = res.json()["line_items"][0]
    return item["eligible"], date.fromisoformat(item["window_ends"])


def test_page_shows_the_presets_the_settings_the_explanation_and_the_preview(stack, shop):
    res = page(stack, "/admin/policy", shop)
    body = text(res)
    assert res.headers["Content-Security-Policy"].startswith(f"frame-ancestors https://{shop}")
    assert radio_checked(res) == "petite-plume"
    for name in ("Petite Plume", "Lavish Ivy", "CN consumer (7-day no-reason returns)"):
        assert name in body
    assert "30-day returns, 45-day size and color exchanges" in body  # a preset's summary
    # The preset's value is the placeholder; nothing is changed yet
    assert re.search(r'name="overrides\.discretionary\.rules\[-1\]\.window\.days" value=""', body)
    assert 'placeholder="30"' in body and 'placeholder="6.95"' in body
    assert "Your policy in plain English" in body and "within 30 days of delivery" in body
    assert 'aria-live="polite"' in body and "Linen sundress" in body
    assert "delivered 10 days ago" in body and "Refused" in body
    assert '<a href="/admin/policy?' in res.text and 'aria-current="page">Return policy</a>' in body


def test_owner_switches_preset_and_sets_a_14_day_window_and_an_order_follows(stack, shop):
    # GIVEN an order delivered 20 days ago, returnable under the 30-day window
    view = _delivered_order(stack, shop, [1], days_ago=20)
    eligible, ends = window_ends(stack, shop, view.order.id)
    assert eligible is True
    delivered = ends - timedelta(days=30)
    # WHEN the owner picks Lavish Ivy with a 14-day return window and saves
    res = post(
        stack,
        "/admin/policy",
        shop,
        preset="lavish-ivy",
        delivered_days_ago="20",
        **{WINDOW_FIELD: "14", "overrides.fees.restocking.percent": ""},
    )
    # THEN the page comes back with a banner, showing what was saved
    assert res.status_code == 303, res.text
    after = requests.get(f"{stack.app_url}{res.headers['Location']}", timeout=30)
    assert after.status_code == 200
    body = text(after)
    assert "Return policy saved" in body
    assert radio_checked(after) == "lavish-ivy" and field_value(after, WINDOW_FIELD) == "14"
    assert "within 14 days of delivery" in body and "delivered 20 days ago" in body
    # AND the order's item is no longer returnable: its window ended 14 days after delivery
    assert window_ends(stack, shop, view.order.id) == (False, delivered + timedelta(days=14))
    # AND the API reads the same settings
    policy = call(stack, "GET", "/api/policy", shop).json()
    assert policy["preset"] == "lavish-ivy" and policy["overrides"] == {WINDOW: "14"}
    fields = {f["path"]: f for f in policy["fields"]}
    assert fields[WINDOW]["value"] == "14" and fields[WINDOW]["preset_value"] == "30"
    assert fields[WINDOW]["label"] == "Return window" and fields[WINDOW]["kind"] == "days"
    assert "within 14 days of delivery" in policy["explanation"]
    # AND the admin's home page explains the policy in force
    assert "within 14 days of delivery" in text(page(stack, "/admin", shop))


def test_an_api_put_sets_and_then_clears_the_overrides(stack, shop):
    view = _delivered_order(stack, shop, [1], days_ago=20)
    res = call(
        stack,
        "PUT",
        "/api/policy",
        shop,
        json={"preset": "petite-plume", "overrides": {WINDOW: 14}},
    )
    assert res.status_code == 200, res.text
    assert res.json()["overrides"] == {WINDOW: "14"}
    assert window_ends(stack, shop, view.order.id)[0] is False
    # A PUT without overrides goes back to the preset as it is
    res = call(stack, "PUT", "/api/policy", shop, json={"preset": "petite-plume"})
    assert res.status_code == 200 and res.json()["overrides"] == {}
    assert "within 30 days of delivery" in res.json()["explanation"]
    assert window_ends(stack, shop, view.order.id)[0] is True


def test_a_bad_value_is_422_naming_the_field_and_nothing_is_saved(stack, shop):
    # WHEN the owner types a 400-day window on the page
    res = post(stack, "/admin/policy", shop, preset="lavish-ivy", **{WINDOW_FIELD: "400"})
    # THEN the page says what is wrong next to the field and keeps what was typed
    assert res.status_code == 422
    body = text(res)
    assert "must be a whole number of days from 1 to 365" in body
    assert re.search(r'aria-invalid="true"', body) and field_value(res, WINDOW_FIELD) == "400"
    assert radio_checked(res) == "lavish-ivy"
    assert 'id="policy-discretionary-rules-1-window-days-error"' in res.text
    # AND the shop still has its policy
    stored = stack.container.store.get_shop(shop)
    assert stored.policy_preset == "petite-plume" and not stored.policy_overrides
    # AND the API names the field the same way
    res = call(
        stack,
        "PUT",
        "/api/policy",
        shop,
        json={"preset": "petite-plume", "overrides": {WINDOW: "0"}},
    )
    assert res.status_code == 422 and res.json()["field"] == WINDOW_FIELD
    res = call(stack, "PUT", "/api/policy", shop, json={"preset": "nope", "overrides": {}})
    assert res.status_code == 422 and res.json()["field"] == "preset"


def test_staff_get_403_and_a_read_only_page_and_nothing_changes(stack, shop):
    call(
        stack,
        "PUT",
        "/api/policy",
        shop,
        json={"preset": "petite-plume", "overrides": {WINDOW: "21"}},
    )
    # WHEN a staff member tries to save another policy
    res = post(stack, "/admin/policy", shop, STAFF, preset="lavish-ivy", **{WINDOW_FIELD: "5"})
    # THEN it is refused and the page shows the saved policy, read-only
    assert res.status_code == 403
    body = text(res)
    assert "Only an owner or a manager can change the return policy" in body
    assert radio_checked(res) == "petite-plume" and field_value(res, WINDOW_FIELD) == "21"
    assert "Save policy" not in body and "disabled" in body
    stored = stack.container.store.get_shop(shop)
    assert stored.policy_preset == "petite-plume" and stored.policy_overrides == {WINDOW: "21"}
    # AND the API refuses them too
    res = call(stack, "PUT", "/api/policy", shop, STAFF, json={"preset": "lavish-ivy"})
    assert res.status_code == 403
    assert stack.container.store.get_shop(shop).policy_preset == "petite-plume"
    # AND their read-only page still previews the saved policy
    res = page(stack, "/admin/policy", shop, STAFF)
    assert res.status_code == 200 and "within 21 days of delivery" in text(res)


def test_the_preview_fragment_reflects_unsaved_values_and_saves_nothing(stack, shop):
    # WHEN the form changes to a 5-day window (the live preview posts it)
    res = post(
        stack,
        "/admin/policy/preview?fragment=1",
        shop,
        preset="petite-plume",
        delivered_days_ago="10",
        **{WINDOW_FIELD: "5", "overrides.fees.return_label": "2.00"},
    )
    # THEN only the preview region comes back, with the unsaved rules applied
    assert res.status_code == 200, res.text
    body = text(res)
    assert "<html" not in body and "<nav" not in body and "<form" not in body
    assert "within 5 days of delivery" in body and "a $2.00 return label fee" in body
    dress = body[body.index("Linen sundress") : body.index("Smocked romper")]
    assert "Refused" in dress and "ended 5 days after delivery" in dress
    tee = body[body.index("Striped tee") : body.index("Knit cardigan")]
    assert "Refused" in tee and "final sale" in tee
    # AND nothing was saved
    stored = stack.container.store.get_shop(shop)
    assert stored.policy_preset == "petite-plume" and not stored.policy_overrides
    # AND a bad value in the form shows in the fragment instead of a preview
    res = post(
        stack,
        "/admin/policy/preview?fragment=1",
        shop,
        preset="petite-plume",
        **{WINDOW_FIELD: "0"},
    )
    assert res.status_code == 422
    assert "Return window must be a whole number of days from 1 to 365" in text(res)
    # AND without JavaScript, the Preview button renders the whole page, still unsaved
    res = post(stack, "/admin/policy/preview", shop, preset="lavish-ivy", **{WINDOW_FIELD: "9"})
    assert res.status_code == 200 and "<nav" in res.text and radio_checked(res) == "lavish-ivy"
    assert "within 9 days of delivery" in text(res)
    assert stack.container.store.get_shop(shop).policy_preset == "petite-plume"


def test_the_api_preview_evaluates_the_sample_without_saving(stack, shop):
    res = call(
        stack,
        "POST",
        "/api/policy/preview",
        shop,
        STAFF,
        json={"preset": "petite-plume", "overrides": {WINDOW: "14"}, "delivered_days_ago": 20},
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["overrides"] == {WINDOW: "14"} and body["delivered_days_ago"] == 20
    lines = {ln["title"]: ln for ln in body["sample"]["lines"]}
    assert lines["Linen sundress"]["eligible"] is False
    assert lines["Smocked romper"]["eligible"] is True  # the 45-day size exchange stays
    assert lines["Striped tee"]["eligible"] is False
    assert "within 14 days of delivery" in body["explanation"]
    assert not stack.container.store.get_shop(shop).policy_overrides
    res = call(stack, "POST", "/api/policy/preview", shop, json={"delivered_days_ago": "later"})
    assert res.status_code == 422 and res.json()["field"] == "delivered_days_ago"
