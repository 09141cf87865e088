"""DynamoStore against DynamoDB Local: conditions, transactions, indexes and TTL, for real."""

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.adapters.dynamo import keys
from app.adapters.dynamo.store import DuplicateWebhook, DynamoStore
from app.domain.orders import parse_fulfillment, parse_order, parse_refund
from app.domain.rma import Rma, RmaLine, TimelineEntry
from app.domain.shops import Shop
from app.errors import Conflict, InvalidInput, UpstreamError
from app.services.webhooks import parse_body
from tests.support.shopify import payload_bytes


def _order(**changes):
    body = parse_body(payload_bytes("orders/create"))
    body.update(changes)
    return parse_order(body)


def _rma(number, state="requested", updated_at="2026-11-20T10:00:00+00:00", qty=1, order_id=1):
    at = datetime.fromisoformat(updated_at)
    line = RmaLine(
        line_item_id=11,
        title="Knitted romper",
        quantity=qty,
        price=Decimal("48.00"),
        reason="size_fit",
        resolution="refund",
        condition="unworn_tags_attached",
        refund_amount=Decimal("48.00") * qty,
    )
    return Rma(
        number=number,
        shop="s",
        order_id=order_id,
        order_name="#1001",
        currency="USD",
        state=state,
        lines=(line,),
        created_at=at,
        updated_at=at,
    )


