"""`make run`'s launcher, as a person uses it: start, send a webhook, Ctrl-C, start again."""

import os
import signal
import subprocess
import sys
import time

import boto3
import requests

from infra.local.dynamodb_local import free_port
from tests.support.shopify import payload_bytes, signed_headers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "run-test-secret-0123456789abcdef"
SHOP = "hemline-demo.myshopify.com"


def _start(env):
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local.run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Press Ctrl-C" in line:
            return proc, "".join(lines)
    proc.kill()
    raise AssertionError("launcher did not come up:\n" + "".join(lines))


def _stop(proc):
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return proc.returncode, out


def _order_item(ddb_port, order_id=820982911946154508):
    client = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{ddb_port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return client.get_item(
        TableName="hemline",
        Key={"PK": {"S": f"SHOP#{SHOP}"}, "SK": {"S": f"ORDER#{order_id:020d}"}},
        ConsistentRead=True,
    ).get("Item")


def test_run_serves_accepts_webhook_and_keeps_data_across_restart(tmp_path):
    port, ddb_port, devstore_port = free_port(), free_port(), free_port()
    env = dict(
        os.environ,
        PORT=str(port),
        DYNAMODB_LOCAL_PORT=str(ddb_port),
        DEVSTORE_PORT=str(devstore_port),
        HEMLINE_LOCAL_DATA=str(tmp_path),
        SHOPIFY_API_SECRET=SECRET,
        HEMLINE_ENV="local",
        HEMLINE_SWEEP_INTERVAL_S="1",
    )
    proc, banner = _start(env)
    try:
        assert f"http://127.0.0.1:{port}/admin?shop={SHOP}" in banner
        assert f"http://127.0.0.1:{devstore_port}/" in banner
        assert (
            "dynamodb-local" in banner
            and "installed through OAuth; 36 orders new or changed since the last run" in banner
        )
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
        assert health["store"]["ok"] is True
        body = payload_bytes("orders/create")
        res = requests.post(
            f"http://127.0.0.1:{port}/webhooks",
            data=body,
            headers=signed_headers("orders/create", body, shop=SHOP, secret=SECRET),
            timeout=5,
        )
        assert res.status_code == 200 and res.json()["outcome"] == "accepted"
        deadline = time.monotonic() + 20
        while _order_item(ddb_port) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _order_item(ddb_port) is not None
        # The simulator's "new order" reaches the app as a signed webhook and is stored.
        sim = f"http://127.0.0.1:{devstore_port}/_sim/shops/{SHOP}"
        sku = requests.get(f"{sim}/products", timeout=5).json()[0]["variants"][0]["sku"]
        new = requests.post(
            f"{sim}/orders", json={"lines": [{"sku": sku, "quantity": 1}]}, timeout=5
        ).json()
        deadline = time.monotonic() + 20
        while _order_item(ddb_port, new["id"]) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _order_item(ddb_port, new["id"])["name"]["S"] == new["name"]
        # Both proactive automations show on the demo data: the seeded sold-out orders got
        # a backorder notice, and the sweep compensated Lavish Ivy's late orders.
        deadline = time.monotonic() + 60
        outbox = ""
        while time.monotonic() < deadline:
            outbox = requests.get(f"http://127.0.0.1:{port}/dev/outbox", timeout=5).text
            if "is delayed" in outbox and "is running late" in outbox:
                break
            time.sleep(1)
        assert "is delayed" in outbox, "no backorder notice in the outbox"
        assert "is running late" in outbox, "no delay apology in the outbox"
    finally:
        code, out = _stop(proc)
    assert code == 0, out
    assert "stopped." in out

    proc, banner = _start(env)
    try:
        assert "table hemline (kept" in banner
        item = _order_item(ddb_port)
        assert item is not None and item["name"]["S"] == "#9999"
    finally:
        code, _ = _stop(proc)
    assert code == 0
    # Ctrl-C stopped DynamoDB Local too: nothing answers on its port any more.
    try:
        requests.get(f"http://127.0.0.1:{ddb_port}", timeout=1)
        still_up = True
    except requests.ConnectionError:
        still_up = False
    assert not still_up
