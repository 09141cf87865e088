"""The effect ledger on DynamoDB Local: one claim wins, results stick, releases allow a retry."""

import threading
from datetime import UTC, datetime

from app.adapters.dynamo.ledger import DynamoLedger

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_concurrent_claims_have_exactly_one_winner(store, shop):
    ledger = DynamoLedger(store)
    results = []
    barrier = threading.Barrier(10)

    def claim():
        barrier.wait()
        results.append(ledger.claim(shop, "rma1:label", at=T0, data={"reference": "rma1"}))

    threads = [threading.Thread(target=claim) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for r in results if r is None) == 1
    losers = [r for r in results if r is not None]
    assert len(losers) == 9 and all(r.data == {"reference": "rma1"} for r in losers)
    assert ledger.get(shop, "rma1:label").attempts >= 2


def test_first_result_sticks(store, shop):
    ledger = DynamoLedger(store)
    ledger.claim(shop, "k", at=T0)
    ledger.complete(shop, "k", {"tracking": "1Z1"})
    ledger.complete(shop, "k", {"tracking": "1Z2"})
    record = ledger.claim(shop, "k", at=T0)
    assert (record.status, record.result) == ("done", {"tracking": "1Z1"})


def test_release_lets_an_effect_that_did_not_happen_be_tried_again(store, shop):
    ledger = DynamoLedger(store)
    ledger.claim(shop, "k", at=T0)
    ledger.release(shop, "k")
    assert ledger.claim(shop, "k", at=T0) is None
    ledger.complete(shop, "k", {"ok": True})
    ledger.release(shop, "k")  # a finished effect is never released
    assert ledger.get(shop, "k").status == "done"


def test_a_claim_released_while_a_twin_reads_it_stays_released(store, shop):
    # GIVEN a claim, and its owner releasing it just after a twin read it (Shopify
    # throttled the owner)
    ledger = DynamoLedger(store)
    ledger.claim(shop, "k", at=T0)
    read = ledger.get

    def read_then_owner_releases(s, k):
        record = read(s, k)
        ledger.release(s, k)
        return record

    ledger.get = read_then_owner_releases  # type: ignore[method-assign]
    # WHEN the twin's claim loses to the claim it read
    assert ledger.claim(shop, "k", at=T0).status == "started"
    del ledger.get
    # THEN the key is free for the next try (no husk of the claim is left to block it)
    assert ledger.get(shop, "k") is None
    assert ledger.claim(shop, "k", at=T0) is None
