"""Benchmark of the webhook ack: Hemline's POST /webhooks against a bare floor, in one run.

`python bench/bench_webhooks.py [--quick]` starts DynamoDB Local (in memory, as the tests
do), creates the table from infra/template.yaml and serves two apps, each in its own
process on a threaded werkzeug server: Hemline (`create_app` over `build_container`, local
mode, metrics on as in prod) and the floor, a bare Flask route that only checks the HMAC
(hmac.compare_digest over the raw body) and makes one conditional PutItem with the same
boto3 client settings. Hemline's queue is a stub that only records the reference: in AWS
the ack ends with one SQS send, locally the in-process queue would process the order on
threads of the serving process, which is not part of the ack. Shopify's orders/create
sample is sent with Shopify's headers (a fresh delivery id and event id each time) from 1
and 8 sender threads (`requests` sessions), in batches whose order rotates so that Hemline
and the floor share the machine's noise; then 8 senders for 20 s each (--quick: 3 s). A
third lane sends Hemline the same deliveries without an event id (one conditional put
instead of the two-item transaction that dedupes by event id). It prints p50/p99 per
concurrency (client round trip, and server time: request in to status line out),
throughput and their ratios, the serving processes' peak RSS (VmHWM), then one JSON object
as its last line. The budgeted `webhook_ack_p50_ratio`/`_p99_ratio` are the worse of the
two concurrencies.

`--profile` instead runs the ack in-process under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import cProfile
import hashlib
import hmac
import io
import json
import logging
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from infra.local import dynamodb_local
from infra.local.dynamodb_local import free_port
from tests.support.shopify import payload_bytes, signed_headers

TABLE = "hemline-bench"
SECRET = "bench-shopify-secret-0123456789abcdef"
SHOP = "bench-webhooks.myshopify.com"
TOPIC = "orders/create"
BUDGET_ACK_RATIO = 1.5  # Hemline / floor, p50 and p99
BUDGET_THROUGHPUT_RATIO = 0.67  # Hemline / floor, at least
BUDGET_RSS_MB = 256

# (requests per sender per batch, batches per target) for 1 and 8 senders; seconds per target.
FULL = {"latency": {1: (100, 10), 8: (40, 10)}, "throughput_s": 20.0, "warmup": 200}
QUICK = {"latency": {1: (50, 4), 8: (15, 4)}, "throughput_s": 3.0, "warmup": 60}
SEGMENTS = 4  # throughput alternates targets in this many slices each
SERVER_TIME = "X-Bench-Server-Us"


# -- the two apps (built in the serving process) ----------------------------------------------


def _scratch() -> str:
    """A folder for the app's local files and outbox, removed when the process ends."""
    path = tempfile.mkdtemp(prefix="hemline-bench-")
    atexit.register(shutil.rmtree, path, True)
    return path


class RecordingQueue:
    """A WebhookQueue that only records the reference (the ack's SQS send is not measured)."""

    def __init__(self) -> None:
        self.queued = 0
        self._lock = threading.Lock()

    def enqueue(self, shop: str, webhook_id: str) -> None:
        with self._lock:
            self.queued += 1


def _settings(endpoint: str) -> Any:
    from app.config import Settings

    return Settings.from_env(
        {
            "HEMLINE_ENV": "local",
            "SHOPIFY_API_SECRET": SECRET,
            "DYNAMODB_ENDPOINT_URL": endpoint,
            "HEMLINE_TABLE": TABLE,
            "HEMLINE_LOCAL_DATA": _scratch(),
            "AWS_REGION": "us-east-1",
        }
    )


def hemline_app(endpoint: str) -> Any:
    """The app as Zappa serves it, but with the recording queue and metrics on (as in prod)."""
    from app.container import build_container
    from app.observability import Metrics
    from app.web import create_app

    settings = _settings(endpoint)
    container = build_container(settings, queue=RecordingQueue(), metrics=Metrics(enabled=True))
    return create_app(container=container)


