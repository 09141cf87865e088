"""Key builders for the single table: pure functions, the only place keys are spelt.

Every item of a merchant lives under `PK = SHOP#<domain>`, so each read is
scoped to one shop. Ids are zero-padded to 20 digits (the width of an unsigned
64-bit integer) so that `begins_with(ORDER#<id>)` never matches a longer id and
children sort under their parent.

Secondary indexes are overloaded by item type:
- GSI1 (lists): RMAs by state and update time, a customer's orders (in a shop);
  shops by install status.
- GSI2 (work by due time, across shops): `DUE#<kind>` / `<due utc iso>#<shop>#<id>`.
- GSI3 (look-ups): an order by the number people type; the RMAs of an order.
"""

from __future__ import annotations


def _pad(n: int) -> str:
    return f"{n:020d}"


def shop_pk(shop: str) -> str:
    return f"SHOP#{shop}"


SHOP_SK = "SHOP"


def order_sk(order_id: int) -> str:
    return f"ORDER#{_pad(order_id)}"


def order_children_prefix(order_id: int) -> str:
    """Prefix shared by an order and everything recorded against it."""
    return order_sk(order_id)


def fulfillment_sk(order_id: int, fulfillment_id: int) -> str:
    return f"{order_sk(order_id)}#FUL#{_pad(fulfillment_id)}"


def refund_sk(order_id: int, refund_id: int) -> str:
    return f"{order_sk(order_id)}#REF#{_pad(refund_id)}"


def webhook_sk(key: str) -> str:
    """A delivery's record, under its dedupe key (see webhook_key)."""
    return f"WEBHOOK#{key}"


def webhook_key(webhook_id: str, topic: str, event_id: str | None) -> str:
    """What a delivery is deduplicated by: Shopify's event id when it sends one (the same
    for every retry and every subscription that carries the event), else the delivery id.
    Ids never hold "#", so the two kinds of key cannot meet."""
    return f"EVENT#{topic}#{event_id}" if event_id else webhook_id


def oauth_state_sk(nonce: str) -> str:
    return f"OAUTHSTATE#{nonce}"


def rma_sk(rma_id: str) -> str:
    return f"RMA#{rma_id}"


def order_reserved_sk(order_id: int) -> str:
    """Per-order counters of quantities held by open returns (one attribute per line)."""
    return f"{order_sk(order_id)}#RESERVED"


def data_request_sk(request_id: int) -> str:
    return f"DATAREQUEST#{_pad(request_id)}"


# Counters are sharded so that concurrent writers in one shop rarely touch the same item
# (a transaction touching an item another transaction holds is cancelled).
COUNTER_SHARDS = 8


def counter_shard(ref: str | int) -> int:
    """A stable shard for an RMA number or an order id."""
    text = str(ref)
    return sum(text.encode()) % COUNTER_SHARDS


def rma_counts_sk(shard: int) -> str:
    """How many RMAs are in each state: one attribute per state, summed over shards."""
    return f"COUNTS#RMA#{shard}"


RMA_COUNTS_PREFIX = "COUNTS#RMA#"


def stats_sk(month: str, shard: int) -> str:
    """Monthly analytics counters (`month` = YYYY-MM in the shop's time zone)."""
    return f"STATS#{month}#{shard}"


def stats_prefix(month: str) -> str:
    return f"STATS#{month}#"


def customer_orders_gsi1pk(shop: str, customer_id: int) -> str:
    return f"SHOP#{shop}#CUSTOMER#{_pad(customer_id)}"


def shops_by_status_gsi1pk(status: str) -> str:
    """All shops in an install state (sweeps and the daily reconciliation walk installed shops)."""
    return f"SHOPS#{status}"


def rma_state_gsi1pk(shop: str, state: str) -> str:
    return f"SHOP#{shop}#RMA#{state}"


def order_number_gsi3pk(shop: str, number: str) -> str:
    return f"SHOP#{shop}#ORDERNO#{number.lstrip('#').strip().lower()}"


def order_rmas_gsi3pk(shop: str, order_id: int) -> str:
    """The RMAs of one order (the portal subtracts what they hold)."""
    return f"SHOP#{shop}#ORDERRMAS#{_pad(order_id)}"


def due_sk(kind: str, ref: str) -> str:
    """A piece of scheduled work (a delay check, a backorder notice, a digest) for one thing."""
    return f"DUE#{kind}#{ref}"


def due_gsi2pk(kind: str) -> str:
    return f"DUE#{kind}"


def due_gsi2sk(due_utc_iso: str, shop: str, ref: str) -> str:
    return f"{due_utc_iso}#{shop}#{ref}"


# -- backorders ---------------------------------------------------------------------------


def restock_sk(variant_id: int) -> str:
    """The merchant's expected restock date of one variant."""
    return f"RESTOCK#{_pad(variant_id)}"


RESTOCK_PREFIX = "RESTOCK#"


def backorder_sk(order_id: int) -> str:
    """The backorder notice of one order (its lines, links and the customer's choices)."""
    return f"BACKORDER#{_pad(order_id)}"


BACKORDER_PREFIX = "BACKORDER#"


def backorder_watch_sk(inventory_item_id: int, order_id: int) -> str:
    """An order short of an item, waiting for its restock (rechecked on inventory updates)."""
    return f"{backorder_watch_prefix(inventory_item_id)}{_pad(order_id)}"


def backorder_watch_prefix(inventory_item_id: int) -> str:
    return f"BACKORDERWATCH#{_pad(inventory_item_id)}#"


def delay_sk(order_id: int) -> str:
    """What was done for a late order (upgrade, credit, apology): one record per order."""
    return f"DELAY#{_pad(order_id)}"


DELAY_PREFIX = "DELAY#"
