"""app.observability: EMF metrics, per-thread correlation ids on logs, tracing that never
gets in the way where X-Ray is not available."""

import io
import json
import logging
import threading
from decimal import Decimal

from app import observability
from app.observability import Metrics, log_context, logger
from tests.support.lambda_context import LambdaContext


def _emf(capsys):
    return [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith('{"_aws"')
    ]


def test_amount_is_emitted_with_its_currency_as_a_dimension(capsys):
    Metrics().amount("RefundAmount", Decimal("96.00"), currency="EUR")
    [record] = _emf(capsys)
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Hemline"
    assert directive["Dimensions"] == [["service", "currency"]]
    assert (record["currency"], record["RefundAmount"]) == ("EUR", [96.0])


def test_seconds_carry_their_unit(capsys):
    Metrics().seconds("SweepLagSeconds", 12.5, kind="delay")
    [record] = _emf(capsys)
    [metric] = record["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    assert metric == {"Name": "SweepLagSeconds", "Unit": "Seconds"}
    assert record["kind"] == "delay"


def test_disabled_metrics_print_nothing(capsys):
    Metrics(enabled=False).count("RefundsIssued", source="return")
    assert _emf(capsys) == []


def test_correlation_ids_stay_on_their_own_thread():
    # GIVEN two workers logging at the same time, each inside its own webhook's context
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger("hemline").addHandler(handler)
    barrier = threading.Barrier(2)

    def work(webhook_id):
        with log_context(webhook_id=webhook_id):
            barrier.wait()
            logger.info("applying")
            barrier.wait()
        logger.info("done")

    try:
        threads = [threading.Thread(target=work, args=(w,)) for w in ("w-1", "w-2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        logging.getLogger("hemline").removeHandler(handler)
    lines = [json.loads(ln) for ln in stream.getvalue().splitlines()]
    # THEN each line names its own webhook, and none after the block names any
    assert sorted(ln.get("webhook_id") for ln in lines if ln["message"] == "applying") == [
        "w-1",
        "w-2",
    ]
    assert [ln.get("webhook_id") for ln in lines if ln["message"] == "done"] == [None, None]


def test_handlers_are_traced_without_xray_running():
    # Outside Lambda (and in tests) Powertools turns its tracer off; the handler just runs.
    traced = observability.trace_lambda_handler(lambda event, context: {"ok": event["n"]})
    assert traced({"n": 1}, LambdaContext()) == {"ok": 1}


def test_without_the_xray_sdk_handlers_run_untraced(monkeypatch):
    monkeypatch.setattr(observability, "find_spec", lambda name: None)

    def handler(event, context):
        return "ran"

    assert observability._lambda_tracing()(handler) is handler
