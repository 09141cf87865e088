"""Every customer email renders in English and Simplified Chinese, with both parts, escaped."""

# Chinese text uses full-width punctuation on purpose.
# ruff: noqa: RUF001

import re
from datetime import date
from decimal import Decimal

import pytest

from app import i18n
from app.services.mail import REQUIRED, TEMPLATES, render_email

FULL_CONTEXT = {
    "shop_name": "Petite Plume",
    "rma_number": "K7M2QX9P",
    "customer_name": "Ada",
    "order_name": "#1001",
    "portal_url": "https://petite-plume.example/apps/returns/K7M2QX9P",
    "items": [{"title": "Linen shirt", "quantity": 2}, {"title": "Silk scarf", "quantity": 1}],
    "reason": "The shirt was worn.",
    "amount": Decimal("49.50"),
    "currency": "USD",
    "label_url": "https://files.example/labels/K7M2QX9P.pdf",
    "qr_code_url": "https://files.example/labels/K7M2QX9P-qr.png",
    "carrier": "USPS",
    "tracking_number": "9400111202555842761234",
    "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111202555842761234",
    "return_address": ["Petite Plume Returns", "215 Clayton St.", "San Francisco CA 94117"],
    "ship_by": date(2026, 12, 3),
    "instructions": "Please tape the box well.",
    "expires_on": date(2027, 11, 23),
    "shop_url": "https://petite-plume.example",
    # a delayed shipment's apology
    "shipping_method": "Expedited",
    "new_eta": date(2026, 12, 8),
    # the merchant's daily digest
    "sections": [
        {
            "key": "refunds",
            "rows": [
                {"rma_number": "K7M2QX9P", "order_name": "#1001", "late_by": "2 business days"}
            ],
        }
    ],
    "total": 1,
    "admin_url": "https://hemline.example/admin?shop=petite-plume.myshopify.com",
}
# Emails about an order rather than a return name the order instead of an RMA.
ORDER_TEMPLATES = frozenset({"backorder_notice", "delay_apology"})


def _reference(template):
    return "#1001" if template in ORDER_TEMPLATES else "K7M2QX9P"


HOSTILE = "<script>alert('x')</script>"


