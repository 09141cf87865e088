"""The file store port (labels, return photos): S3 in AWS, a local folder in dev and tests.

Keys are built here (`label_key`, `photo_key`) so every file of a shop sits
under one prefix and erasure is one `delete_prefix`. Photos are typed by their
bytes (`sniff_image`), never by a filename or a Content-Type a browser sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from app.clock import Clock
from app.errors import InvalidInput, NotFound, UpstreamError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/heic")
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/heic": "heic",
    "application/pdf": "pdf",
}

# One path segment of a key: what shop domains, hex ids, uuids and extensions use.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class FileStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there; raises UpstreamError."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; raises NotFound, UpstreamError."""
        ...

    def url(self, key: str, expires_s: int = 3600) -> str:
        """A URL a browser can GET the file from for `expires_s` seconds."""
        ...

    def presigned_upload(
        self, key_prefix: str, max_bytes: int, allowed_types: tuple[str, ...]
    ) -> dict[str, Any]:
        """A form target for a browser upload: {"url", "fields", "key"}; the file goes in `file`."""
        ...

    def delete(self, key: str) -> None:
        """Delete one file; deleting a missing file is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every file under `prefix` (a shop's erasure); returns how many were deleted."""
        ...


def check_key(key: str) -> str:
    """A key made of plain segments, so no key can climb out of a folder; raises InvalidInput."""
    parts = key.split("/")
    if not key or any(not _SEGMENT.match(p) or ".." in p for p in parts):
        raise InvalidInput("must be slash-separated plain names", "key")
    return key


def check_prefix(prefix: str) -> str:
    """A prefix of whole segments (at least two, so no prefix names the whole store)."""
    trimmed = prefix.rstrip("/")
    check_key(trimmed)
    if trimmed.count("/") < 1:
        raise InvalidInput("must name at least a folder and a shop", "prefix")
    return trimmed + "/"


def label_key(shop: str, rma_id: str) -> str:
    return check_key(f"labels/{shop}/{rma_id}.pdf")


def photos_prefix(shop: str, rma_id: str) -> str:
    return check_key(f"photos/{shop}/{rma_id}") + "/"


def photo_key(shop: str, rma_id: str, content_type: str, photo_id: str | None = None) -> str:
    ext = EXTENSIONS[content_type]
    return check_key(f"photos/{shop}/{rma_id}/{photo_id or uuid.uuid4().hex}.{ext}")


def shop_prefixes(shop: str) -> tuple[str, ...]:
    """Every prefix holding a shop's files (for erasure)."""
    return (f"labels/{shop}/", f"photos/{shop}/")


# HEIF brands of HEVC-coded images (what iPhones write); `mif1`/`msf1` are the
# generic HEIF brands and count only with one of these among the compatible brands.
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_HEIF_GENERIC = {b"mif1", b"msf1"}


def _is_heic(data: bytes) -> bool:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    size = int.from_bytes(data[0:4], "big")
    if size < 16 or size > len(data) or size % 4:
        return False
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, size, 4)}
    if major in _HEIC_BRANDS:
        return True
    return major in _HEIF_GENERIC and bool(compatible & _HEIC_BRANDS)


def sniff_image(data: bytes, max_bytes: int = MAX_PHOTO_BYTES) -> str:
    """The photo's type from its first bytes: image/jpeg, image/png or image/heic.

    Raises InvalidInput (field "photo") for anything else, an empty file, or one over `max_bytes`.
    """
    if not data:
        raise InvalidInput("the file is empty", "photo")
    if len(data) > max_bytes:
        raise InvalidInput(f"must be at most {max_bytes // (1024 * 1024)} MB", "photo")
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if _is_heic(data):
        return "image/heic"
    raise InvalidInput("must be a JPEG, PNG or HEIC photo", "photo")


def accept_photo(files: FileStore, upload_key: str, *, shop: str, rma_id: str) -> str:
    """Check an uploaded photo by its bytes and file it as photos/<shop>/<rma id>/<uuid>.<ext>.

    The browser chose the Content-Type of the upload, so it proves nothing: a
    file that is not a JPEG, PNG or HEIC is deleted and InvalidInput raised.
    Returns the photo's key.
    """
    prefix = photos_prefix(shop, rma_id)
    if not check_key(upload_key).startswith(prefix):
        raise InvalidInput("is not an upload for this return", "photo")
    data = files.get(upload_key)
    try:
        content_type = sniff_image(data)
    except InvalidInput:
        files.delete(upload_key)
        raise
    name = upload_key.rsplit("/", 1)[1].split(".", 1)[0]
    key = photo_key(shop, rma_id, content_type, photo_id=name)
    if key != upload_key:
        files.put(key, data, content_type)
        files.delete(upload_key)
    return key


