"""Every benchmark, each against its budget: `make bench` (full) and `make bench-quick` (CI).

`python bench/run_all.py [--quick]` runs each bench/bench_*.py in a fresh interpreter (in
turn: they share the machine, and each starts what it needs), shows its own report, then
prints one table row per figure: Hemline's figure, the floor it was measured against in
the same run, their ratio, the budget and OK/OVER. The last line is one JSON object with
the budgeted keys at the top and every benchmark's figures under "benchmarks".

Exit code 1 when a figure is over its budget or a benchmark failed; with --quick, small
sizes and only a gross regression fails: a figure past twice its budget (half, for a
ratio that must stay above its floor). bench_package.py, when absent, is reported as
null with a note.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# In the order they run: the quick and self-contained first.
BENCHMARKS = ("policy", "package", "sweep", "webhooks", "portal", "writes")
OPTIONAL = frozenset({"package"})  # another change brings it; tolerated when absent
TIMEOUT_S = {"quick": 600, "full": 3600}

KEYS = (
    "webhook_ack_p50_ratio",
    "webhook_ack_p99_ratio",
    "webhook_throughput_ratio",
    "cold_import_ratio",
    "archive_mb",
    "policy_10k_s",
    "sweep_reads_per_due",
    "portal_p95_ms",
    "peak_rss_mb",
    "writes_per_order",
    "cost_per_10k_orders_usd",
    "lambda_ms_per_order",
    "lambda_cost_per_10k_orders_usd",
    "total_cost_per_10k_orders_usd",
)


@dataclass(frozen=True)
class Row:
    """One line of the table: where its numbers come from and what it must stay within."""

    label: str
    bench: str
    figure: tuple[str, ...]  # the first key present is shown
    unit: str = ""
    floor: tuple[str, ...] = ()
    ratio: str | None = None
    budget: float | None = None
    at_least: bool = False  # the budget is a minimum (a ratio of throughputs)
    strict: bool = False  # "<" rather than "<="
    key: str | None = None  # the budgeted value: `ratio` if set, else the figure

    def budgeted(self) -> str:
        return self.key or self.ratio or self.figure[0]


def _ack_rows() -> list[Row]:
    rows = []
    for senders in (1, 8):
        for q in (50, 99):
            rows.append(
                Row(
                    f"webhook ack p{q}, {senders} sender{'s' if senders > 1 else ''}",
                    "webhooks",
                    (f"hemline_ack_p{q}_ms_{senders}",),
                    "ms",
                    (f"floor_ack_p{q}_ms_{senders}",),
                    f"webhook_ack_p{q}_ratio_{senders}",
                    1.5,
                )
            )
    return rows


ROWS = (
    *_ack_rows(),
    Row(
        "webhook throughput, 8 senders",
        "webhooks",
        ("hemline_throughput_rps",),
        "/s",
        ("floor_throughput_rps",),
        "webhook_throughput_ratio",
        0.67,
        at_least=True,
    ),
    Row(
        "cold import of the handler",
        "package",
        ("cold_import_ms",),
        "ms",
        ("floor_import_ms",),
        "cold_import_ratio",
        1.5,
    ),
    Row("deploy archive (zipped)", "package", ("archive_mb",), "MB", budget=30.0),
    Row("policy, 10,000 requests", "policy", ("policy_10k_s",), "s", budget=1.0, strict=True),
    Row("sweep reads per due order", "sweep", ("sweep_reads_per_due",), "RRU", budget=1.2),
    Row("portal look-up to page, p95", "portal", ("portal_p95_ms",), "ms", budget=50.0),
    Row("DynamoDB writes per order", "writes", ("writes_per_order",), "WRU"),
    Row("  DynamoDB cost per 10,000 orders", "writes", ("cost_per_10k_orders_usd",), "USD"),
    Row("Lambda time per order", "writes", ("lambda_ms_per_order",), "ms"),
    Row("  Lambda cost per 10,000 orders", "writes", ("lambda_cost_per_10k_orders_usd",), "USD"),
    Row("cost per 10,000 orders, both", "writes", ("total_cost_per_10k_orders_usd",), "USD"),
    Row("peak RSS, throughput run", "webhooks", ("peak_rss_mb",), "MB", budget=256.0),
)


def run_benchmark(name: str, quick: bool) -> tuple[dict[str, Any] | None, str | None, float]:
    """Run bench_<name>.py, echoing its report; (its figures, a note, seconds taken)."""
    script = BENCH / f"bench_{name}.py"
    if not script.exists():
        return None, f"bench/bench_{name}.py is absent", 0.0
    started = time.monotonic()
    args = [sys.executable, str(script), *(["--quick"] if quick else [])]
    try:
        done = subprocess.run(
            args,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S["quick" if quick else "full"],
        )
    except subprocess.TimeoutExpired:
        return None, f"bench_{name}.py timed out", time.monotonic() - started
    took = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(f"  {line}")
    try:
        figures = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        figures = None
    if done.returncode != 0 or not isinstance(figures, dict):
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        print(f"  bench_{name}.py failed (exit {done.returncode}):\n{tail}")
        return None, f"bench_{name}.py failed (exit {done.returncode})", took
    return figures, None, took


def _first(figures: dict[str, Any] | None, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if figures and figures.get(key) is not None:
            return figures[key]
    return None


def verdict(row: Row, value: float | None, quick: bool) -> str:
    """OK, OVER, "OK (2x)" (quick: over the budget, within twice it), "-" (nothing to
    judge) or "n/a" (no figure)."""
    if row.budget is None:
        return "-" if value is not None else "n/a"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if row.at_least:
        within, roughly = value >= row.budget, value >= row.budget / 2
    else:
        within = value < row.budget if row.strict else value <= row.budget
        roughly = value <= row.budget * 2
    if within:
        return "OK"
    return "OK (2x)" if quick and roughly else "OVER"


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    else:
        text = f"{value:,}"
    return f"{text} {unit}".strip()


def _budget_text(row: Row) -> str:
    if row.budget is None:
        return "reported"
    what = "ratio" if row.ratio else row.unit
    sign = ">=" if row.at_least else ("<" if row.strict else "<=")
    return f"{what} {sign} {row.budget:g}".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes; fail at 2x budget")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    started = time.monotonic()
    results: dict[str, dict[str, Any] | None] = {}
    notes: list[str] = []
    failed: list[str] = []
    seconds: dict[str, float] = {}
    for name in BENCHMARKS:
        print(f"== bench_{name}.py ({mode})", flush=True)
        figures, note, took = run_benchmark(name, args.quick)
        results[name] = figures
        seconds[name] = round(took, 1)
        if note:
            notes.append(note)
            if not (name in OPTIONAL and "absent" in note):
                failed.append(name)
        print(f"   ({took:.0f} s)", flush=True)

    print()
    header = f"{'benchmark':34} {'Hemline':>14} {'floor':>14} {'ratio':>7}  {'budget':16} verdict"
    print(header)
    print("-" * len(header))
    over: list[str] = []
    lenient: list[str] = []  # quick: over the budget but within twice it
    summary: dict[str, Any] = {}
    for row in ROWS:
        figures = results.get(row.bench)
        value = _first(figures, row.figure)
        floor = _first(figures, row.floor)
        ratio = figures.get(row.ratio) if figures and row.ratio else None
        judged = ratio if row.ratio else value
        if row.ratio and figures and ratio is None:
            judged = None
        mark = verdict(row, judged, args.quick)
        if mark == "OVER":
            over.append(row.label.strip())
        elif mark == "OK (2x)":
            lenient.append(row.label.strip())
        print(
            f"{row.label:34} {_fmt(value, row.unit):>14} {_fmt(floor, row.unit):>14}"
            f" {_fmt(ratio):>7}  {_budget_text(row):16} {mark}"
        )
    for key in KEYS:
        source = next((f for f in results.values() if f and key in f), None)
        summary[key] = source[key] if source else None
    missing = [k for k in KEYS if summary[k] is None]
    total = time.monotonic() - started
    if args.quick:
        print("(quick: small sizes; a figure fails only past twice its budget: OK (2x))")
    for note in notes:
        print(f"note: {note}")
    print(f"{len(over)} over budget, {len(failed)} failed, in {total:.0f} s")
    summary.update(
        {
            "mode": mode,
            "over_budget": over,
            "over_budget_within_twice": lenient,
            "failed": failed,
            "missing": missing,
            "notes": notes,
            "seconds": seconds | {"total": round(total, 1)},
            "benchmarks": results,
        }
    )
    print(json.dumps(summary))
    return 1 if over or failed else 0


if __name__ == "__main__":
    sys.exit(main())
