"""A merchant sets up the returns desk in headless Chromium: policy, settings, backorders.

GIVEN an installed shop, WHEN the owner signs in locally, shortens the return window on
the policy page (the preview updates as they type, before anything is saved), saves it,
fills in the settings and sets a restock date, THEN each change is stored and shown back.
Every page is screenshotted to artifacts/screenshots/admin-setup-<step>.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.browser.conftest import PHONE, SCREENSHOTS

DESKTOP = {"width": 1280, "height": 900}


def test_owner_sets_policy_settings_and_a_restock_date(stack, open_page):
    from playwright.sync_api import expect

    shop = stack.new_shop()
    stack.install(shop)
    store = stack.container.store
    page = open_page("en-US")
    page.set_viewport_size(DESKTOP)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(step: str) -> None:
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, f"{step}: the page is {overflow}px wider than the window"
        page.screenshot(path=str(SCREENSHOTS / f"admin-setup-{step}.png"), full_page=True)

    page.goto(f"{stack.app_url}/admin?shop={shop}")
    page.get_by_label("Shop", exact=True).fill(shop)
    page.get_by_label("Role", exact=True).select_option("owner")
    page.get_by_role("button", name="Sign in (local only)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hemline")

    # 1. The policy page: the sample dress delivered 20 days ago can come back in 30 days...
    page.get_by_role("link", name="Return policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Return policy")
    preview = page.locator("#policy-preview")
    page.get_by_label("The sample order was delivered how many days ago?").fill("20")
    first = preview.locator(".preview-line").first
    expect(first.locator(".badge")).to_have_text("Can be returned")
    shot("1-policy")
    # ...and typing a 14-day window refuses it in the preview, live, without saving
    page.get_by_label("Return window").fill("14")
    expect(first.locator(".badge")).to_have_text("Refused")
    assert not (store.get_shop(shop).policy_overrides or {})
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_role("status")).to_be_visible()
    overrides = store.get_shop(shop).policy_overrides
    assert overrides["discretionary.rules[-1].window.days"] == "14"
    expect(page.get_by_label("Return window")).to_have_value("14")
    shot("2-policy-saved")

    # 2. Settings: a bad email is refused next to its field; a good form is saved.
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    for label, value in (
        ("Name", "Plume Returns"),
        ("Address", "200 Kent Ave"),
        ("City", "Brooklyn"),
        ("State or province (optional)", "NY"),
        ("ZIP or postal code", "11249"),
        ("Country code", "us"),
        ("Daily digest email (optional)", "desk@plume"),
        ("Store credit bonus (%)", "10"),
    ):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save settings").click()
    digest = page.get_by_label("Daily digest email (optional)", exact=True)
    expect(digest).to_have_attribute("aria-invalid", "true")
    shot("3-settings-error")
    digest.fill("desk@plume.example")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_be_visible()
    saved = store.get_shop(shop)
    assert saved.support_email == "desk@plume.example"
    assert saved.return_address["country_code"] == "US"
    assert str(saved.store_credit_bonus_percent) in ("10", "10.00")
    shot("4-settings-saved")

    # 3. Backorders: a restock date for a variant is saved and listed.
    page.get_by_role("link", name="Backorders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Backorders")
    from tests.integration.stack.test_backorders import _product

    variant = _product(stack, shop, "LD-SETUP", available=0)
    back_on = (datetime.now(UTC) + timedelta(days=21)).date()
    page.get_by_label("Variant ID", exact=True).fill(str(variant["id"]))
    page.get_by_label("Expected restock date", exact=True).fill(back_on.isoformat())
    page.get_by_role("button", name="Save date").click()
    expect(page.get_by_role("status")).to_contain_text("Expected restock date saved.")
    expect(page.get_by_role("button", name=f"Clear the date of {variant['sku']}")).to_be_visible()
    shot("5-backorders")

    # 4. The pages work on a phone too.
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="Return policy").click()
    expect(page.get_by_label("Return window")).to_have_value("14")
    shot("6-policy-phone")
