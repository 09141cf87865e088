"""The mailers: SES v2 on moto, the local outbox on a temporary folder."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from app.adapters.mail import LocalOutbox, Message, SesMailer
from app.clock import FixedClock
from app.errors import InvalidInput, NotFound, UpstreamError

SENDER = "returns@mail.hemline.test"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _message(**overrides):
    fields = {
        "to": "ada@example.test",
        "subject": "Your return K7M2QX9P is approved",
        "html": "<p>Approved</p>",
        "text": "Approved",
        "reply_to": "care@petiteplume.test",
        "headers": {"X-Entity-Ref-ID": "petite-plume.myshopify.com:rma1:mail:approved"},
    }
    fields.update(overrides)
    return Message(**fields)


@pytest.fixture
def sesv2():
    with mock_aws():
        yield boto3.client("sesv2", region_name="us-east-1")


def test_ses_sends_both_parts_when_the_sender_is_verified(sesv2):
    sesv2.create_email_identity(EmailIdentity=SENDER)
    sent_params = []
    sesv2.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: sent_params.append(params)
    )

    message_id = SesMailer(sesv2, SENDER).send(_message())

    assert message_id
    simple = sent_params[0]["Content"]["Simple"]
    assert simple["Body"]["Text"]["Data"] == "Approved"
    assert simple["Body"]["Html"]["Data"] == "<p>Approved</p>"
    assert sent_params[0]["ReplyToAddresses"] == ["care@petiteplume.test"]
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    assert [(m.subject, m.destinations) for m in backend.sent_messages] == [
        ("Your return K7M2QX9P is approved", {"ToAddresses": ["ada@example.test"]})
    ]
    stats = boto3.client("ses", region_name="us-east-1").get_send_statistics()
    assert sum(p["DeliveryAttempts"] for p in stats["SendDataPoints"]) == 1


def test_ses_refusal_is_permanent_when_the_sender_is_not_verified(sesv2):
    with pytest.raises(UpstreamError) as err:
        SesMailer(sesv2, "nobody@unverified.test").send(_message())
    assert not err.value.retryable
    assert "MessageRejected" in str(err.value)


def test_ses_throttling_is_retryable_when_sending_too_fast():
    client = boto3.client(
        "sesv2",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stub:
        stub.add_client_error("send_email", "TooManyRequestsException", http_status_code=429)
        with pytest.raises(UpstreamError) as err:
            SesMailer(client, SENDER).send(_message())
    assert err.value.retryable


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", "not-an-address"),
        ("to", "a@b.test>, evil@x.test"),
        ("subject", "Line\nBcc: x@y.test"),
    ],
)
def test_message_refuses_when_fields_could_inject_headers(field, value):
    with pytest.raises(InvalidInput) as err:
        _message(**{field: value})
    assert err.value.field == field


def test_outbox_writes_json_html_and_text_when_sending(tmp_path):
    outbox = LocalOutbox(tmp_path / "outbox", clock=FixedClock(T0))
    message_id = outbox.send(_message())

    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == [f"{message_id}.html", f"{message_id}.json", f"{message_id}.txt"]
    meta = json.loads((tmp_path / "outbox" / f"{message_id}.json").read_text())
    assert meta["to"] == "ada@example.test" and meta["sent_at"] == T0.isoformat()
    assert outbox.part(message_id, "html") == "<p>Approved</p>"
    assert outbox.part(message_id, "text") == "Approved"
    assert outbox.get(message_id).reply_to == "care@petiteplume.test"


def test_outbox_lists_newest_first_when_several_were_sent(tmp_path):
    clock = FixedClock(T0)
    outbox = LocalOutbox(tmp_path, clock=clock)
    for i, subject in enumerate(["first", "second", "third"]):
        clock.set(T0 + timedelta(minutes=i))
        outbox.send(_message(subject=subject))
    assert [m.subject for m in outbox.list()] == ["third", "second", "first"]


def test_outbox_is_empty_when_nothing_was_sent(tmp_path):
    assert LocalOutbox(tmp_path / "never-created").list() == []


@pytest.mark.parametrize(
    "message_id", ["nope", "../../etc/passwd", "20261123T120000000000-zzzzzzzz"]
)
def test_outbox_raises_not_found_when_the_id_is_unknown(tmp_path, message_id):
    outbox = LocalOutbox(tmp_path)
    outbox.send(_message())
    with pytest.raises(NotFound):
        outbox.get(message_id)
    with pytest.raises(NotFound):
        outbox.part(message_id, "html")
