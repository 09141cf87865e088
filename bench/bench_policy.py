"""Benchmark of the policy evaluator: 10,000 varied multi-item requests across the presets.

`python bench/bench_policy.py [--quick]` prints a human line, then one JSON object
as its last line; `run(quick)` returns {"policy_10k_s": seconds for 10,000 requests}.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies import EvaluationRequest, evaluate, load_preset, parse_request, preset_names

FULL = 10_000
QUICK = 2_000
BUDGET_S = 1.0

_SHOPS = {
    "petite-plume": ("US", "America/New_York", "USD"),
    "lavish-ivy": ("US", "America/Los_Angeles", "USD"),
    "cn-consumer": ("CN", "Asia/Shanghai", "CNY"),
}
_REASONS = [
    "changed_mind",
    "size_fit",
    "color_style",
    "defective",
    "damaged_in_transit",
    "wrong_item",
    "not_as_described",
]
_RESOLUTIONS = ["refund", "store_credit", "exchange", "replacement"]
_CONDITIONS = ["unworn_tags_attached", "unworn_no_tags", "worn", "washed", "opened", "unopened"]
_DEFECTS = [None, None, None, "loose_threads", "colour_difference", "chalk_marks"]
_TAGS = [[], [], ["new"], ["sale"], ["Final-Sale"], ["bespoke"], ["custom"], ["gift", "linen"]]
_TYPES = ["Rompers", "Dresses", "Hair Bows", "Underwear", "Socks", "Outerwear", "Bodysuits"]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _request(rng: random.Random, shop: tuple[str, str, str]) -> dict[str, Any]:
    country, timezone, currency = shop
    offset = "+08:00" if country == "CN" else "-05:00"
    created = datetime.fromisoformat(f"2026-01-01T10:00:00{offset}") + timedelta(
        days=rng.randrange(0, 700), hours=rng.randrange(0, 24)
    )
    shipped = created + timedelta(days=rng.randrange(0, 4), hours=rng.randrange(0, 12))
    delivered = shipped + timedelta(days=rng.randrange(1, 8))
    state = rng.random()
    lines = []
    for index in range(rng.randrange(1, 5)):
        price = rng.randrange(500, 50_000)
        above = price + rng.randrange(0, 5_000)
        compare_at = None if rng.random() < 0.7 else f"{above // 100}.{above % 100:02d}"
        lines.append(
            {
                "id": str(1000 + index),
                "title": f"Item {index}",
                "product_type": rng.choice(_TYPES),
                "tags": rng.choice(_TAGS),
                "price": f"{price // 100}.{price % 100:02d}",
                "compare_at_price": compare_at,
                "quantity": rng.randrange(1, 4),
            }
        )
    subtotal = sum(int(line["price"].replace(".", "")) * line["quantity"] for line in lines)
    items = []
    for line in rng.sample(lines, rng.randrange(1, len(lines) + 1)):
        items.append(
            {
                "line_item_id": line["id"],
                "quantity": rng.randrange(1, line["quantity"] + 1),
                "reason": rng.choice(_REASONS),
                "resolution": rng.choice(_RESOLUTIONS),
                "condition": rng.choice(_CONDITIONS),
                "photos": rng.randrange(0, 4),
                "expedited": rng.random() < 0.2,
                "defect": rng.choice(_DEFECTS),
            }
        )
    return {
        "shop": {"country": country, "timezone": timezone, "currency": currency},
        "order": {
            "name": f"#{rng.randrange(1000, 99999)}",
            "created_at": _iso(created),
            "subtotal": f"{subtotal // 100}.{subtotal % 100:02d}",
            "shipping_country": country if rng.random() < 0.85 else "CA",
            "shipped_at": None if state < 0.05 else _iso(shipped),
            "delivered_at": None if state < 0.25 else _iso(delivered),
            "line_items": lines,
        },
        "items": items,
        "requested_at": _iso(
            delivered + timedelta(days=rng.randrange(0, 60), hours=rng.randrange(0, 24))
        ),
    }


def build_requests(count: int, seed: int = 4) -> list[tuple[str, EvaluationRequest]]:
    """`count` parsed requests, round-robin over the presets (built before timing)."""
    rng = random.Random(seed)
    names = preset_names()
    built = []
    for index in range(count):
        name = names[index % len(names)]
        built.append((name, parse_request(_request(rng, _SHOPS[name]))))
    return built


def run(quick: bool = False) -> dict[str, float]:
    """Time `evaluate` over 10,000 requests (quick: 2,000, scaled to 10,000)."""
    count = QUICK if quick else FULL
    requests = build_requests(count)
    policies = {name: load_preset(name) for name in preset_names()}
    evaluate(policies[requests[0][0]], requests[0][1])  # warm caches (holiday tables)
    started = time.perf_counter()
    for name, request in requests:
        evaluate(policies[name], request)
    elapsed = time.perf_counter() - started
    return {"policy_10k_s": round(elapsed * FULL / count, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 requests, scaled")
    args = parser.parse_args(argv)
    figures = run(quick=args.quick)
    seconds = figures["policy_10k_s"]
    verdict = "within" if seconds < BUDGET_S else "OVER"
    print(
        f"policy evaluate: {seconds:.3f} s per 10,000 requests"
        f" ({seconds * 100:.1f} us per request; {verdict} the {BUDGET_S:.1f} s budget)"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
