"""`python -m policies` through real subprocesses: output, and one-line errors (detail 15).

All invocations start together in one module fixture (each is a separate Python
process), so the suite pays for process start-up roughly once per core.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from policies import evaluate, load_preset

from .builders import item, request
from .test_contract_example import CONTRACT_REQUEST

ROOT = Path(__file__).resolve().parents[3]

BAD_POLICY = """
name: corner-shop
display_name: Corner Shop
assumed_transit_days: 4
refund_sla: {counted_from: approval, refund_business_days: 5}
fees:
  restocking: {percent: 150}
"""

GOOD_POLICY = """
name: corner-shop
display_name: Corner Shop
assumed_transit_days: 4
discretionary:
  rules:
    - window: {days: 10}
      conditions: [unworn_tags_attached]
refund_sla: {counted_from: approval, refund_business_days: 5}
"""


def _with_item(**changes: object) -> dict:
    data = copy.deepcopy(CONTRACT_REQUEST)
    data["items"][0].update(changes)
    return data


def _with_order(**changes: object) -> dict:
    data = copy.deepcopy(CONTRACT_REQUEST)
    data["order"].update(changes)
    return data


def _with_price(price: object) -> dict:
    data = copy.deepcopy(CONTRACT_REQUEST)
    data["order"]["line_items"][0]["price"] = price
    return data


# Detail 15: (id, request document or raw text, field named on stderr)
ERROR_CASES = [
    ("malformed-json", '{"shop": {"country": "US",', "request: malformed JSON"),
    ("unknown-reason", _with_item(reason="bored"), "items[0].reason: unknown reason 'bored'"),
    ("unknown-resolution", _with_item(resolution="cash"), "items[0].resolution: unknown"),
    ("unknown-condition", _with_item(condition="muddy"), "items[0].condition: unknown"),
    ("unknown-defect-code", _with_item(defect="ugly"), "items[0].defect: unknown defect code"),
    ("unknown-line-item", _with_item(line_item_id="99"), "items[0].line_item_id: unknown"),
    ("quantity-above-bought", _with_item(quantity=2), "items[0].quantity: 2 requested"),
    ("quantity-below-one", _with_item(quantity=0), "items[0].quantity: must be 1 or more"),
    ("negative-photos", _with_item(photos=-2), "items[0].photos: must be 0 or more"),
    ("money-as-a-number", _with_price(48.0), "order.line_items[0].price: money must be"),
    ("money-not-decimal", _with_price("forty"), "order.line_items[0].price: money must be"),
    (
        "time-without-offset",
        _with_order(delivered_at="2026-03-05T12:00:00"),
        "order.delivered_at: time '2026-03-05T12:00:00' has no UTC offset",
    ),
]


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def _invocations(folder: Path) -> dict[str, tuple[list[str], str | None]]:
    """Every CLI call of this module: id -> (arguments, stdin text)."""
    example = folder / "example.json"
    example.write_text(json.dumps(CONTRACT_REQUEST), encoding="utf-8")
    good_policy = folder / "good.yaml"
    good_policy.write_text(GOOD_POLICY, encoding="utf-8")
    bad_policy = folder / "bad.yaml"
    bad_policy.write_text(BAD_POLICY, encoding="utf-8")
    calls: dict[str, tuple[list[str], str | None]] = {
        "evaluate-file": (
            ["evaluate", "--preset", "petite-plume", "--request", str(example)],
            None,
        ),
        "evaluate-stdin": (
            ["evaluate", "--preset", "lavish-ivy", "--request", "-"],
            json.dumps(request(item(condition="unopened"))),
        ),
        "evaluate-policy-file": (
            ["evaluate", "--policy", str(good_policy), "--request", str(example)],
            None,
        ),
        "evaluate-policy-stdin": (
            ["evaluate", "--policy", "-", "--request", str(example)],
            GOOD_POLICY,
        ),
        "presets": (["presets"], None),
        "explain-preset": (["explain", "--preset", "lavish-ivy"], None),
        "explain-policy": (["explain", "--policy", str(good_policy)], None),
        "unknown-preset": (
            ["evaluate", "--preset", "bored-shop", "--request", str(example)],
            None,
        ),
        "invalid-policy": (
            ["evaluate", "--policy", str(bad_policy), "--request", str(example)],
            None,
        ),
        "missing-request-file": (
            ["evaluate", "--preset", "petite-plume", "--request", str(folder / "nope.json")],
            None,
        ),
        "no-command": ([], None),
        "missing-request-option": (["evaluate", "--preset", "petite-plume"], None),
    }
    for case_id, document, _ in ERROR_CASES:
        text = document if isinstance(document, str) else json.dumps(document)
        calls[case_id] = (["evaluate", "--preset", "petite-plume", "--request", "-"], text)
    return calls


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    calls = _invocations(tmp_path_factory.mktemp("cli"))
    started = {
        case_id: subprocess.Popen(
            [sys.executable, "-m", "policies", *arguments],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for case_id, (arguments, _) in calls.items()
    }
    results = {}
    for case_id, process in started.items():
        out, err = process.communicate(calls[case_id][1], timeout=60)
        results[case_id] = Run(process.returncode, out, err)
    return results


def test_evaluate_prints_the_contract_decision_when_given_a_request_file(runs):
    run = runs["evaluate-file"]

    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    expected = evaluate(load_preset("petite-plume"), CONTRACT_REQUEST).to_json_dict()
    assert json.loads(run.stdout) == expected
    assert json.loads(run.stdout)["items"][0]["window_ends"] == "2026-04-04"


def test_evaluate_reads_the_request_from_stdin_when_the_file_is_a_dash(runs):
    run = runs["evaluate-stdin"]

    assert run.returncode == 0, run.stderr
    decided = json.loads(run.stdout)["items"][0]
    assert (decided["restocking_fee"], decided["refund_amount"]) == ("4.80", "43.20")


@pytest.mark.parametrize("case_id", ["evaluate-policy-file", "evaluate-policy-stdin"])
def test_evaluate_uses_a_merchant_policy_when_given_policy_yaml(runs, case_id):
    run = runs[case_id]

    assert run.returncode == 0, run.stderr
    decided = json.loads(run.stdout)["items"][0]
    # Ten calendar days after the 2026-03-05 delivery; the request came on 03-20.
    assert (decided["window_ends"], decided["eligible"]) == ("2026-03-15", False)


def test_presets_lists_one_line_per_preset_when_asked(runs):
    run = runs["presets"]

    assert run.returncode == 0
    lines = run.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["cn-consumer", "lavish-ivy", "petite-plume"]
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_explain_prints_the_policy_in_plain_english_when_given_a_preset(runs):
    run = runs["explain-preset"]

    assert run.returncode == 0
    assert "Lavish Ivy" in run.stdout
    assert "within 45 days of delivery" in run.stdout
    assert "at most $15.00" in run.stdout


def test_explain_prints_a_merchant_policy_when_given_policy_yaml(runs):
    run = runs["explain-policy"]

    assert run.returncode == 0
    assert run.stdout.startswith("Corner Shop")
    assert "within 10 days of delivery" in run.stdout


@pytest.mark.parametrize(
    ("case_id", "expected"),
    [pytest.param(case_id, expected, id=case_id) for case_id, _, expected in ERROR_CASES]
    + [
        pytest.param(
            "unknown-preset",
            "--preset: unknown preset 'bored-shop' (expected one of cn-consumer, lavish-ivy,"
            " petite-plume)",
            id="unknown-preset",
        ),
        pytest.param(
            "invalid-policy",
            "fees.restocking.percent: must be between 0 and 100",
            id="invalid-policy",
        ),
        pytest.param("missing-request-file", "--request: cannot read", id="missing-file"),
        pytest.param("no-command", "choose a command", id="no-command"),
        pytest.param("missing-request-option", "--request", id="missing-option"),
    ],
)
def test_error_is_one_line_naming_the_field_when_input_is_bad(runs, case_id, expected):
    run = runs[case_id]

    assert run.returncode != 0
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.endswith("\n")
    assert run.stderr.startswith("error: ")
    assert expected in run.stderr