def _content_type_condition(allowed_types: tuple[str, ...]) -> list[str] | dict[str, str]:
    """S3 policies cannot say "one of": one type is pinned, several share their common prefix."""
    if len(allowed_types) == 1:
        return {"Content-Type": allowed_types[0]}
    common = allowed_types[0]
    for t in allowed_types[1:]:
        while not t.startswith(common):
            common = common[:-1]
    return ["starts-with", "$Content-Type", common]


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return status >= 500 or code in ("SlowDown", "RequestTimeout", "Throttling")
    return True  # BotoCoreError: the connection failed, not the request


class S3FileStore:
    """Files in one private S3 bucket; browsers read and upload through presigned URLs."""

    def __init__(self, client: Any, bucket: str):
        self._s3 = client
        self._bucket = bucket

    def _fail(self, what: str, exc: Exception) -> UpstreamError:
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
        return UpstreamError(
            f"S3 {what} failed: {code or type(exc).__name__}", retryable=_retryable(exc)
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self._s3.put_object(
                Bucket=self._bucket, Key=check_key(key), Body=data, ContentType=content_type
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("put", exc) from exc

    def get(self, key: str) -> bytes:
        try:
            res = self._s3.get_object(Bucket=self._bucket, Key=check_key(key))
            return res["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound(f"no file {key}") from exc
            raise self._fail("get", exc) from exc
        except BotoCoreError as exc:
            raise self._fail("get", exc) from exc

    def url(self, key: str, expires_s: int = 3600) -> str:
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": check_key(key)},
            ExpiresIn=expires_s,
        )

    def presigned_upload(
        self, key_prefix: str, max_bytes: int, allowed_types: tuple[str, ...]
    ) -> dict[str, Any]:
        # The key is ours, pinned by the policy: a browser cannot choose where its file lands.
        key = check_prefix(key_prefix) + uuid.uuid4().hex
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Conditions=[
                ["content-length-range", 1, max_bytes],
                _content_type_condition(allowed_types),
            ],
            ExpiresIn=900,
        )
        return {"url": post["url"], "fields": post["fields"], "key": key}

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self._bucket, Key=check_key(key))
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("delete", exc) from exc

    def delete_prefix(self, prefix: str) -> int:
        prefix = check_prefix(prefix)
        deleted = 0
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=prefix
            )
            for page in pages:
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                # A list page holds at most 1000 keys, the most delete_objects takes.
                if keys:
                    res = self._s3.delete_objects(
                        Bucket=self._bucket, Delete={"Objects": keys, "Quiet": True}
                    )
                    if res.get("Errors"):
                        raise UpstreamError(
                            f"S3 delete failed for {len(res['Errors'])} files", retryable=True
                        )
                    deleted += len(keys)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("delete_prefix", exc) from exc
        return deleted


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    content_type: str