def test_template_table_has_ttl_gsis_and_pay_per_request(ddb_client):
    desc = ddb_client.describe_table(TableName="hemline-test")["Table"]
    assert {i["IndexName"] for i in desc["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2", "GSI3"}
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb_client.describe_time_to_live(TableName="hemline-test")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_shop_round_trips_and_uninstall_drops_tokens(store, shop, ddb_client):
    store.put_shop(
        Shop(
            domain=shop, status="installed", country="CN", timezone="Asia/Shanghai", currency="CNY"
        )
    )
    ddb_client.update_item(
        TableName="hemline-test",
        Key={"PK": {"S": f"SHOP#{shop}"}, "SK": {"S": "SHOP"}},
        UpdateExpression="SET access_token = :t",
        ExpressionAttributeValues={":t": {"B": b"ciphertext"}},
    )
    assert store.get_shop(shop).country == "CN"
    assert store.mark_uninstalled(shop, datetime(2026, 11, 23, tzinfo=UTC))
    raw = ddb_client.get_item(
        TableName="hemline-test", Key={"PK": {"S": f"SHOP#{shop}"}, "SK": {"S": "SHOP"}}
    )
    assert "access_token" not in raw["Item"]
    assert store.get_shop(shop).status == "uninstalled"


def test_a_page_that_only_reads_the_shop_sees_this_process_writes_at_once(store, shop, ddb_client):
    # GIVEN a shop read by a page that accepts a copy a minute old (the portal), and a
    # second process with its own store
    store.put_shop(Shop(domain=shop, status="installed", country="US", currency="USD"))
    assert store.get_shop(shop, max_age_s=60).country == "US"
    other = DynamoStore(ddb_client, "hemline-test")
    # WHEN the other process changes it, this page may still see its copy for a while...
    other.put_shop(replace(other.get_shop(shop), country="CA"))
    assert store.get_shop(shop, max_age_s=60).country == "US"
    # ...while every read without max_age (the admin, the services) sees the change
    assert store.get_shop(shop).country == "CA"
    # AND a change made in this process (settings saved, the app uninstalled) shows at once
    store.put_shop(replace(store.get_shop(shop), country="GB"))
    assert store.get_shop(shop, max_age_s=60).country == "GB"
    assert store.mark_uninstalled(shop, datetime(2026, 11, 23, tzinfo=UTC))
    assert store.get_shop(shop, max_age_s=60).status == "uninstalled"
    store.delete_shop_data(shop)
    assert store.get_shop(shop, max_age_s=60) is None


def test_uninstall_of_unknown_shop_creates_nothing(store, shop):
    assert not store.mark_uninstalled(shop, datetime(2026, 11, 23, tzinfo=UTC))
    assert store.get_shop(shop) is None


def test_older_order_snapshot_never_overwrites_newer(store, shop):
    newer = _order(updated_at="2026-11-20T10:00:00-05:00", note="newer")
    older = _order(updated_at="2026-11-19T10:00:00-05:00", total_price="1.00", total_price_set=None)
    assert store.save_order(shop, newer)
    assert not store.save_order(shop, older)
    assert store.get_order(shop, newer.id).order.total == Decimal("404.95")
    # The same snapshot again (a redelivery) is accepted and changes nothing.
    assert store.save_order(shop, newer)


def test_order_is_found_by_number_and_customer(store, shop):
    order = _order()
    store.save_order(shop, order)
    assert store.find_order_by_number(shop, "#9999").order.id == order.id
    assert store.find_order_by_number(shop, "9999").order.id == order.id
    assert store.find_order_by_number(shop, "99999") is None
    assert store.customer_order_ids(shop, 115310627314723954) == [order.id]
    # Scoped by shop: another shop's number look-up finds nothing.
    assert store.find_order_by_number("other-" + shop, "9999") is None


def test_fulfillment_keeps_first_delivery_time_and_ignores_stale_updates(store, shop):
    body = parse_body(payload_bytes("fulfillments/update"))
    delivered = dict(body, shipment_status="delivered", updated_at="2026-11-20T10:00:00+00:00")
    redelivered_later = dict(
        body, shipment_status="delivered", updated_at="2026-11-21T10:00:00+00:00"
    )
    stale = dict(body, shipment_status="in_transit", updated_at="2026-11-19T10:00:00+00:00")
    assert store.save_fulfillment(shop, parse_fulfillment(delivered))
    assert store.save_fulfillment(shop, parse_fulfillment(redelivered_later))
    assert not store.save_fulfillment(shop, parse_fulfillment(stale))
    store.save_order(shop, _order())
    view = store.get_order(shop, 820982911946154508)
    assert view.delivered_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert view.fulfillments[0].shipment_status == "delivered"


def test_refund_is_recorded_once(store, shop):
    refund = parse_refund(parse_body(payload_bytes("refunds/create")))
    assert store.save_refund(shop, refund)
    assert not store.save_refund(shop, refund)
    store.save_order(shop, _order())
    view = store.get_order(shop, refund.order_id)
    assert len(view.refunds) == 1
    assert view.refunded_amount == Decimal("85.00")
    assert view.refunded_quantity(487817672276298554) == 1


def test_order_prefix_does_not_match_longer_ids(store, shop):
    store.save_order(shop, _order(id=12, name="#12"))
    store.save_order(shop, _order(id=123, name="#123"))
    assert store.get_order(shop, 12).order.id == 12


def test_concurrent_rma_transitions_one_wins(store, shop):
    store.create_rma(shop, _rma("AB12CD34"), bought={11: 2})
    results = []
    barrier = threading.Barrier(8)

    def transition(i):
        barrier.wait()
        try:
            store.update_rma(
                shop, _rma("AB12CD34", state=f"s{i}"), replace(_rma("AB12CD34"), version=1)
            )
            results.append("won")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=transition, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 7 + ["won"]
    assert store.get_rma(shop, "AB12CD34").version == 2


def test_rma_number_is_unique_and_transaction_leaves_nothing_half_written(store, shop):
    store.create_rma(shop, _rma("AB12CD34"), bought={11: 5})
    with pytest.raises(Conflict):
        store.create_rma(shop, _rma("AB12CD34", qty=2), bought={11: 5})
    # The reservation of the refused RMA was rolled back with it.
    assert store.reserved_quantities(shop, 1) == {11: 1}


def test_concurrent_returns_cannot_take_more_than_was_bought(store, shop):
    outcomes = []
    barrier = threading.Barrier(6)

    def submit(i):
        barrier.wait()
        try:
            store.create_rma(shop, _rma(f"N{i}AAAAAA"), bought={11: 2})
            outcomes.append("created")
        except (InvalidInput, UpstreamError):
            outcomes.append("refused")

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("created") <= 2
    assert store.reserved_quantities(shop, 1) == {11: outcomes.count("created")}
    created = [r for r in store.rmas_for_order(shop, 1)]
    assert len(created) == outcomes.count("created")
    # Sequentially, once two are held, a third is refused with the field named.
    while store.reserved_quantities(shop, 1).get(11, 0) < 2:
        store.create_rma(shop, _rma(f"Z{len(created)}ZZZZZZ"), bought={11: 2})
        created.append(1)
    with pytest.raises(InvalidInput) as err:
        store.create_rma(shop, _rma("LASTONE2"), bought={11: 2})
    assert err.value.field == "quantity"


def test_cancelling_releases_the_held_quantity(store, shop):
    rma = _rma("CANCEL22", qty=2)
    store.create_rma(shop, rma, bought={11: 2})
    store.update_rma(shop, replace(rma, state="cancelled"), replace(rma, version=1), release=True)
    assert store.reserved_quantities(shop, 1) == {}
    store.create_rma(shop, _rma("AGAIN222", qty=2), bought={11: 2})


def test_rmas_list_by_state_newest_first_with_cursor(store, shop):
    for i in range(5):
        store.create_rma(
            shop, _rma(f"R{i}RRRRRR", updated_at=f"2026-11-2{i}T10:00:00+00:00"), bought={11: 9}
        )
    store.create_rma(shop, _rma("RXRRRRRR", state="approved"), bought={11: 9})
    page, cursor = store.list_rmas(shop, "requested", limit=3)
    assert [r.number for r in page] == ["R4RRRRRR", "R3RRRRRR", "R2RRRRRR"]
    page2, _ = store.list_rmas(shop, "requested", limit=3, cursor=cursor)
    assert [r.number for r in page2] == ["R1RRRRRR", "R0RRRRRR"]
    with pytest.raises(InvalidInput) as err:
        store.list_rmas("other-" + shop, "requested", cursor=cursor)
    assert err.value.field == "cursor"


def test_rma_round_trips_with_money_and_timeline(store, shop):
    rma = replace(
        _rma("RT234567", qty=2),
        timeline=(TimelineEntry(datetime(2026, 11, 20, 10, 0, tzinfo=UTC), "customer", "request"),),
        refund_total=Decimal("89.05"),
        customer_email="ada@example.com",
    )
    store.create_rma(shop, rma, bought={11: 2})
    loaded = store.get_rma(shop, "RT234567")
    assert replace(loaded, version=0) == rma
    assert loaded.version == 1


def _record(store, shop, webhook_id, event_id=None, topic="orders/create"):
    now = datetime.now(UTC)
    store.record_webhook(
        shop=shop,
        key=keys.webhook_key(webhook_id, topic, event_id),
        webhook_id=webhook_id,
        event_id=event_id,
        topic=topic,
        body=b'{"id": 1}',
        api_version="2026-04",
        triggered_at=None,
        received_at=now,
        expires_at=int((now + timedelta(days=7)).timestamp()),
    )


def test_webhook_recorded_once_by_event_id_whatever_its_delivery_id(store, shop, ddb_client):
    _record(store, shop, "w1", event_id="e1")
    with pytest.raises(DuplicateWebhook):
        _record(store, shop, "w1", event_id="e1")
    with pytest.raises(DuplicateWebhook):  # same event, other subscription's delivery id
        _record(store, shop, "w2", event_id="e1")
    _record(store, shop, "w3", event_id="e1", topic="orders/updated")  # same id, other topic
    raw = ddb_client.get_item(
        TableName="hemline-test",
        Key={"PK": {"S": f"SHOP#{shop}"}, "SK": {"S": "WEBHOOK#EVENT#orders/create#e1"}},
    )
    assert raw["Item"]["webhook_id"]["S"] == "w1"  # the first delivery's, for the logs
    expires = int(raw["Item"]["expires_at"]["N"])
    assert abs(expires - (time.time() + 7 * 86400)) < 120
    record = store.get_webhook(shop, "EVENT#orders/create#e1")
    assert (record.webhook_id, record.event_id, record.status) == ("w1", "e1", "received")


def test_webhook_without_event_id_recorded_once_by_delivery_id(store, shop):
    _record(store, shop, "w1")
    with pytest.raises(DuplicateWebhook):
        _record(store, shop, "w1")
    _record(store, shop, "w2")
    assert store.get_webhook(shop, "w1").webhook_id == "w1"


def test_processed_webhook_keeps_no_body(store, shop):
    _record(store, shop, "w1")
    assert store.get_webhook(shop, "w1").body == b'{"id": 1}'
    store.mark_webhook_processed(shop, "w1", datetime.now(UTC))
    record = store.get_webhook(shop, "w1")
    assert (record.status, record.body) == ("processed", None)


def test_released_webhook_can_be_recorded_again(store, shop):
    _record(store, shop, "w1", event_id="e1")
    store.release_webhook(shop, "EVENT#orders/create#e1")
    _record(store, shop, "w1", event_id="e1")
    assert store.get_webhook(shop, "EVENT#orders/create#e1").status == "received"


def test_redacted_order_stays_redacted_after_later_update(store, shop):
    order = _order()
    store.save_order(shop, order)
    assert store.redact_order(shop, order.id)
    later = _order(updated_at="2026-11-22T10:00:00+00:00")
    assert store.save_order(shop, later)
    stored = store.get_order(shop, order.id).order
    assert stored.email is None and stored.customer_id is None and stored.shipping_zip is None
    assert store.is_redacted(shop, order.id)


def test_delete_shop_data_removes_every_item(store, shop, ddb_client):
    store.put_shop(Shop(domain=shop, status="uninstalled"))
    store.save_order(shop, _order())
    for i in range(30):
        _record(store, shop, f"w{i}")
    assert store.delete_shop_data(shop) == 32
    left = ddb_client.query(
        TableName="hemline-test",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"SHOP#{shop}"}},
    )
    assert left["Count"] == 0


