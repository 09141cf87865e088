"""The file stores (S3 on moto, the local folder) and photo sniffing by content."""

import base64
import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests
from botocore.config import Config
from moto import mock_aws
from PIL import Image
from reportlab.pdfgen import canvas

from app.adapters.files import (
    MAX_PHOTO_BYTES,
    InMemoryFileStore,
    LocalFileStore,
    S3FileStore,
    accept_photo,
    check_key,
    label_key,
    photo_key,
    photos_prefix,
    sniff_image,
)
from app.clock import FixedClock
from app.errors import InvalidInput, NotFound, UpstreamError

SHOP = "petite-plume.myshopify.com"
RMA = "a1b2c3d4e5f60718293a"
BUCKET = "hemline-files-test"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 60)).save(buf, fmt)
    return buf.getvalue()


def _pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(10, 10, "not a photo")
    c.save()
    return buf.getvalue()


# An iPhone photo starts with an ISO-BMFF `ftyp` box: major brand heic, compatible mif1 + heic.
HEIC = (
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    + b"\x00\x00\x00\x0cmeta\x00\x00\x00\x00"
    + b"\x00" * 64
)
# Generic HEIF brand with an HEVC brand among the compatible ones (some Android phones).
HEIF_GENERIC = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1miafheic" + b"\x00" * 32
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 32


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", config=Config(signature_version="s3v4")
        )
        client.create_bucket(Bucket=BUCKET)
        yield client


# --- sniffing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_image("JPEG"), "image/jpeg"),
        (_image("PNG"), "image/png"),
        (HEIC, "image/heic"),
        (HEIF_GENERIC, "image/heic"),
    ],
    ids=["jpeg", "png", "heic", "heif-mif1-with-heic"],
)
def test_sniff_image_names_the_type_when_the_bytes_are_a_photo(data, expected):
    assert sniff_image(data) == expected


@pytest.mark.parametrize(
    "data",
    [_image("GIF"), _pdf(), b"just some text, renamed to photo.jpg", AVIF, b"", b"\xff\xd8"],
    ids=["gif", "pdf", "renamed-text", "avif", "empty", "truncated-jpeg"],
)
def test_sniff_image_refuses_when_the_bytes_are_not_a_supported_photo(data):
    with pytest.raises(InvalidInput) as err:
        sniff_image(data)
    assert err.value.field == "photo"
    assert str(err.value).startswith("photo: ")


def test_sniff_image_refuses_when_the_photo_is_over_10_mb():
    jpeg = _image("JPEG")
    assert sniff_image(jpeg + b"\0" * (MAX_PHOTO_BYTES - len(jpeg))) == "image/jpeg"
    with pytest.raises(InvalidInput, match="10 MB"):
        sniff_image(jpeg + b"\0" * (MAX_PHOTO_BYTES - len(jpeg) + 1))


# --- keys -----------------------------------------------------------------------------


def test_keys_follow_the_layout_when_built_for_a_shop():
    assert label_key(SHOP, RMA) == f"labels/{SHOP}/{RMA}.pdf"
    key = photo_key(SHOP, RMA, "image/heic")
    assert key.startswith(f"photos/{SHOP}/{RMA}/") and key.endswith(".heic")


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "labels/../../x", "/abs/path", "a//b", "a/b/", "a\\b", ""]
)
def test_check_key_refuses_when_a_key_could_climb_out_of_its_folder(key):
    with pytest.raises(InvalidInput):
        check_key(key)


# --- S3 -------------------------------------------------------------------------------


def test_s3_put_then_get_returns_the_bytes_when_stored(s3):
    store = S3FileStore(s3, BUCKET)
    store.put(label_key(SHOP, RMA), b"%PDF-1.4 label", "application/pdf")
    assert store.get(label_key(SHOP, RMA)) == b"%PDF-1.4 label"
    head = s3.head_object(Bucket=BUCKET, Key=label_key(SHOP, RMA))
    assert head["ContentType"] == "application/pdf"


