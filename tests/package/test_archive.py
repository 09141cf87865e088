"""The Lambda archive (`make package`) serves from itself: unpacked, alone on a fresh path.

The archive is unpacked into an empty folder and a fresh interpreter (`python -s -S`, so no
site-packages, PYTHONPATH the only path) runs Zappa's entry point `handler.lambda_handler`,
as Lambda would, against DynamoDB Local and an SQS queue on moto's server (a separate
process; moto never enters the archive's interpreter). Lambda's runtime brings boto3, and
the archive leaves it out, so a second folder stands in for the runtime: a copy of the
packages Lambda's Python 3.11 runtime provides (boto3, botocore, s3transfer, jmespath,
dateutil, six, urllib3), taken from the dev virtualenv and put after the archive on the path
(where Lambda puts its runtime). The interpreter then reports every module file it loaded,
so nothing can come from anywhere else unnoticed.

One interpreter serves every event in turn, as a warm Lambda container does: (a) Shopify's
signed orders/create through API Gateway, (b) the SQS message that (a) queued, (c) both
scheduled sweeps, (d) a portal page.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from app.adapters.dynamo.store import DynamoStore
from app.domain.shops import Shop
from app.services import sla
from infra.local.tables import ensure_table
from tests.support.shopify import payload_bytes, signed_headers
from tests.support.webhooks import recorded

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = ROOT / "dist" / "hemline-prod.zip"
SETTINGS = json.loads((ROOT / "zappa_settings.json").read_text())["prod"]
LAMBDA_NAME = f"{SETTINGS['project_name']}-prod"
SECRET = "archive-test-shopify-secret-0123456789abcdef"
ORDER_ID = 820982911946154508  # Shopify's orders/create sample
ACCOUNT = "123456789012"

# What Lambda's python3.11 runtime has on its path besides the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
# Never in the archive: test and dev tools, and boto3, which the runtime brings.
FORBIDDEN = (
    "moto",
    "pytest",
    "_pytest",
    "hypothesis",
    "playwright",
    "ruff",
    "cfnlint",
    "cfn_lint",
    "boto3",
    "botocore",
    "s3transfer",
    "tests",
    "bench",
    "infra",
)

# Runs in the archive's interpreter: Lambda's init (import handler), then one JSON request per
# stdin line, one JSON answer per line on the original stdout (logs go to stderr).
DRIVER = r"""
import json, os, sys, traceback
answers = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
import handler  # INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT: the app is built here, as in Lambda's init


class LambdaContext:
    function_name = "hemline-prod"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:hemline-prod"
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    log_group_name = "/aws/lambda/hemline-prod"
    log_stream_name = "2026/11/23/[$LATEST]0"

    def get_remaining_time_in_millis(self):
        return 30_000


def label_pdf():
    from decimal import Decimal
    from app.adapters.labels.builtin import BuiltinLabelProvider
    from app.adapters.labels.types import Address, LabelRequest, Parcel

    home = Address("王芳", "12 Ockham Lane", None, "Portland", "OR", "97201", "US")
    shop = Address("Petite Plume Returns", "215 Clayton St.", None, "San Francisco", "CA", "94117", "US")
    parcel = Parcel(Decimal("14.5"), Decimal("10"), Decimal("8"), Decimal("3"))
    request = LabelRequest("hm-archive-label", "K7M2QX9P", home, shop, parcel, "archive.myshopify.com")
    return BuiltinLabelProvider().buy_return_label(request).pdf[:8].decode("latin-1")


def answer(**fields):
    answers.write(json.dumps(fields, default=str) + "\n")
    answers.flush()


answer(ready=True)
for line in sys.stdin:
    request = json.loads(line)
    try:
        if "event" in request:
            answer(result=handler.lambda_handler(request["event"], LambdaContext()))
        elif request.get("label"):
            answer(result=label_pdf())
        else:
            modules = list(sys.modules.values())
            answer(result=sorted({m.__file__ for m in modules if getattr(m, "__file__", None)}))
    except Exception:
        answer(error=traceback.format_exc())
