"""explain(policy): the plain-English returns page, generated from the same data."""

from __future__ import annotations

import pytest

from policies import explain, load_policy, load_preset

EXPECTED_PHRASES = {
    "petite-plume": [
        "When the customer asks for an exchange and the reason is size/fit or color/style:"
        " an exchange within 45 days of delivery",
        "within 30 days of delivery; the item must be unworn with tags attached or unopened",
        "Final sale: items tagged final-sale or sale; Hair Bows and Dog Accessories",
        "Report it within 7 days of delivery with at least 2 photos",
        "within 72 hours of the return authorization",
        "the order subtotal is over $75.00",
        "a $6.95 return label fee is deducted from the refund, once per request",
        "Expedited exchange: $8.00, once per request",
        "Refunds within 7 business days of our warehouse receiving the return"
        " (usually 3 business days)",
        "When the refund total is over $150.00, a supervisor (escalation tier 2) approves",
        "Orders leave our warehouse within 2 business days",
        "out of stock for more than 7 days is backordered",
        "within 24 hours",
    ],
    "lavish-ivy": [
        "When the item is tagged bespoke: an exchange within 45 days of delivery",
        "Otherwise: a refund, store credit or an exchange within 30 days of delivery;"
        " the item must be unopened",
        "report it within 90 days of delivery",
        "plus a 15% discount code for your next purchase",
        "Other claims: report it within 14 days of delivery",
        "you pay for return shipping",
        "10% of each returned line's price, at most $15.00",
        "Store credit within 1 business day of approval",
        "When the refund total is over $300.00, an owner approves",
        "a manager approves",
        "$10.00 on orders under $150.00, $15.00 from $150.00 to under $400.00 and $25.00"
        " from $400.00",
        "within 5 business days of its promised date",
    ],
    "cn-consumer": [
        "within 7 days of delivery; the item must be unworn with tags attached or unopened",
        "Excluded from no-reason returns: items tagged custom; Underwear and Socks; items sold"
        " below their compare-at price",
        "Items washed after purchase cannot be returned or exchanged",
        "Report it within 30 days of delivery with at least 1 photo",
        "A colour difference caused by screen display is not a quality problem",
        "Return shipping is free when the reason is size/fit and the customer asks for an exchange",
        "Every request is reviewed by an agent",
        "Reviews happen within 1 business day",
        "Refunds within 3 business days",
        "acknowledged within 24 hours and answered with a proposal within 48 hours",
        "after-sales manager",
        "delivery counts as 3 business days after shipping",
    ],
}


@pytest.mark.parametrize("preset", sorted(EXPECTED_PHRASES))
def test_explanation_states_every_rule_of_the_preset_when_generated(preset):
    text = explain(load_preset(preset))

    missing = [phrase for phrase in EXPECTED_PHRASES[preset] if phrase not in text]
    assert missing == []
    assert "_" not in text, "codes are translated into words"


def test_explanation_follows_the_data_when_a_merchant_changes_a_window():
    changed = (
        "name: tiny\ndisplay_name: Tiny\nassumed_transit_days: 2\n"
        "discretionary: {rules: [{window: {days: 12, unit: business_days}, conditions: [worn]}]}\n"
        "refund_sla: {counted_from: approval, refund_business_days: 4}\n"
    )

    explained = explain(load_policy(changed))

    assert "within 12 business days of delivery; the item must be worn" in explained
    assert "Refunds within 4 business days of approval" in explained
    assert "Requests are approved automatically" in explained