def test_s3_get_raises_not_found_when_the_key_is_missing(s3):
    with pytest.raises(NotFound):
        S3FileStore(s3, BUCKET).get(label_key(SHOP, "missing"))


def test_s3_put_is_a_permanent_upstream_error_when_the_bucket_does_not_exist(s3):
    with pytest.raises(UpstreamError) as err:
        S3FileStore(s3, "no-such-bucket-here").put(label_key(SHOP, RMA), b"x", "text/plain")
    assert not err.value.retryable


def test_s3_url_is_a_presigned_get_that_downloads_the_file(s3):
    store = S3FileStore(s3, BUCKET)
    store.put(label_key(SHOP, RMA), b"%PDF-1.4 label", "application/pdf")
    url = store.url(label_key(SHOP, RMA), expires_s=600)
    assert url.startswith(f"https://{BUCKET}.s3.amazonaws.com/labels/")
    assert "X-Amz-Expires=600" in url and "X-Amz-Signature=" in url
    assert requests.get(url, timeout=5).content == b"%PDF-1.4 label"


def test_s3_presigned_upload_pins_key_size_and_type_when_a_browser_posts(s3):
    store = S3FileStore(s3, BUCKET)
    form = store.presigned_upload(
        photos_prefix(SHOP, RMA), MAX_PHOTO_BYTES, ("image/jpeg", "image/png", "image/heic")
    )

    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, MAX_PHOTO_BYTES] in conditions
    assert ["starts-with", "$Content-Type", "image/"] in conditions
    assert {"key": form["key"]} in conditions
    assert form["key"].startswith(f"photos/{SHOP}/{RMA}/") and form["fields"]["key"] == form["key"]

    jpeg = _image("JPEG")
    res = requests.post(
        form["url"],
        data={**form["fields"], "Content-Type": "image/jpeg"},
        files={"file": ("IMG_0001.jpg", jpeg)},
        timeout=5,
    )
    assert res.status_code == 204
    assert store.get(form["key"]) == jpeg


def test_s3_presigned_upload_pins_the_exact_type_when_only_one_is_allowed(s3):
    form = S3FileStore(s3, BUCKET).presigned_upload(f"photos/{SHOP}/{RMA}", 1024, ("image/png",))
    conditions = json.loads(base64.b64decode(form["fields"]["policy"]))["conditions"]
    assert {"Content-Type": "image/png"} in conditions


def test_s3_delete_prefix_removes_only_that_prefix_when_it_holds_over_a_thousand_files(s3):
    store = S3FileStore(s3, BUCKET)
    for i in range(1003):
        s3.put_object(Bucket=BUCKET, Key=f"photos/{SHOP}/{RMA}/{i:04d}.jpg", Body=b"x")
    store.put(f"photos/other-shop.myshopify.com/{RMA}/keep.jpg", b"x", "image/jpeg")

    assert store.delete_prefix(f"photos/{SHOP}/") == 1003

    left = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in left] == [f"photos/other-shop.myshopify.com/{RMA}/keep.jpg"]


def test_s3_delete_prefix_refuses_when_the_prefix_names_the_whole_store(s3):
    with pytest.raises(InvalidInput):
        S3FileStore(s3, BUCKET).delete_prefix("photos/")


# --- local ----------------------------------------------------------------------------


def test_local_store_keeps_bytes_and_type_when_put(tmp_path):
    store = LocalFileStore(tmp_path, "http://127.0.0.1:8000/")
    store.put(label_key(SHOP, RMA), b"%PDF-1.4", "application/pdf")
    assert store.get(label_key(SHOP, RMA)) == b"%PDF-1.4"
    assert store.read(label_key(SHOP, RMA)).content_type == "application/pdf"
    assert (
        store.url(label_key(SHOP, RMA))
        == f"http://127.0.0.1:8000/dev/files/labels/{SHOP}/{RMA}.pdf"
    )
    assert store.list("labels/") == [label_key(SHOP, RMA)]


def test_local_store_raises_not_found_when_nothing_is_there(tmp_path):
    with pytest.raises(NotFound):
        LocalFileStore(tmp_path, "http://x").get(label_key(SHOP, RMA))