"""


# -- the archive and what it runs next to ---------------------------------------------------------


@pytest.fixture(scope="module")
def archive() -> Path:
    """dist/hemline-prod.zip, built or brought up to date by make (a no-op when it is)."""
    subprocess.run(["make", "--no-print-directory", "package"], cwd=ROOT, check=True, timeout=1800)
    assert ARCHIVE.is_file()
    return ARCHIVE


@pytest.fixture(scope="module")
def unpacked(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("var-task")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    return folder


@pytest.fixture(scope="module")
def lambda_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with only the packages Lambda's runtime provides, copied from this virtualenv."""
    import importlib.util

    folder = tmp_path_factory.mktemp("lambda-runtime")
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, name
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(
                origin.parent, folder / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(origin, folder / origin.name)
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def sqs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's server, in its own process, as the SQS the webhook ack sends to."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("moto's server did not start")
            time.sleep(0.2)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def table(dynamodb_local: Any) -> tuple[Any, str]:
    """A table of this module's own, so the sweeps see only what these tests put there."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_local.endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    name = f"hemline-archive-{uuid.uuid4().hex[:8]}"
    ensure_table(client, name)
    return client, name


@pytest.fixture(scope="module")
def queue(sqs_endpoint: str) -> tuple[Any, str]:
    sqs = boto3.client(
        "sqs",
        endpoint_url=sqs_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return sqs, sqs.create_queue(QueueName="hemline-prod-webhooks")["QueueUrl"]


class Container:
    """The archive's interpreter: a warm Lambda container to send events to."""

    def __init__(self, process: subprocess.Popen[str]):
        self.process = process

    def ask(self, **request: Any) -> Any:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline() or '{"error": "the interpreter died"}')
        assert "error" not in reply, reply["error"]
        return reply["result"]

    def invoke(self, event: dict[str, Any]) -> Any:
        return self.ask(event=event)


@pytest.fixture(scope="module")
def lambda_container(
    unpacked: Path,
    lambda_runtime: Path,
    table: tuple[Any, str],
    queue: tuple[Any, str],
    sqs_endpoint: str,
    dynamodb_local: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Container]:
    data = tmp_path_factory.mktemp("hemline-data")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(unpacked), str(lambda_runtime)]),
        "LANG": "C.UTF-8",
        # What Lambda and zappa_settings.json set, in local mode (no SSM, no KMS).
        "INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT": "true",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "HEMLINE_ENV": "local",
        "HEMLINE_LOCAL_DATA": str(data),
        "HEMLINE_APP_URL": "https://returns.hemline.test",
        "SHOPIFY_API_SECRET": SECRET,
        "HEMLINE_TABLE": table[1],
        "DYNAMODB_ENDPOINT_URL": dynamodb_local.endpoint,
        "HEMLINE_QUEUE_URL": queue[1],
        "SQS_ENDPOINT_URL": sqs_endpoint,
    }
    process = subprocess.Popen(
        [sys.executable, "-s", "-S", "-c", DRIVER],
        cwd=unpacked,  # Lambda's working directory is the archive's root (/var/task)
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
    )
    container = Container(process)
    assert json.loads(process.stdout.readline() or "{}") == {"ready": True}  # type: ignore[union-attr]
    yield container
    process.stdin.close()  # type: ignore[union-attr]
    process.wait(timeout=30)
    process.stdout.close()  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def store(table: tuple[Any, str]) -> DynamoStore:
    return DynamoStore(table[0], table[1])


@pytest.fixture(scope="module")
def shop(store: DynamoStore) -> str:
    domain = f"archive{uuid.uuid4().hex[:8]}.myshopify.com"
    store.put_shop(
        Shop(domain=domain, status="installed", installed_at=datetime.now(UTC), name="Petite Plume")
    )
    return domain


# -- events as AWS sends them ----------------------------------------------------------------------


def api_gateway_event(method: str, path: str, headers: dict[str, str], body: str | None) -> dict:
    """An API Gateway REST proxy event (what `zappa deploy` puts in front of the function)."""
    headers = {"Host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", **headers}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "accountId": ACCOUNT,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "Shopify-Captain-Hook"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def sqs_event(messages: list[dict[str, Any]]) -> dict:
    """The SQS batch Lambda's event source mapping delivers, from received messages."""
    arn = next(e["event_source"]["arn"] for e in SETTINGS["events"] if "event_source" in e)
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(time.time() * 1000)),
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                },
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def scheduled_event(function: str) -> dict:
    """The EventBridge event of the rule `zappa schedule` creates for `function`."""
    from zappa.core import Zappa

    event = next(e for e in SETTINGS["events"] if e.get("function") == function)
    rule = Zappa(load_credentials=False).get_scheduled_event_name(event, function, LAMBDA_NAME)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }


# -- what the archive holds --------------------------------------------------------------------------


def test_archive_holds_the_app_and_zappas_handler_but_no_tools_and_no_boto3(archive):
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert {"handler.py", "zappa_settings.py", "app", "handlers", "policies", "zappa"} <= tops
    leaked = {t for t in tops if t.split("-", 1)[0].lower() in FORBIDDEN}
    assert leaked == set()
    assert not [n for n in names if n.startswith(("tests/", "bench/", "infra/local/"))]


def test_modules_are_precompiled_with_unchecked_hashes(unpacked):
    # Lambda's /var/task is read-only: without these, every cold start compiles every module.
    for module in ("handler.py", "app/wsgi.py", "app/web/portal.py", "handlers/queue.py"):
        source = unpacked / module
        pyc = source.parent / "__pycache__" / f"{source.stem}.cpython-311.pyc"
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{pyc} is not an unchecked hash-based pyc"