def test_installed_shops_are_listed_from_the_index(store, shop):
    store.put_shop(Shop(domain=shop, status="installed"))
    assert shop in set(store.list_shop_domains("installed"))
    store.mark_uninstalled(shop, datetime.now(UTC))
    assert shop not in set(store.list_shop_domains("installed"))
    assert shop in set(store.list_shop_domains("uninstalled"))


def test_tokens_survive_profile_updates_and_refresh_lease_has_one_winner(store, shop):
    store.put_shop(Shop(domain=shop, status="installed"))
    version = store.save_tokens(
        shop, {"access_token": b"enc-a", "token_expires_at": 1, "scopes": "read_orders"}
    )
    store.put_shop(Shop(domain=shop, status="installed", name="Renamed"))
    assert store.get_tokens(shop)["access_token"] == b"enc-a"
    now = int(time.time())
    winners = []
    barrier = threading.Barrier(6)

    def claim():
        barrier.wait()
        winners.append(store.claim_token_refresh(shop, version, now, 30))

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(winners) == [False] * 5 + [True]
    assert store.save_refreshed_tokens(shop, {"access_token": b"enc-b"}, version) == version + 1
    with pytest.raises(Conflict):
        store.save_refreshed_tokens(shop, {"access_token": b"enc-c"}, version)
    assert store.get_tokens(shop)["access_token"] == b"enc-b"
    assert "refresh_lease_until" not in store.get_tokens(shop)