def floor_app(endpoint: str) -> Any:
    """The least a correct ack does: HMAC over the raw body, one conditional put, 200."""
    from botocore.exceptions import ClientError
    from flask import Flask, jsonify, request

    from app.container import dynamodb_client

    client = dynamodb_client(_settings(endpoint))  # the composition root's client settings
    key = SECRET.encode()
    app = Flask("floor")

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    @app.post("/webhooks")
    def receive() -> Any:
        body = request.get_data(cache=False)
        expected = hmac.new(key, body, hashlib.sha256).digest()
        try:
            given = base64.b64decode(request.headers.get("X-Shopify-Hmac-Sha256", ""))
        except ValueError:
            given = b""
        if not hmac.compare_digest(expected, given):
            return jsonify({"outcome": "unauthorized"}), 401
        shop = request.headers.get("X-Shopify-Shop-Domain", "")
        webhook_id = request.headers.get("X-Shopify-Webhook-Id", "")
        try:
            client.put_item(
                TableName=TABLE,
                Item={
                    "PK": {"S": f"SHOP#{shop}"},
                    "SK": {"S": f"WEBHOOK#{webhook_id}"},
                    "body": {"B": body},
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError:
            return jsonify({"outcome": "duplicate"}), 200
        return jsonify({"outcome": "accepted"}), 200

    return app


def _timed(wsgi: Callable[..., Any]) -> Callable[..., Any]:
    """Adds the server's own time (request in to status line out) as a response header."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()

        def timed_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((SERVER_TIME, str(int((time.perf_counter() - started) * 1e6))))
            return start_response(status, headers, exc_info)

        return wsgi(environ, timed_start)

    return app


def serve(which: str, endpoint: str, port: int) -> None:
    """The serving process: one app on a threaded werkzeug server until SIGTERM."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = hemline_app(endpoint) if which == "hemline" else floor_app(endpoint)
    server = make_server(
        "127.0.0.1", port, _timed(app), threaded=True, request_handler=QuietHandler
    )
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever(poll_interval=0.2)


# -- the driver ---------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    url: str
    process: subprocess.Popen[bytes]

    def peak_rss_mb(self) -> float:
        """The serving process's high-water resident set (VmHWM), in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_target(which: str, endpoint: str) -> Target:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", which, endpoint, str(port)],
        stdout=subprocess.DEVNULL,  # Hemline's JSON logs and EMF metrics: written, not kept
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the {which} server exited with code {process.returncode}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return Target(which, url, process)
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise TimeoutError(f"the {which} server did not answer within 60 s")
        time.sleep(0.1)


BODY = json.dumps(json.loads(payload_bytes(TOPIC)), separators=(",", ":")).encode()


@dataclass(frozen=True)
class Lane:
    """What is measured: a target sent deliveries with or without Shopify's event id."""

    name: str
    target: Target
    event_id: bool = True


def _post(session: requests.Session, lane: Lane) -> tuple[float, float]:
    """One delivery as Shopify sends it; (client round trip, server time) in seconds."""
    headers = signed_headers(TOPIC, BODY, shop=SHOP, secret=SECRET)
    if not lane.event_id:
        del headers["X-Shopify-Event-Id"]
    started = time.perf_counter()
    res = session.post(f"{lane.target.url}/webhooks", data=BODY, headers=headers, timeout=30)
    elapsed = time.perf_counter() - started
    if res.status_code != 200 or res.json().get("outcome") != "accepted":
        raise RuntimeError(f"{lane.name} answered {res.status_code}: {res.text[:200]}")
    return elapsed, int(res.headers[SERVER_TIME]) / 1e6


def _batch(
    lane: Lane, sessions: list[requests.Session], *, count: int = 0, seconds: float = 0.0
) -> tuple[list[float], list[float], float]:
    """One thread per session sends `count` deliveries each (or keeps sending for `seconds`)."""
    client: list[float] = []
    server: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(sessions) + 1)
    deadline = [0.0]

    def sender(session: requests.Session) -> None:
        mine_c, mine_s = [], []
        barrier.wait()
        n = 0
        while (n < count) if count else (time.perf_counter() < deadline[0]):
            c, s = _post(session, lane)
            mine_c.append(c)
            mine_s.append(s)
            n += 1
        with lock:
            client.extend(mine_c)
            server.extend(mine_s)

    threads = [threading.Thread(target=sender, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for t in threads:
        t.join()
    return client, server, time.perf_counter() - started


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _ms(value: float) -> float:
    return round(value * 1000, 3)


def run(quick: bool = False) -> dict[str, Any]:
    size = QUICK if quick else FULL
    with dynamodb_local.running(in_memory=True) as ddb:
        import boto3

        from infra.local.tables import ensure_table

        admin = boto3.client(
            "dynamodb",
            endpoint_url=ddb.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        ensure_table(admin, TABLE)
        hemline = start_target("hemline", ddb.endpoint)
        floor = start_target("floor", ddb.endpoint)
        try:
            lanes = [
                Lane("hemline", hemline),
                Lane("hemline_no_event", hemline, event_id=False),
                Lane("floor", floor),
            ]
            figures = _measure(lanes, size)
            figures["hemline_peak_rss_mb"] = hemline.peak_rss_mb()
            figures["floor_peak_rss_mb"] = floor.peak_rss_mb()
            figures["peak_rss_mb"] = figures["hemline_peak_rss_mb"]
            return figures | {"backend": ddb.kind, "body_bytes": len(BODY), "quick": quick}
        finally:
            hemline.stop()
            floor.stop()


def _measure(lanes: list[Lane], size: dict[str, Any]) -> dict[str, Any]:
    pools = {lane.target.name: [requests.Session() for _ in range(8)] for lane in lanes}
    for lane in lanes:  # warm: lazy imports, connection pools, DynamoDB Local's JIT
        _batch(lane, pools[lane.target.name], count=size["warmup"] // 8)
    figures: dict[str, Any] = {}
    for senders, (count, batches) in size["latency"].items():
        client: dict[str, list[float]] = {lane.name: [] for lane in lanes}
        server: dict[str, list[float]] = {lane.name: [] for lane in lanes}
        for index in range(batches):
            # Rotate the order of the lanes so that none always runs first or last.
            for lane in lanes[index % len(lanes) :] + lanes[: index % len(lanes)]:
                c, s, _ = _batch(lane, pools[lane.target.name][:senders], count=count)
                client[lane.name] += c
                server[lane.name] += s
        for name in client:
            figures[f"{name}_samples_{senders}"] = len(client[name])
            for q in (50, 99):
                figures[f"{name}_ack_p{q}_ms_{senders}"] = _ms(_pct(client[name], q))
                figures[f"{name}_server_p{q}_ms_{senders}"] = _ms(_pct(server[name], q))
        for name in ("hemline", "hemline_no_event"):
            prefix = "webhook" if name == "hemline" else name
            for q in (50, 99):
                for kind in ("ack", "server"):
                    figures[f"{prefix}_{kind}_p{q}_ratio_{senders}"] = round(
                        figures[f"{name}_{kind}_p{q}_ms_{senders}"]
                        / figures[f"floor_{kind}_p{q}_ms_{senders}"],
                        3,
                    )
    # The budgeted ratios are the worse of the two concurrencies.
    for q in (50, 99):
        figures[f"webhook_ack_p{q}_ratio"] = max(
            figures[f"webhook_ack_p{q}_ratio_{n}"] for n in size["latency"]
        )
    sent = {lane.name: 0 for lane in lanes}
    took = {lane.name: 0.0 for lane in lanes}
    for index in range(SEGMENTS):
        for lane in lanes[index % len(lanes) :] + lanes[: index % len(lanes)]:
            c, _, elapsed = _batch(
                lane, pools[lane.target.name], seconds=size["throughput_s"] / SEGMENTS
            )
            sent[lane.name] += len(c)
            took[lane.name] += elapsed
    for name in sent:
        figures[f"{name}_throughput_rps"] = round(sent[name] / took[name], 1)
    figures["webhook_throughput_ratio"] = round(
        figures["hemline_throughput_rps"] / figures["floor_throughput_rps"], 3
    )
    figures["hemline_no_event_throughput_ratio"] = round(
        figures["hemline_no_event_throughput_rps"] / figures["floor_throughput_rps"], 3
    )
    figures["throughput_s"] = size["throughput_s"]
    for pool in pools.values():
        for session in pool:
            session.close()
    return figures


# -- profiling ---------------------------------------------------------------------------------


def profile(count: int = 2000) -> str:
    """The ack in-process (Flask test client) under cProfile: the top functions by own time."""
    with dynamodb_local.running(in_memory=True) as ddb:
        import boto3

        from infra.local.tables import ensure_table

        admin = boto3.client(
            "dynamodb",
            endpoint_url=ddb.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        ensure_table(admin, TABLE)
        client = hemline_app(ddb.endpoint).test_client()
        for _ in range(100):
            client.post(
                "/webhooks",
                data=BODY,
                headers=signed_headers(TOPIC, BODY, shop=SHOP, secret=SECRET),
            )
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            client.post(
                "/webhooks",
                data=BODY,
                headers=signed_headers(TOPIC, BODY, shop=SHOP, secret=SECRET),
            )
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(60)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples, 3 s throughput")
    parser.add_argument("--profile", action="store_true", help="cProfile the ack in-process")
    parser.add_argument(
        "--serve", nargs=3, metavar=("APP", "ENDPOINT", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.serve:
        which, endpoint, port = args.serve
        serve(which, endpoint, int(port))
        return 0
    if args.profile:
        print(profile(), file=sys.stderr)  # stdout carries the app's logs
        return 0
    f = run(quick=args.quick)
    print(
        f"webhook ack, orders/create ({f['body_bytes']:,} bytes) against {f['backend']};"
        " Hemline's queue only records the reference (no SQS send, no processing)"
    )
    for senders in (1, 8):
        for q in (50, 99):
            ratio = f[f"webhook_ack_p{q}_ratio_{senders}"]
            print(
                f"  {senders} sender(s) p{q}: Hemline {f[f'hemline_ack_p{q}_ms_{senders}']:.2f} ms,"
                f" floor {f[f'floor_ack_p{q}_ms_{senders}']:.2f} ms, ratio {ratio:.2f}"
                f" ({'within' if ratio <= BUDGET_ACK_RATIO else 'OVER'} the {BUDGET_ACK_RATIO}"
                f" budget); server time {f[f'hemline_server_p{q}_ms_{senders}']:.2f} /"
                f" {f[f'floor_server_p{q}_ms_{senders}']:.2f} ms"
                f" (ratio {f[f'webhook_server_p{q}_ratio_{senders}']:.2f});"
                f" without an event id {f[f'hemline_no_event_ack_p{q}_ms_{senders}']:.2f} ms"
                f" (ratio {f[f'hemline_no_event_ack_p{q}_ratio_{senders}']:.2f})"
            )
    ratio = f["webhook_throughput_ratio"]
    print(
        f"  throughput, 8 senders, {f['throughput_s']:.0f} s each: Hemline"
        f" {f['hemline_throughput_rps']:.0f}/s, floor {f['floor_throughput_rps']:.0f}/s,"
        f" ratio {ratio:.2f} ({'within' if ratio >= BUDGET_THROUGHPUT_RATIO else 'OVER'}"
        f" the {BUDGET_THROUGHPUT_RATIO} budget); without an event id"
        f" {f['hemline_no_event_throughput_rps']:.0f}/s"
        f" (ratio {f['hemline_no_event_throughput_ratio']:.2f})"
    )
    print(
        f"  peak RSS: Hemline {f['hemline_peak_rss_mb']:.0f} MB, floor {f['floor_peak_rss_mb']:.0f} MB"
        f" ({'within' if f['peak_rss_mb'] <= BUDGET_RSS_MB else 'OVER'} the {BUDGET_RSS_MB} MB budget)"
    )
    print(json.dumps(f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