@pytest.mark.parametrize("locale", i18n.LOCALES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_both_parts_when_given_its_context(template, locale):
    email = render_email(template, FULL_CONTEXT, locale)

    assert email.subject and "\n" not in email.subject
    assert email.html.startswith("<!doctype html>")
    assert f'<html lang="{locale}">' in email.html
    assert _reference(template) in email.html and _reference(template) in email.text
    assert "Petite Plume" in email.text
    assert "<" not in email.text  # a text part, not HTML
    for part in (email.html, email.text):
        assert "{{" not in part and "{%" not in part
        assert not [key for key in i18n.STRINGS["en"] if key in part]  # no untranslated keys


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_with_only_what_it_requires(template):
    minimal = {k: FULL_CONTEXT[k] for k in REQUIRED[template]}
    email = render_email(template, minimal, "en")
    assert _reference(template) in email.text


def test_chinese_email_is_in_chinese_when_the_locale_is_zh():
    email = render_email("return_approved", FULL_CONTEXT, "zh_CN")
    assert email.subject == "您的退货 K7M2QX9P 已获批准"
    assert "下载退货面单" in email.html
    assert "2026年12月3日" in email.text


SHOWN_FIELDS = [
    *((template, "customer_name") for template in TEMPLATES),
    *((template, "shop_name") for template in TEMPLATES),
    ("return_declined", "reason"),
    ("return_approved", "instructions"),
    ("return_approved", "carrier"),
    ("exchange_shipped", "tracking_number"),
    *(
        (template, "items")
        for template in ("return_requested", "return_received", "exchange_shipped")
    ),
]


@pytest.mark.parametrize(("template", "field"), SHOWN_FIELDS)
def test_customer_text_is_escaped_in_html_when_it_holds_markup(template, field):
    value = [{"title": HOSTILE, "quantity": 1}] if field == "items" else HOSTILE
    email = render_email(template, {**FULL_CONTEXT, field: value}, "en")
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert HOSTILE in email.text  # the text part shows it as written


def test_declined_email_quotes_the_reason_when_declining():
    email = render_email("return_declined", {**FULL_CONTEXT, "reason": "Worn <b>twice</b>"}, "en")
    assert "Worn &lt;b&gt;twice&lt;/b&gt;" in email.html
    assert "Worn <b>twice</b>" in email.text


def test_refund_email_gives_amount_and_bank_timing_when_refunding():
    en = render_email("refund_issued", FULL_CONTEXT, "en")
    zh = render_email("refund_issued", FULL_CONTEXT, "zh-CN")
    assert en.subject == "Your refund of $49.50 USD is on its way"
    assert "Most banks show it within 5-10 business days." in en.text
    assert "Most banks show it within 5-10 business days." in en.html
    assert "大多数银行会在 5-10 个工作日内到账" in zh.text
    assert "$49.50 USD" in zh.html


def test_approved_email_links_the_label_and_qr_code_when_there_is_a_label():
    email = render_email("return_approved", FULL_CONTEXT, "en")
    assert 'href="https://files.example/labels/K7M2QX9P.pdf"' in email.html
    assert 'href="https://files.example/labels/K7M2QX9P-qr.png"' in email.html
    assert "Drop the parcel off with USPS. Please send it by December 3, 2026." in email.text


def test_approved_email_gives_the_address_when_there_is_no_label():
    context = {k: v for k, v in FULL_CONTEXT.items() if k not in ("label_url", "qr_code_url")}
    email = render_email("return_approved", context, "en")
    assert "Download your return label" not in email.html
    assert "send it to the address below" in email.text
    assert "215 Clayton St." in email.text


def test_digest_lists_each_overdue_return_with_how_late_it_is():
    email = render_email("merchant_digest", FULL_CONTEXT, "en")
    assert "Received but not refunded within your refund deadline" in email.text
    assert "K7M2QX9P (order #1001): late by 2 business days" in email.text
    assert 'href="https://hemline.example/admin?shop=petite-plume.myshopify.com"' in email.html


@pytest.mark.parametrize(
    ("template", "context", "field"),
    [
        ("no_such_email", FULL_CONTEXT, "template"),
        ("return_declined", {"shop_name": "P", "rma_number": "K"}, "context"),
        ("refund_issued", {"shop_name": "P", "rma_number": "K", "currency": "USD"}, "context"),
        (
            "return_approved",
            {**FULL_CONTEXT, "label_url": "javascript:alert(1)"},
            "context.label_url",
        ),
    ],
)
def test_render_refuses_when_the_template_or_context_is_wrong(template, context, field):
    from app.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        render_email(template, context, "en")
    assert err.value.field == field


def test_backorder_email_gives_the_ship_date_and_one_click_links_per_item():
    items = [
        {
            "title": "Linen dress - M",
            "sku": "LD-M",
            "quantity": 1,
            "ship_by": date(2025, 6, 12),
            "amount": Decimal("48.00"),
            "currency": "USD",
            "refund_url": "https://hemline.example/o/refund-token",
            "keep_url": "https://hemline.example/o/keep-token",
        },
        {"title": "Silk scarf", "quantity": 2, "ship_by": None},
    ]
    context = {"shop_name": "Petite Plume", "order_name": "#1001", "items": items}
    en = render_email("backorder_notice", context, "en")
    zh = render_email("backorder_notice", context, "zh-CN")
    assert en.subject == "An item in your order #1001 is delayed"
    assert "Expected to ship by June 12, 2025" in en.text and "SKU LD-M" in en.text
    assert "Ship date not known yet" in en.text
    assert "Refund this item: https://hemline.example/o/refund-token" in en.text
    assert "$48.00 USD back to your original payment method." in en.text
    assert 'href="https://hemline.example/o/keep-token"' in en.html
    assert "预计 2025年6月12日 前发货" in zh.text and "发货日期暂未确定" in zh.html


# --- i18n -------------------------------------------------------------------------------


def test_every_string_is_translated_when_a_locale_is_listed():
    assert set(i18n.STRINGS["zh-CN"]) == set(i18n.STRINGS["en"])
    placeholders = re.compile(r"\{(\w+)\}")
    for key, english in i18n.STRINGS["en"].items():
        assert set(placeholders.findall(i18n.STRINGS["zh-CN"][key])) == set(
            placeholders.findall(english)
        ), key


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("zh", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-TW", "en"),
        ("en-GB", "en"),
        (None, "en"),
        ("fr", "en"),
    ],
)
def test_normalize_locale_picks_a_supported_locale_when_given_a_tag(given, expected):
    assert i18n.normalize_locale(given) == expected


def test_t_fills_values_and_raises_when_the_key_is_unknown():
    assert i18n.t("zh-CN", "mail.greeting", name="Ada") == "Ada，您好："
    with pytest.raises(KeyError):
        i18n.t("en", "mail.no_such_key")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "USD", "$1,234.50 USD"),
        (Decimal("0.005"), "EUR", "€0.00 EUR"),
        (Decimal("1500"), "JPY", "¥1,500 JPY"),
        (Decimal("-12.30"), "GBP", "-£12.30 GBP"),
        (Decimal("7.5"), "CHF", "7.50 CHF"),
    ],
)
def test_format_money_shows_symbol_and_code_when_formatting(amount, currency, expected):
    assert i18n.format_money(amount, currency) == expected


def test_format_money_refuses_when_the_amount_is_a_float():
    with pytest.raises(TypeError):
        i18n.format_money(49.5, "USD")  # type: ignore[arg-type]


def test_format_date_writes_dates_as_each_locale_does():
    assert i18n.format_date(date(2026, 12, 3), "en") == "December 3, 2026"
    assert i18n.format_date(date(2026, 12, 3), "zh-CN") == "2026年12月3日"


def test_footer_says_why_the_email_came():
    about_return = render_email("return_received", FULL_CONTEXT, "en")
    digest = render_email(
        "merchant_digest", {**FULL_CONTEXT, "footer_key": "mail.footer_merchant"}, "en"
    )
    assert "because you started a return with Petite Plume" in about_return.text
    assert "support address in your settings for Petite Plume" in digest.text
    assert "Reply to this email" not in digest.text
    about_order = {k: v for k, v in FULL_CONTEXT.items() if k != "rma_number"}
    assert (
        "about your order from Petite Plume"
        in render_email("delay_apology", about_order, "en").text
    )