def test_oauth_state_is_single_use_and_expires(store, shop):
    now = int(time.time())
    store.put_oauth_state(shop, "n1", now + 600)
    store.put_oauth_state(shop, "n2", now - 1)
    assert store.consume_oauth_state(shop, "n1", now)
    assert not store.consume_oauth_state(shop, "n1", now)
    assert not store.consume_oauth_state(shop, "n2", now)
    assert not store.consume_oauth_state("other-" + shop, "n1", now)


def test_rate_limit_counts_per_key_and_window(store, shop):
    now = 1_800_000_000
    allowed = [
        store.hit_rate_limit(shop, "ip:1.2.3.4", now_epoch=now, window_s=600, limit=5)
        for _ in range(7)
    ]
    assert allowed == [True] * 5 + [False] * 2
    assert store.hit_rate_limit(shop, "ip:5.6.7.8", now_epoch=now, window_s=600, limit=5)
    assert store.hit_rate_limit(shop, "ip:1.2.3.4", now_epoch=now + 600, window_s=600, limit=5)


def test_state_counts_follow_creations_and_transitions_even_when_racing(store, shop):
    # GIVEN eight returns submitted at the same moment (each its own order)
    barrier = threading.Barrier(8)
    errors = []

    def submit(i):
        barrier.wait()
        try:
            store.create_rma(shop, _rma(f"CNT{i:05d}", order_id=100 + i), bought={11: 1})
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.rma_counts(shop) == {"requested": 8}

    # WHEN three are approved, one of them twice from the same version (one wins)
    for i in range(3):
        rma = store.get_rma(shop, f"CNT{i:05d}")
        store.update_rma(shop, replace(rma, state="approved"), rma)
    stale = store.get_rma(shop, "CNT00003")
    store.update_rma(shop, replace(stale, state="approved"), stale)
    with pytest.raises(Conflict):
        store.update_rma(shop, replace(stale, state="declined"), stale)
    # ...and a change that keeps the state moves no counter
    rma = store.get_rma(shop, "CNT00004")
    store.update_rma(shop, replace(rma, decline_reason=None), rma)

    # THEN the queue's counts are exact
    assert store.rma_counts(shop) == {"requested": 4, "approved": 4}


