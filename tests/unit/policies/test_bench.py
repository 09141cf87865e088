"""The benchmark's request builder makes valid, varied requests for every preset."""

from __future__ import annotations

from bench.bench_policy import build_requests
from policies import evaluate, load_preset


def test_benchmark_requests_cover_every_preset_and_outcome_when_built():
    built = build_requests(90, seed=7)

    presets = {name for name, _ in built}
    decisions = [evaluate(load_preset(name), request) for name, request in built]
    outcomes = {item.eligible for decision in decisions for item in decision.items}
    sizes = {len(request.items) for _, request in built}

    assert presets == {"petite-plume", "lavish-ivy", "cn-consumer"}
    assert outcomes == {True, False}
    assert max(sizes) > 1