def test_local_delete_prefix_removes_a_shops_files_when_erasing(tmp_path):
    store = LocalFileStore(tmp_path, "http://x")
    store.put(photo_key(SHOP, RMA, "image/png"), b"1", "image/png")
    store.put(photo_key(SHOP, "other", "image/png"), b"2", "image/png")
    store.put(photo_key("b.myshopify.com", RMA, "image/png"), b"3", "image/png")

    assert store.delete_prefix(f"photos/{SHOP}") == 2
    assert store.delete_prefix(f"photos/{SHOP}") == 0
    assert [k.split("/")[1] for k in store.list()] == ["b.myshopify.com"]


def _local_upload(store, data, content_type="image/jpeg", **overrides):
    form = store.presigned_upload(
        photos_prefix(SHOP, RMA), MAX_PHOTO_BYTES, ("image/jpeg", "image/png", "image/heic")
    )
    fields = {**form["fields"], **overrides}
    return form, lambda: store.accept_upload(fields, data, content_type)


def test_local_upload_is_stored_when_the_policy_allows_it(tmp_path):
    store = LocalFileStore(tmp_path, "http://127.0.0.1:8000")
    form, post = _local_upload(store, _image("PNG"), "image/png")
    assert form["url"] == "http://127.0.0.1:8000/dev/files"
    assert post() == form["key"]
    assert store.read(form["key"]).content_type == "image/png"


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("tampered-key", "key"),
        ("forged-signature", "policy"),
        ("too-big", "file"),
        ("wrong-type", "Content-Type"),
    ],
)
def test_local_upload_is_refused_when_s3_would_refuse_it(tmp_path, case, field):
    store = LocalFileStore(tmp_path, "http://x")
    data, content_type, overrides = _image("JPEG"), "image/jpeg", {}
    if case == "tampered-key":
        overrides = {"key": f"photos/{SHOP}/someone-elses-rma/x"}
    elif case == "forged-signature":
        overrides = {"signature": "0" * 64}
    elif case == "too-big":
        data = data + b"\0" * MAX_PHOTO_BYTES
    else:
        content_type = "image/svg+xml"
    _, post = _local_upload(store, data, content_type, **overrides)
    with pytest.raises(InvalidInput) as err:
        post()
    assert err.value.field == field
    assert store.list() == []


def test_local_upload_is_refused_when_the_policy_has_expired(tmp_path):
    clock = FixedClock(T0)
    store = LocalFileStore(tmp_path, "http://x", clock=clock)
    _, post = _local_upload(store, _image("JPEG"))
    clock.set(T0 + timedelta(minutes=16))
    with pytest.raises(InvalidInput, match="expired"):
        post()


# --- accepting an uploaded photo --------------------------------------------------------


def test_accept_photo_files_it_under_its_real_type_when_the_bytes_are_a_photo():
    files = InMemoryFileStore()
    upload = photos_prefix(SHOP, RMA) + "0f" * 16
    files.put(upload, HEIC, "image/jpeg")  # the browser claimed JPEG; the bytes say HEIC

    key = accept_photo(files, upload, shop=SHOP, rma_id=RMA)

    assert key == upload + ".heic"
    assert set(files.files) == {key}
    assert files.files[key].content_type == "image/heic"


def test_accept_photo_deletes_the_upload_when_it_is_not_a_photo():
    files = InMemoryFileStore()
    upload = photos_prefix(SHOP, RMA) + "0f" * 16
    files.put(upload, b"<svg onload=alert(1)>", "image/png")

    with pytest.raises(InvalidInput):
        accept_photo(files, upload, shop=SHOP, rma_id=RMA)
    assert files.files == {}


def test_accept_photo_refuses_when_the_upload_belongs_to_another_return():
    files = InMemoryFileStore()
    upload = photos_prefix(SHOP, "another-rma") + "0f" * 16
    files.put(upload, _image("PNG"), "image/png")
    with pytest.raises(InvalidInput):
        accept_photo(files, upload, shop=SHOP, rma_id=RMA)
    assert upload in files.files