def test_monthly_stats_count_an_order_once_however_often_it_is_stored(store, shop):
    order = replace(_order(id=9100), total=Decimal("120.50"), currency="USD")
    assert store.save_order(shop, order, stats_month="2026-11")
    # a redelivery and a later update are stored but not counted again
    assert store.save_order(shop, order, stats_month="2026-11")
    later = replace(order, updated_at=order.updated_at + timedelta(minutes=5))
    assert store.save_order(shop, later, stats_month="2026-11")
    other = replace(_order(id=9101), total=Decimal("79.50"), currency="USD")
    store.save_order(shop, other, stats_month="2026-11")

    # a return of two items for size
    store.create_rma(
        shop, _rma("STAT0001", qty=2, order_id=9100), bought={11: 2}, stats_month="2026-11"
    )
    stats = store.stats_for_month(shop, "2026-11")
    assert stats["orders"] == 2
    assert stats["order_value_USD"] == Decimal("200.00")
    assert stats["rmas"] == 1 and stats["items"] == 2 and stats["reason_size_fit"] == 2
    assert stats["returned_value_USD"] == Decimal("96.00")
    assert store.stats_for_month(shop, "2026-10") == {}

    # other effects add to the month by name
    store.add_stats(shop, "2026-11", "9100", {"recovery_USD": Decimal("10.00"), "delays": 1})
    assert store.stats_for_month(shop, "2026-11")["recovery_USD"] == Decimal("10.00")


def test_rmas_updated_since_reads_only_the_recent_ones(store, shop):
    store.create_rma(shop, _rma("OLD00001", updated_at="2026-09-01T10:00:00+00:00"), bought={11: 1})
    store.create_rma(
        shop, _rma("NEW00001", updated_at="2026-11-20T10:00:00+00:00", order_id=2), bought={11: 1}
    )
    since = datetime(2026, 11, 1, tzinfo=UTC)
    assert [r.number for r in store.rmas_updated_since(shop, "requested", since)] == ["NEW00001"]


def test_due_work_is_read_by_due_time_across_shops_and_scheduled_once(store, shop):
    other = f"other-{shop}"
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    kind = f"test{time.time_ns()}"
    assert store.put_due(shop, kind, "1", now - timedelta(hours=2), {"total": Decimal("10.50")})
    assert not store.put_due(shop, kind, "1", now - timedelta(hours=9), {})  # a redelivery
    assert store.put_due(other, kind, "2", now - timedelta(hours=1), {})
    assert store.put_due(shop, kind, "3", now + timedelta(minutes=1), {})  # not due yet
    due = list(store.due_work(kind, now, page_size=1))
    assert [(d.shop, d.ref) for d in due] == [(shop, "1"), (other, "2")]
    assert due[0].data == {"total": Decimal("10.50")}
    assert due[0].due_at == now - timedelta(hours=2)

    store.delete_due(shop, kind, "1")
    assert [d.ref for d in store.due_work(kind, now)] == ["2"]
    # moving work to later takes it out of what is due now
    store.put_due(other, kind, "2", now + timedelta(days=1), {}, replace_existing=True)
    assert list(store.due_work(kind, now)) == []
    assert store.get_due(other, kind, "2").due_at == now + timedelta(days=1)


def test_clearing_a_shop_setting_removes_it_from_the_item(store, shop):
    saved = Shop(
        domain=shop,
        status="installed",
        sender_email="returns@plume.example",
        label_api_key_encrypted=b"\x01secret",
        policy_overrides={"fees.return_label": "5.00"},
    )
    store.put_shop(saved)
    assert store.get_shop(shop).label_api_key_encrypted == b"\x01secret"
    store.put_shop(
        replace(saved, sender_email=None, label_api_key_encrypted=None, policy_overrides=None)
    )
    got = store.get_shop(shop)
    assert got.sender_email is None and got.label_api_key_encrypted is None
    assert got.policy_overrides is None
