"""The business metrics (CloudWatch EMF) the use cases emit, on the whole local stack:
RMA transitions, labels, refunds and store credit, backorder notices, late-order
upgrades and credits, and the sweeps' lag."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.observability import Metrics
from app.services import backorders, delays, returns
from app.services.eligibility import RequestedLine
from tests.integration.stack.test_backorders import _order, _product
from tests.integration.stack.test_delays import _place, _schedule, ivy  # noqa: F401 (fixture)
from tests.integration.stack.test_returns_flow import RETURN_ADDRESS, _delivered_order


@pytest.fixture
def installed(stack):
    shop = stack.new_shop()
    stack.install(shop)
    return shop


@pytest.fixture
def measured(stack, monkeypatch):
    """The stack's use cases with metrics on, as the composition root wires them in prod."""
    metrics = Metrics(enabled=True)
    real_returns, real_proactive = (
        stack.container.returns_context,
        stack.container.proactive_context,
    )
    monkeypatch.setattr(
        stack.container, "returns_context", lambda: replace(real_returns(), metrics=metrics)
    )
    monkeypatch.setattr(
        stack.container, "proactive_context", lambda: replace(real_proactive(), metrics=metrics)
    )
    return stack


def emitted(capsys) -> list[tuple[str, float, dict[str, str]]]:
    """(name, value, dimensions) of every EMF record printed so far."""
    out = []
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        record = json.loads(line)
        directive = record["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "Hemline"
        dims = {d: record[d] for d in directive["Dimensions"][0]}
        for metric in directive["Metrics"]:
            [value] = record[metric["Name"]]  # one data point per record
            out.append((metric["Name"], value, dims))
    return out


def _request(stack, shop, view, qty=1, resolution="refund"):
    line = view.order.line_items[0]
    return returns.request_return(
        stack.container.returns_context(),
        stack.container.store.get_shop(shop),
        view,
        [RequestedLine(line.id, qty, "size_fit", resolution, "unworn_tags_attached")],
        customer_email="ada@example.com",
    )


def _receive(stack, shop, view, rma, qty=1):
    returns.receive_return(
        stack.container.returns_context(),
        stack.container.store.get_shop(shop),
        rma.number,
        actor="staff:1",
        received={view.order.line_items[0].id: (qty, "unworn_tags_attached", True)},
    )


def test_refund_emits_its_count_its_amount_by_currency_and_each_transition(
    measured, installed, capsys
):
    view = _delivered_order(measured, installed, [2], price="48.00")
    capsys.readouterr()
    rma = _request(measured, installed, view, qty=2)
    _receive(measured, installed, view, rma, qty=2)
    shop = measured.container.store.get_shop(installed)
    returns.refund_return(measured.container.returns_context(), shop, rma.number, actor="staff:1")
    metrics = emitted(capsys)
    states = [d["state"] for n, _, d in metrics if n == "RmaTransitions"]
    assert states == ["requested", "approved", "received", "inspected", "refunded"]
    assert ("RefundsIssued", 1.0, {"service": "hemline", "source": "return"}) in metrics
    assert ("RefundAmount", 96.0, {"service": "hemline", "currency": "USD"}) in metrics
    # The amount has a currency and nothing else: amounts in two currencies never add up.
    assert all(d.keys() == {"service", "currency"} for n, _, d in metrics if n == "RefundAmount")


def test_store_credit_emits_its_count_and_amount(measured, installed, capsys):
    view = _delivered_order(measured, installed, [1])
    rma = _request(measured, installed, view, resolution="store_credit")
    _receive(measured, installed, view, rma)
    capsys.readouterr()
    shop = measured.container.store.get_shop(installed)
    returns.credit_return(measured.container.returns_context(), shop, rma.number, actor="staff:1")
    metrics = emitted(capsys)
    assert ("StoreCreditsIssued", 1.0, {"service": "hemline", "source": "return"}) in metrics
    assert ("StoreCreditAmount", 41.05, {"service": "hemline", "currency": "USD"}) in metrics
    assert not [n for n, _, _ in metrics if n == "RefundsIssued"]


def test_prepaid_label_counts_a_label_bought(measured, installed, capsys):
    store = measured.container.store
    store.put_shop(replace(store.get_shop(installed), return_address=RETURN_ADDRESS))
    view = _delivered_order(measured, installed, [2])
    capsys.readouterr()
    rma = _request(measured, installed, view, qty=2)
    assert rma.state == "label_issued"
    metrics = emitted(capsys)
    assert ("LabelsBought", 1.0, {"service": "hemline", "provider": "builtin"}) in metrics
    assert [d["state"] for n, _, d in metrics if n == "RmaTransitions"][-1] == "label_issued"


def test_backorder_notice_is_counted_once(measured, installed, capsys):
    _product(measured, installed, "LD-M", available=0, incoming=0)
    capsys.readouterr()
    order = _order(measured, installed, [("LD-M", 1)])  # its orders/create hook sends the notice
    ctx = measured.container.proactive_context()
    shop = measured.container.store.get_shop(installed)
    assert backorders.check_order(ctx, shop, int(order["id"])).outcome == "already_notified"
    sent = [m for m in emitted(capsys) if m[0] == "BackorderNoticesSent"]
    assert sent == [("BackorderNoticesSent", 1.0, {"service": "hemline"})]


def test_late_order_counts_its_upgrade_and_credit_and_the_sweep_its_lag(measured, ivy, capsys):  # noqa: F811
    order = _place(measured, ivy, days_ago=30)
    due = _schedule(measured, ivy, order)
    capsys.readouterr()
    ctx = measured.container.proactive_context()
    now = ctx.clock.now()
    delays.sweep(ctx, now)
    metrics = emitted(capsys)
    assert ("ShippingUpgrades", 1.0, {"service": "hemline", "mode": "order_edit"}) in metrics
    assert ("StoreCreditsIssued", 1.0, {"service": "hemline", "source": "delay"}) in metrics
    assert [d for n, _, d in metrics if n == "StoreCreditAmount"] == [
        {"service": "hemline", "currency": "USD"}
    ]
    [lag] = [(v, d) for n, v, d in metrics if n == "SweepLagSeconds"]
    assert lag[1] == {"service": "hemline", "kind": "delay"}
    # Other shops' due work shares the index, so the oldest may be older than this order's.
    assert lag[0] >= (now - due).total_seconds() - 1 > 0
    # A second sweep finds this order done; its lag no longer counts it.
    delays.sweep(ctx, now + timedelta(seconds=1))
    assert [n for n, _, _ in emitted(capsys)].count("ShippingUpgrades") == 0


def test_sweep_with_nothing_due_reports_no_lag(measured, capsys):
    ctx = measured.container.proactive_context()
    backorders.sweep(ctx, datetime(2000, 1, 1, tzinfo=UTC))
    assert [(n, v, d) for n, v, d in emitted(capsys) if n == "SweepLagSeconds"] == [
        ("SweepLagSeconds", 0.0, {"service": "hemline", "kind": "backorder"})
    ]
