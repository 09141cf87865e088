"""Dev-only pages (registered in local and test mode only): the outbox and the local file store.

`/dev/outbox` shows the emails the app would have sent; `/dev/files/<key>`
serves what S3 would, and `POST /dev/files` is the local stand-in for an S3
presigned POST (same checks: signed policy, key, size, type, expiry).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from app.adapters.files import MAX_PHOTO_BYTES
from app.errors import InvalidInput, NotFound

bp = Blueprint("dev", __name__, url_prefix="/dev")

# Whatever a message or a file holds runs in no origin of ours: no script, no form, no fetch.
SANDBOX = "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'"
INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/heic", "text/plain")


def _hemline(name: str) -> Any:
    target = getattr(current_app.extensions["hemline"], name, None)
    if target is None:
        abort(404)
    return target


@bp.get("/outbox")
def outbox() -> str:
    return render_template("dev/outbox.html", messages=_hemline("outbox").list())


@bp.get("/outbox/<message_id>")
def outbox_message(message_id: str) -> str:
    box = _hemline("outbox")
    try:
        message = box.get(message_id)
        text = box.part(message_id, "text")
    except NotFound:
        abort(404)
    return render_template("dev/outbox_message.html", message=message, text=text)


@bp.get("/outbox/<message_id>/<any(html, text):part>")
def outbox_part(message_id: str, part: str) -> Response:
    try:
        body = _hemline("outbox").part(message_id, part)
    except NotFound:
        abort(404)
    mimetype = "text/html" if part == "html" else "text/plain"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/files/<path:key>")
def file(key: str) -> Response:
    files = _hemline("files")
    if not hasattr(files, "read"):
        abort(404)  # only the local store has files to serve here
    try:
        stored = files.read(key)
    except (NotFound, InvalidInput):
        abort(404)
    response = Response(stored.data, content_type=stored.content_type)
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["X-Content-Type-Options"] = "nosniff"
    inline = stored.content_type in INLINE_TYPES
    response.headers["Content-Disposition"] = "inline" if inline else "attachment"
    return response


@bp.post("/files")
def upload() -> tuple[Any, int]:
    files = _hemline("files")
    if not hasattr(files, "accept_upload"):
        abort(404)
    # The app-wide body limit is for webhooks; a photo may be 10 MB plus the form around it.
    request.max_content_length = MAX_PHOTO_BYTES + 64 * 1024
    upload = request.files.get("file")
    if upload is None:
        return jsonify({"error": "invalid_input", "field": "file", "message": "no file"}), 400
    fields = {k: v for k, v in request.form.items() if k != "file"}
    try:
        with upload.stream:  # a large upload is a temporary file: close it here
            data = upload.read()
        files.accept_upload(fields, data, fields.get("Content-Type", ""))
    except InvalidInput as exc:
        # S3 answers 403 to a POST its policy does not allow, 400 to a malformed one.
        status = 403 if exc.field in ("policy", "key", "Content-Type", "file") else 400
        return jsonify({"error": "invalid_input", "field": exc.field, "message": str(exc)}), status
    # As S3 answers a presigned POST by default: 204, no body (the key was in the form).
    return "", 204
