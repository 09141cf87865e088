"""The dev-only pages: the outbox and the local file store, through the Flask client."""

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.adapters.files import MAX_PHOTO_BYTES, LocalFileStore, label_key, photos_prefix
from app.adapters.mail import LocalOutbox, Message
from app.clock import FixedClock
from app.web import dev

APP_DIR = Path(dev.__file__).resolve().parents[1]
SHOP = "petite-plume.myshopify.com"
RMA = "a1b2c3d4e5f60718293a"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return FixedClock(T0)


@pytest.fixture
def hemline(tmp_path, clock):
    """The two container attributes the blueprint reads, with the real local adapters."""
    return SimpleNamespace(
        outbox=LocalOutbox(tmp_path / "outbox", clock=clock),
        files=LocalFileStore(tmp_path / "files", "http://localhost"),
    )


@pytest.fixture
def client(hemline):
    app = Flask(
        __name__,
        template_folder=str(APP_DIR / "templates"),
        static_folder=str(APP_DIR / "static"),
    )
    app.config.update(TESTING=True, MAX_CONTENT_LENGTH=1024 * 1024)  # the app's webhook limit
    app.extensions["hemline"] = hemline
    app.register_blueprint(dev.bp)
    return app.test_client()


def _send(outbox, subject, html="<p>Hello</p>", text="Hello"):
    return outbox.send(Message(to="ada@example.test", subject=subject, html=html, text=text))


def test_outbox_lists_messages_newest_first_with_links_when_some_were_sent(client, hemline, clock):
    first = _send(hemline.outbox, "Your return K7M2QX9P is approved")
    clock.set(T0 + timedelta(minutes=5))
    second = _send(hemline.outbox, "Your refund of $49.50 USD is on its way")

    page = client.get("/dev/outbox")

    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert body.index("Your refund of $49.50 USD") < body.index("Your return K7M2QX9P")
    assert f'href="/dev/outbox/{first}"' in body and f'href="/dev/outbox/{second}/html"' in body
    assert f'href="/dev/outbox/{second}/text"' in body
    assert "ada@example.test" in body and "2026-11-23 12:05:00" in body
    assert "hemline.css" in body  # extends the app's base page


def test_outbox_says_so_when_nothing_was_sent(client):
    assert "No emails yet." in client.get("/dev/outbox").get_data(as_text=True)


def test_outbox_message_shows_envelope_and_both_parts_when_opened(client, hemline):
    message_id = _send(
        hemline.outbox,
        "Approved <b>now</b>",
        html="<p>Hi</p><script>alert(1)</script>",
        text="Hi there",
    )

    page = client.get(f"/dev/outbox/{message_id}").get_data(as_text=True)
    assert "Approved &lt;b&gt;now&lt;/b&gt;" in page and "Hi there" in page
    assert f'src="/dev/outbox/{message_id}/html"' in page and "sandbox" in page

    html = client.get(f"/dev/outbox/{message_id}/html")
    assert html.mimetype == "text/html" and "<script>" in html.get_data(as_text=True)
    assert html.headers["Content-Security-Policy"].startswith("sandbox")  # it cannot run here
    text = client.get(f"/dev/outbox/{message_id}/text")
    assert text.mimetype == "text/plain" and text.get_data(as_text=True) == "Hi there"


@pytest.mark.parametrize(
    "path", ["/dev/outbox/nope", "/dev/outbox/nope/html", "/dev/outbox/..%2F..%2Fetc/text"]
)
def test_outbox_answers_404_when_the_message_is_unknown(client, path):
    assert client.get(path).status_code == 404


def test_files_serves_a_stored_label_when_asked_by_key(client, hemline):
    hemline.files.put(label_key(SHOP, RMA), b"%PDF-1.4 label", "application/pdf")

    res = client.get(f"/dev/files/labels/{SHOP}/{RMA}.pdf")

    assert res.status_code == 200 and res.data == b"%PDF-1.4 label"
    assert res.mimetype == "application/pdf"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Content-Disposition"] == "inline"
    assert (
        hemline.files.url(label_key(SHOP, RMA))
        == f"http://localhost/dev/files/labels/{SHOP}/{RMA}.pdf"
    )


@pytest.mark.parametrize(
    "path",
    [
        f"/dev/files/labels/{SHOP}/missing.pdf",
        "/dev/files/../outbox/x.json",
        "/dev/files/a/%2E%2E/b",
    ],
)
def test_files_answers_404_when_the_file_is_missing_or_outside(client, path):
    assert client.get(path).status_code == 404


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "JPEG")
    return buf.getvalue()


def test_upload_target_stores_a_photo_when_the_form_is_the_presigned_one(client, hemline):
    form = hemline.files.presigned_upload(
        photos_prefix(SHOP, RMA), MAX_PHOTO_BYTES, ("image/jpeg", "image/png", "image/heic")
    )
    photo = _jpeg() + b"\0" * (2 * 1024 * 1024)  # bigger than the app's 1 MB webhook limit

    # Encoded here: the test client would spool a body this size to a file it never closes.
    boundary, body = encode_multipart(
        {
            **form["fields"],
            "Content-Type": "image/jpeg",
            "file": FileStorage(io.BytesIO(photo), "IMG_0001.jpg"),
        }
    )
    res = client.post(
        "/dev/files", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert res.status_code == 204
    assert hemline.files.get(form["key"]) == photo


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"key": f"photos/{SHOP}/other/x"}, 403),
        ({"Content-Type": "text/html"}, 403),
        ({"signature": "0" * 64}, 403),
    ],
)
def test_upload_target_refuses_when_the_form_was_tampered_with(client, hemline, change, status):
    form = hemline.files.presigned_upload(
        photos_prefix(SHOP, RMA), MAX_PHOTO_BYTES, ("image/jpeg",)
    )
    data = {
        **form["fields"],
        "Content-Type": "image/jpeg",
        **change,
        "file": (io.BytesIO(_jpeg()), "a.jpg"),
    }
    res = client.post("/dev/files", data=data, content_type="multipart/form-data")
    assert res.status_code == status
    assert hemline.files.list() == []


def test_upload_target_refuses_when_no_file_was_sent(client, hemline):
    form = hemline.files.presigned_upload(
        photos_prefix(SHOP, RMA), MAX_PHOTO_BYTES, ("image/jpeg",)
    )
    res = client.post("/dev/files", data=form["fields"], content_type="multipart/form-data")
    assert res.status_code == 400