class LocalFileStore:
    """Files in a local folder, served by the dev blueprint (`/dev/files/<key>`).

    Content types live beside the data in `.meta/<key>.json`. Uploads go to
    `POST /dev/files` with a policy signed by a key made per process, checked
    the way S3 checks a presigned POST (key, size, Content-Type, expiry).
    """

    def __init__(self, root_dir: str | Path, base_url: str, *, clock: Clock | None = None):
        self._root = Path(root_dir)
        self._base_url = base_url.rstrip("/")
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._clock = clock

    def _time(self) -> float:
        return self._clock.now().timestamp() if self._clock is not None else time.time()

    def _data_path(self, key: str) -> Path:
        return self._root / "files" / check_key(key)

    def _meta_path(self, key: str) -> Path:
        return self._root / "meta" / (check_key(key) + ".json")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path, meta = self._data_path(key), self._meta_path(key)
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            meta.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)  # readers never see half a file
            meta.write_text(json.dumps({"content_type": content_type}), encoding="utf-8")

    def read(self, key: str) -> StoredFile:
        """The bytes and content type under `key`; raises NotFound."""
        path = self._data_path(key)
        if not path.is_file():
            raise NotFound(f"no file {key}")
        meta = self._meta_path(key)
        content_type = (
            json.loads(meta.read_text(encoding="utf-8"))["content_type"]
            if meta.is_file()
            else "application/octet-stream"
        )
        return StoredFile(path.read_bytes(), content_type)

    def get(self, key: str) -> bytes:
        return self.read(key).data

    def url(self, key: str, expires_s: int = 3600) -> str:
        return f"{self._base_url}/dev/files/{quote(check_key(key))}"

    def presigned_upload(
        self, key_prefix: str, max_bytes: int, allowed_types: tuple[str, ...]
    ) -> dict[str, Any]:
        key = check_prefix(key_prefix) + uuid.uuid4().hex
        policy = {
            "key": key,
            "max_bytes": max_bytes,
            "types": list(allowed_types),
            "expires": int(self._time()) + 900,
        }
        encoded = base64.urlsafe_b64encode(json.dumps(policy).encode()).decode()
        return {
            "url": f"{self._base_url}/dev/files",
            "fields": {"key": key, "policy": encoded, "signature": self._sign(encoded)},
            "key": key,
        }

    def _sign(self, encoded: str) -> str:
        return hmac.new(self._secret, encoded.encode(), hashlib.sha256).hexdigest()

    def accept_upload(self, fields: dict[str, str], data: bytes, content_type: str) -> str:
        """Store a form upload made from `presigned_upload`; raises InvalidInput as S3 would refuse."""
        encoded = fields.get("policy", "")
        if not hmac.compare_digest(self._sign(encoded), fields.get("signature", "")):
            raise InvalidInput("signature does not match", "policy")
        policy = json.loads(base64.urlsafe_b64decode(encoded))
        if policy["expires"] < self._time():
            raise InvalidInput("has expired", "policy")
        if fields.get("key") != policy["key"]:
            raise InvalidInput("is not the key the policy allows", "key")
        if not 1 <= len(data) <= policy["max_bytes"]:
            raise InvalidInput(f"must be 1 to {policy['max_bytes']} bytes", "file")
        if content_type not in policy["types"]:
            raise InvalidInput("is not an allowed type", "Content-Type")
        self.put(policy["key"], data, content_type)
        return str(policy["key"])

    def delete(self, key: str) -> None:
        with self._lock:
            self._data_path(key).unlink(missing_ok=True)
            self._meta_path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        prefix = check_prefix(prefix)
        folder = self._root / "files" / prefix.rstrip("/")
        with self._lock:
            if not folder.is_dir():
                return 0
            deleted = sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder)
            shutil.rmtree(self._root / "meta" / prefix.rstrip("/"), ignore_errors=True)
        return deleted

    def list(self, prefix: str = "") -> list[str]:
        """Keys under `prefix`, sorted (dev pages and tests)."""
        base = self._root / "files"
        if not base.is_dir():
            return []
        keys = sorted(
            p.relative_to(base).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.endswith(".part")
        )
        return [k for k in keys if k.startswith(prefix)]


class InMemoryFileStore:
    """The fake for service tests: a dict of key -> (bytes, content type)."""

    def __init__(self, base_url: str = "http://files.test"):
        self.files: dict[str, StoredFile] = {}
        self._base_url = base_url

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.files[check_key(key)] = StoredFile(data, content_type)

    def get(self, key: str) -> bytes:
        try:
            return self.files[key].data
        except KeyError:
            raise NotFound(f"no file {key}") from None

    def url(self, key: str, expires_s: int = 3600) -> str:
        return f"{self._base_url}/{check_key(key)}?expires_in={expires_s}"

    def presigned_upload(
        self, key_prefix: str, max_bytes: int, allowed_types: tuple[str, ...]
    ) -> dict[str, Any]:
        key = check_prefix(key_prefix) + uuid.uuid4().hex
        return {"url": f"{self._base_url}/upload", "fields": {"key": key}, "key": key}

    def delete(self, key: str) -> None:
        self.files.pop(key, None)

    def delete_prefix(self, prefix: str) -> int:
        prefix = check_prefix(prefix)
        doomed = [k for k in self.files if k.startswith(prefix)]
        for k in doomed:
            del self.files[k]
        return len(doomed)