def test_packaged_settings_route_events_to_the_handlers(unpacked):
    packaged = (unpacked / "zappa_settings.py").read_text()
    assert "APP_MODULE='app.wsgi'" in packaged
    assert "'handlers.queue.handler'" in packaged
    # The stage's environment lives on the function (aws_environment_variables), not in here.
    assert "HEMLINE_ENV" not in packaged


# -- what it does ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def delivery(lambda_container, store, shop, queue) -> dict[str, Any]:
    """Shopify's orders/create sample, signed, through API Gateway: the answer, what SQS then
    holds and whether the order was already stored (it must wait for the SQS worker)."""
    body = payload_bytes("orders/create")
    headers = signed_headers(
        "orders/create", body, shop=shop, secret=SECRET, webhook_id="a-1", event_id="ev-a-1"
    )
    response = lambda_container.invoke(
        api_gateway_event("POST", "/webhooks", headers, body.decode("utf-8"))
    )
    sqs, url = queue
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    return {
        "response": response,
        "messages": received.get("Messages", []),
        "order_stored_by_ack": store.get_order(shop, ORDER_ID) is not None,
    }


def test_signed_webhook_is_acknowledged_recorded_and_queued(delivery, store, shop):
    response, messages = delivery["response"], delivery["messages"]
    # THEN it is acknowledged, recorded, and only a reference is queued on SQS
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == {"outcome": "accepted"}
    assert recorded(store, shop, "a-1") is not None
    # (the reference is the delivery's dedupe key: Shopify's event id, with its topic)
    assert [json.loads(m["Body"]) for m in messages] == [
        {"shop": shop, "key": "EVENT#orders/create#ev-a-1"}
    ]
    assert not delivery["order_stored_by_ack"]  # the ack only records and queues


def test_queued_delivery_is_processed_from_the_sqs_event(lambda_container, delivery, store, shop):
    # WHEN the SQS event source delivers the queued message
    result = lambda_container.invoke(sqs_event(delivery["messages"]))
    # THEN no record fails, the delivery is processed and the order is stored
    assert result == {"batchItemFailures": []}
    assert recorded(store, shop, "a-1").status == "processed"
    view = store.get_order(shop, ORDER_ID)
    assert view is not None


def test_scheduled_sweeps_run_and_return_their_summaries(lambda_container, store, shop):
    # GIVEN the shop's daily digest fell due yesterday
    now = datetime.now(UTC)
    store.put_due(shop, sla.DIGEST, shop, now - timedelta(days=1), {}, replace_existing=True)
    # WHEN the 15-minute rule fires
    summary = lambda_container.invoke(scheduled_event("handlers.sweeps.proactive"))
    # THEN the sweep reports each kind of its work and moved the digest to a later morning
    assert set(summary) == {"order_hooks", "backorders", "delays", "rma_emails", "digests"}
    assert summary["digests"] == {"kind": "digest", "due": 1, "done": 0, "kept": 1, "failed": 0}
    assert store.get_due(shop, sla.DIGEST, shop).due_at > now
    # AND the daily rule reaches the reconciliation, which reports per installed shop
    outcomes = lambda_container.invoke(scheduled_event("handlers.sweeps.reconcile"))
    assert shop in outcomes


def test_portal_page_is_served_as_html(lambda_container, shop):
    response = lambda_container.invoke(
        api_gateway_event("GET", f"/portal/{shop}", {"Accept": "text/html"}, None)
    )
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert "<form" in response["body"] and not response.get("isBase64Encoded")


def test_builtin_label_renders_from_the_archive(lambda_container):
    # reportlab ships without its font files (zappa_settings.json exclude_glob); labels need none.
    assert lambda_container.ask(label=True) == "%PDF-1.4"


def test_nothing_is_loaded_from_outside_the_archive_and_the_runtime(
    lambda_container, unpacked, lambda_runtime
):
    files = [Path(f) for f in lambda_container.ask(modules=True)]
    stdlib = Path(sys.base_prefix)
    foreign = [
        f
        for f in files
        if not f.is_relative_to(unpacked)
        and not f.is_relative_to(lambda_runtime)
        and not (f.is_relative_to(stdlib) and "site-packages" not in f.parts)
    ]
    assert foreign == []
    # The archive brings its own versions of everything but boto3, botocore and s3transfer.
    from_runtime = {
        f.relative_to(lambda_runtime).parts[0] for f in files if f.is_relative_to(lambda_runtime)
    }
    assert from_runtime <= {"boto3", "botocore", "s3transfer"}
    assert {"boto3", "botocore"} <= from_runtime
