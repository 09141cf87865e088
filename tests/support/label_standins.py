"""Local stand-ins for the EasyPost and Shippo HTTP APIs, for the label adapters' tests.

Each is a small threaded werkzeug server on 127.0.0.1 (a free port) that
answers the endpoints the official SDKs call with JSON shaped like the real
APIs' (trimmed to what matters), records every request, counts purchases,
and can be told to fail the next N calls of an operation with a status code
or to stall them past the client's timeout, before or after doing the work.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from reportlab.pdfgen import canvas
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def tiny_label_pdf(text: str) -> bytes:
    """A real one-page 4x6 PDF, as a carrier's label download would be."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(288, 432), invariant=1)
    c.drawString(20, 400, text)
    c.showPage()
    c.save()
    return buf.getvalue()


# The smallest valid PNG (1x1), for QR code downloads.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        return  # tests read `requests`, not the access log


@dataclass
class Recorded:
    op: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class _Fault:
    times: int
    status: int | None  # answer this status instead of the real answer
    stall_s: float | None  # or hold the connection this long
    after: bool  # do the work first (the client just never hears of it)
    body: dict[str, Any] | None = None


@dataclass
class _Server:
    """The threaded HTTP plumbing both stand-ins share."""

    rules: list[Rule]
    handlers: dict[str, Callable[..., Response]]
    error_body: Callable[[int], dict[str, Any]]
    requests: list[Recorded] = field(default_factory=list)
    faults: dict[str, list[_Fault]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    released: threading.Event = field(default_factory=threading.Event)

    def start(self) -> str:
        self._map = Map(self.rules, strict_slashes=False)
        self._httpd = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def stop(self) -> None:
        self.released.set()  # stalled handlers return at once
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _next_fault(self, op: str) -> _Fault | None:
        with self.lock:
            queue = self.faults.get(op) or []
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        adapter = self._map.bind_to_environ(environ)
        try:
            op, args = adapter.match()
        except Exception:
            return json_response({"error": "not found"}, 404)(environ, start_response)
        body = request.get_json(silent=True) if request.data else None
        with self.lock:
            self.requests.append(
                Recorded(
                    op=str(op),
                    method=request.method,
                    path=request.path,
                    query=dict(request.args),
                    body=body,
                    headers={"Authorization": request.headers.get("Authorization", "")},
                )
            )
        fault = self._next_fault(str(op))
        if fault is not None and not fault.after:
            return self._faulted(fault)(environ, start_response)
        response = self.handlers[str(op)](request, body, **args)
        if fault is not None:
            return self._faulted(fault)(environ, start_response)
        return response(environ, start_response)

    def _faulted(self, fault: _Fault) -> Response:
        if fault.stall_s is not None:
            self.released.wait(fault.stall_s)
            return json_response(self.error_body(504), 504)
        status = fault.status or 500
        return json_response(fault.body or self.error_body(status), status)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class _StandIn:
    """Start/stop, fault injection and the request log, shared by both stand-ins.

    `clock` (anything with `now()`) dates what the provider creates; tests pass
    the same fixed clock as the app, so "created since" means the same to both.
    """

    _server: _Server
    _clock: Any = None

    def _now(self) -> str:
        return _stamp(self._clock.now() if self._clock is not None else datetime.now(UTC))

    def __enter__(self) -> _StandIn:
        self.url = self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def requests(self) -> list[Recorded]:
        with self._server.lock:
            return list(self._server.requests)

    def calls(self, op: str) -> list[Recorded]:
        return [r for r in self.requests if r.op == op]

    def fail(
        self,
        op: str,
        times: int = 1,
        status: int = 500,
        *,
        after: bool = False,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next `times` calls of `op` with `status` (after doing the work if `after`)."""
        with self._server.lock:
            self._server.faults.setdefault(op, []).append(_Fault(times, status, None, after, body))

    def stall(self, op: str, seconds: float, times: int = 1, *, after: bool = True) -> None:
        """Hold the next `times` calls of `op` for `seconds` (a client timeout), by default
        after doing the work, as a provider that bought but answered too late."""
        with self._server.lock:
            self._server.faults.setdefault(op, []).append(_Fault(times, None, seconds, after))


def _unauthorized_easypost() -> Response:
    return json_response(
        {
            "error": {
                "code": "APIKEY.INACTIVE",
                "message": "This api key is no longer active. Please use a different api key.",
                "errors": [],
            }
        },
        401,
    )


DEFAULT_EASYPOST_RATES = (
    ("USPS", "GroundAdvantage", "5.93"),
    ("USPS", "Priority", "8.24"),
    ("UPS", "Ground", "9.87"),
    ("FedEx", "FEDEX_GROUND", "10.12"),
    ("LSO", "GroundBasic", "4.10"),  # cheapest, but not a carrier the merchant allows
)


class EasyPostStandIn(_StandIn):
    """Answers /v2/shipments (create, list, retrieve, buy, label) and serves label files."""

    def __init__(
        self,
        api_key: str = "EZTK_test_hemline",
        rates: tuple = DEFAULT_EASYPOST_RATES,
        clock: Any = None,
    ):
        self._clock = clock
        self.api_key = api_key
        self.rates = rates
        self.shipments: dict[str, dict[str, Any]] = {}
        self._order: list[str] = []
        self.purchases = 0
        self._server = _Server(
            rules=[
                Rule("/v2/shipments", methods=["POST"], endpoint="create_shipment"),
                Rule("/v2/shipments", methods=["GET"], endpoint="list_shipments"),
                Rule("/v2/shipments/<sid>", methods=["GET"], endpoint="get_shipment"),
                Rule("/v2/shipments/<sid>/buy", methods=["POST"], endpoint="buy"),
                Rule("/v2/shipments/<sid>/label", methods=["GET"], endpoint="convert_label"),
                Rule("/files/<name>", methods=["GET"], endpoint="download"),
            ],
            handlers={
                "create_shipment": self._create,
                "list_shipments": self._list,
                "get_shipment": self._get,
                "buy": self._buy,
                "convert_label": self._convert,
                "download": self._download,
            },
            error_body=lambda status: {
                "error": {
                    "code": "INTERNAL_SERVER_ERROR" if status >= 500 else "BAD_REQUEST",
                    "message": "We're sorry, something went wrong. Please try again.",
                    "errors": [],
                }
            },
        )

    @property
    def api_base(self) -> str:
        return f"{self.url}/v2"

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.api_key}"

    def _address(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"adr_{secrets.token_hex(16)}",
            "object": "Address",
            "mode": "test",
            "created_at": self._now(),
            **{k: raw.get(k) for k in ("name", "street1", "street2", "city", "state", "zip")},
            "country": raw.get("country"),
            "phone": raw.get("phone"),
            "residential": None,
            "verifications": {},
        }

    def _create(self, request: Request, body: Any) -> Response:
        if not self._authorized(request):
            return _unauthorized_easypost()
        params = (body or {}).get("shipment") or {}
        problems = [
            {"field": f"{side}.{name}", "message": "cannot be blank"}
            for side in ("to_address", "from_address")
            for name in ("street1", "city", "zip", "country")
            if not (params.get(side) or {}).get(name)
        ]
        if not float((params.get("parcel") or {}).get("weight") or 0) > 0:
            problems.append({"field": "parcel.weight", "message": "must be greater than 0"})
        if problems:
            return json_response(
                {
                    "error": {
                        "code": "SHIPMENT.INVALID_PARAMS",
                        "message": "Unable to create shipment, one or more parameters were invalid.",
                        "errors": problems,
                    }
                },
                422,
            )
        sid = f"shp_{secrets.token_hex(16)}"
        to_address, from_address = params["to_address"], params["from_address"]
        if params.get("is_return"):
            # EasyPost swaps the outbound addresses for a return.
            to_address, from_address = from_address, to_address
        shipment = {
            "id": sid,
            "object": "Shipment",
            "mode": "test",
            "created_at": self._now(),
            "updated_at": self._now(),
            "reference": params.get("reference"),
            "is_return": bool(params.get("is_return")),
            "status": "unknown",
            "to_address": self._address(to_address),
            "from_address": self._address(from_address),
            "return_address": self._address(from_address),
            "buyer_address": self._address(to_address),
            "parcel": {
                "id": f"prcl_{secrets.token_hex(16)}",
                "object": "Parcel",
                **{k: params["parcel"].get(k) for k in ("length", "width", "height", "weight")},
            },
            "options": {"currency": "USD", **(params.get("options") or {})},
            "rates": [
                {
                    "id": f"rate_{secrets.token_hex(16)}",
                    "object": "Rate",
                    "mode": "test",
                    "carrier": carrier,
                    "service": service,
                    "rate": price,
                    "currency": "USD",
                    "retail_rate": str(Decimal(price) + Decimal("2.00")),
                    "list_rate": str(Decimal(price) + Decimal("0.50")),
                    "delivery_days": 3,
                    "shipment_id": sid,
                    "carrier_account_id": f"ca_{carrier.lower()}",
                }
                for carrier, service, price in self.rates
            ],
            "messages": [],
            "selected_rate": None,
            "postage_label": None,
            "tracking_code": None,
            "tracker": None,
            "fees": [],
            "batch_id": None,
        }
        with self._server.lock:
            self.shipments[sid] = shipment
            self._order.append(sid)
        return json_response(shipment, 201)

    def _list(self, request: Request, body: Any) -> Response:
        if not self._authorized(request):
            return _unauthorized_easypost()
        size = min(int(request.args.get("page_size", 20)), 100)
        purchased = request.args.get("purchased")
        before = request.args.get("before_id")
        start = request.args.get("start_datetime")
        with self._server.lock:
            ids = list(reversed(self._order))  # newest first, as EasyPost lists
            if before in ids:
                ids = ids[ids.index(before) + 1 :]
            items = [self.shipments[i] for i in ids]
        if purchased in ("true", "True"):
            items = [s for s in items if s["postage_label"]]
        if start:
            since = datetime.fromisoformat(start.replace("Z", "+00:00"))
            items = [
                s
                for s in items
                if datetime.fromisoformat(s["created_at"].replace("Z", "+00:00")) >= since
            ]
        return json_response({"shipments": items[:size], "has_more": len(items) > size})

    def _get(self, request: Request, body: Any, sid: str) -> Response:
        if not self._authorized(request):
            return _unauthorized_easypost()
        if sid not in self.shipments:
            return json_response(
                {
                    "error": {
                        "code": "NOT_FOUND",
                        "message": "The requested resource could not be found.",
                        "errors": [],
                    }
                },
                404,
            )
        return json_response(self.shipments[sid])

    def _buy(self, request: Request, body: Any, sid: str) -> Response:
        if not self._authorized(request):
            return _unauthorized_easypost()
        with self._server.lock:
            shipment = self.shipments.get(sid)
            if shipment is None:
                return self._get(request, body, sid)
            if shipment["postage_label"]:
                return json_response(
                    {
                        "error": {
                            "code": "SHIPMENT.POSTAGE.EXISTS",
                            "message": "Shipment already has postage associated with it.",
                            "errors": [],
                        }
                    },
                    422,
                )
            rate_id = ((body or {}).get("rate") or {}).get("id")
            rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
            if rate is None:
                return json_response(
                    {
                        "error": {
                            "code": "SHIPMENT.RATE.INVALID",
                            "message": "Invalid rate.",
                            "errors": [],
                        }
                    },
                    422,
                )
            self.purchases += 1
            tracking = f"9400100{secrets.randbelow(10**15):015d}"
            label_id = f"pl_{secrets.token_hex(16)}"
            pdf = shipment["options"].get("label_format") == "PDF"
            shipment.update(
                selected_rate=rate,
                tracking_code=tracking,
                updated_at=self._now(),
                postage_label={
                    "id": label_id,
                    "object": "PostageLabel",
                    "label_date": self._now(),
                    "label_resolution": 300,
                    "label_size": "4x6",
                    "label_type": "default",
                    "label_file_type": "application/pdf" if pdf else "image/png",
                    "label_url": f"{self.url}/files/{label_id}.png",
                    "label_pdf_url": f"{self.url}/files/{label_id}.pdf" if pdf else None,
                    "label_zpl_url": None,
                },
                tracker={
                    "id": f"trk_{secrets.token_hex(16)}",
                    "object": "Tracker",
                    "tracking_code": tracking,
                    "status": "pre_transit",
                    "carrier": rate["carrier"],
                    "public_url": f"https://track.easypost.com/djE6{secrets.token_hex(12)}",
                },
            )
            return json_response(shipment)

    def _convert(self, request: Request, body: Any, sid: str) -> Response:
        if not self._authorized(request):
            return _unauthorized_easypost()
        with self._server.lock:
            shipment = self.shipments[sid]
            label = shipment["postage_label"]
            if request.args.get("file_format", "").upper() == "PDF":
                label["label_pdf_url"] = f"{self.url}/files/{label['id']}.pdf"
            return json_response(shipment)

    def _download(self, request: Request, body: Any, name: str) -> Response:
        stem, _, ext = name.partition(".")
        shipment = next(
            (s for s in self.shipments.values() if (s["postage_label"] or {}).get("id") == stem),
            None,
        )
        if shipment is None:
            return Response("not found", status=404)
        if ext == "pdf":
            return Response(
                tiny_label_pdf(f"EasyPost label {shipment['tracking_code']}"),
                content_type="application/pdf",
            )
        return Response(PNG_1X1, content_type="image/png")


DEFAULT_SHIPPO_RATES = (
    ("USPS", "Ground Advantage", "usps_ground_advantage", "6.12"),
    ("USPS", "Priority Mail", "usps_priority", "8.70"),
    ("UPS", "Ground", "ups_ground", "10.33"),
    ("DHL Express", "Express Worldwide", "dhl_express_worldwide", "3.99"),
)


class ShippoStandIn(_StandIn):
    """Answers /shipments, /transactions and /rates as Shippo's API does, and serves files."""

    def __init__(
        self,
        api_key: str = "shippo_test_hemline",
        rates: tuple = DEFAULT_SHIPPO_RATES,
        clock: Any = None,
    ):
        self._clock = clock
        self.api_key = api_key
        self.rates = rates
        self.shipments: dict[str, dict[str, Any]] = {}
        self.rate_objects: dict[str, dict[str, Any]] = {}
        self.transactions: dict[str, dict[str, Any]] = {}
        self._tx_order: list[str] = []
        self.purchases = 0
        self.transaction_error: str | None = None  # next purchases come back status ERROR
        self.queued_polls = 0  # purchases stay QUEUED for this many reads
        self._server = _Server(
            rules=[
                Rule("/shipments", methods=["POST"], endpoint="create_shipment"),
                Rule("/shipments/<sid>", methods=["GET"], endpoint="get_shipment"),
                Rule("/transactions", methods=["POST"], endpoint="buy"),
                Rule("/transactions", methods=["GET"], endpoint="list_transactions"),
                Rule("/transactions/<tid>", methods=["GET"], endpoint="get_transaction"),
                Rule("/rates/<rid>", methods=["GET"], endpoint="get_rate"),
                Rule("/files/<name>", methods=["GET"], endpoint="download"),
            ],
            handlers={
                "create_shipment": self._create,
                "get_shipment": self._get_shipment,
                "buy": self._buy,
                "list_transactions": self._list,
                "get_transaction": self._get_transaction,
                "get_rate": self._get_rate,
                "download": self._download,
            },
            error_body=lambda status: {"detail": "A server error occurred."},
        )

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"ShippoToken {self.api_key}"

    @staticmethod
    def _unauthorized() -> Response:
        return json_response({"detail": "Invalid token."}, 401)

    def _object(self, **fields: Any) -> dict[str, Any]:
        return {
            "object_id": secrets.token_hex(16),
            "object_created": self._now(),
            "object_updated": self._now(),
            "object_owner": "returns@hemline.test",
            "test": True,
            **fields,
        }

    def _address(self, raw: dict[str, Any]) -> dict[str, Any]:
        return self._object(
            **{
                k: raw.get(k)
                for k in ("name", "street1", "street2", "city", "state", "zip", "country", "phone")
            },
            is_complete=True,
            metadata="",
        )

    def _create(self, request: Request, body: Any) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        body = body or {}
        problems = {
            side: {name: ["This field is required."]}
            for side in ("address_from", "address_to")
            for name in ("street1", "city", "zip", "country")
            if not (body.get(side) or {}).get(name)
        }
        if not body.get("parcels"):
            problems["parcels"] = {"0": ["This field is required."]}
        if problems:
            return json_response(problems, 400)
        shipment = self._object(
            metadata=body.get("metadata") or "",
            address_from=self._address(body["address_from"]),
            address_to=self._address(body["address_to"]),
            address_return=self._address(body["address_from"]),
            carrier_accounts=[],
            messages=[],
            parcels=[self._object(object_state="VALID", metadata="", **p) for p in body["parcels"]],
            extra=body.get("extra") or {},
            status="SUCCESS",
        )
        shipment["rates"] = [
            self._object(
                amount=price,
                amount_local=price,
                currency="USD",
                currency_local="USD",
                attributes=["CHEAPEST"] if i == 0 else [],
                carrier_account=f"ca_{provider.lower().replace(' ', '_')}",
                provider=provider,
                servicelevel={"name": service, "token": token, "terms": ""},
                shipment=shipment["object_id"],
                estimated_days=3,
                duration_terms="",
                messages=[],
            )
            for i, (provider, service, token, price) in enumerate(self.rates)
        ]
        with self._server.lock:
            self.shipments[shipment["object_id"]] = shipment
            for rate in shipment["rates"]:
                self.rate_objects[rate["object_id"]] = rate
        return json_response(shipment, 201)

    def _get_shipment(self, request: Request, body: Any, sid: str) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        if sid not in self.shipments:
            return json_response({"detail": "Not found."}, 404)
        return json_response(self.shipments[sid])

    def _get_rate(self, request: Request, body: Any, rid: str) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        if rid not in self.rate_objects:
            return json_response({"detail": "Not found."}, 404)
        return json_response(self.rate_objects[rid])

    def _buy(self, request: Request, body: Any) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        body = body or {}
        with self._server.lock:
            rate = self.rate_objects.get(str(body.get("rate")))
            if rate is None:
                return json_response({"rate": ["Rate object does not exist."]}, 400)
            shipment = self.shipments[rate["shipment"]]
            tx = self._object(
                object_state="VALID",
                metadata=body.get("metadata") or "",
                rate=rate["object_id"],
                parcel=shipment["parcels"][0]["object_id"],
                label_file_type=body.get("label_file_type") or "PDF",
                messages=[],
                eta=None,
                created_by=None,  # the SDK cannot read a transaction without it
                commercial_invoice_url=None,
            )
            if self.transaction_error:
                # Shippo answers 201 with status ERROR when the carrier refuses.
                tx.update(
                    status="ERROR",
                    messages=[
                        {"source": rate["provider"], "code": "", "text": self.transaction_error}
                    ],
                    tracking_number="",
                    label_url="",
                )
            else:
                self.purchases += 1
                tracking = f"9205590{secrets.randbelow(10**15):015d}"
                wants_qr = bool((shipment.get("extra") or {}).get("qr_code_requested"))
                tx.update(
                    status="QUEUED" if self.queued_polls else "SUCCESS",
                    tracking_number=tracking,
                    tracking_status="PRE_TRANSIT",
                    tracking_url_provider=f"https://tools.usps.com/go/TrackConfirmAction_input?origTrackNum={tracking}",
                    label_url=f"{self.url}/files/{tx['object_id']}.pdf",
                    qr_code_url=(
                        f"{self.url}/files/{tx['object_id']}-qr.png"
                        if wants_qr and rate["provider"] == "USPS"
                        else None
                    ),
                )
                tx["_polls_left"] = self.queued_polls
            self.transactions[tx["object_id"]] = tx
            self._tx_order.append(tx["object_id"])
            return json_response(self._public(tx), 201)

    @staticmethod
    def _public(tx: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in tx.items() if not k.startswith("_")}

    def _get_transaction(self, request: Request, body: Any, tid: str) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        with self._server.lock:
            tx = self.transactions.get(tid)
            if tx is None:
                return json_response({"detail": "Not found."}, 404)
            if tx.get("_polls_left"):
                tx["_polls_left"] -= 1
                if not tx["_polls_left"]:
                    tx["status"] = "SUCCESS"
            return json_response(self._public(tx))

    def _list(self, request: Request, body: Any) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        page = int(request.args.get("page", 1))
        size = min(int(request.args.get("results", 25)), 100)
        status = request.args.get("object_status")
        with self._server.lock:
            items = [self._public(self.transactions[t]) for t in reversed(self._tx_order)]
        if status:
            items = [t for t in items if t["status"] == status]
        chunk = items[(page - 1) * size : page * size]
        more = len(items) > page * size

        def link(p: int) -> str:
            query = {"page": p, "results": size, **({"object_status": status} if status else {})}
            return f"{self.url}/transactions?{urlencode(query)}"

        return json_response(
            {
                "next": link(page + 1) if more else None,
                "previous": link(page - 1) if page > 1 else None,
                "results": chunk,
            }
        )

    def _download(self, request: Request, body: Any, name: str) -> Response:
        tid = name.split(".")[0].removesuffix("-qr")
        tx = self.transactions.get(tid)
        if tx is None:
            return Response("not found", status=404)
        if name.endswith("-qr.png"):
            return Response(PNG_1X1, content_type="image/png")
        return Response(
            tiny_label_pdf(f"Shippo label {tx['tracking_number']}"), content_type="application/pdf"
        )


def pdf_media_boxes(pdf: bytes) -> list[tuple[float, ...]]:
    """Every page's MediaBox, read straight from the PDF's objects."""
    return [
        tuple(float(n) for n in m.group(1).split())
        for m in re.finditer(rb"/MediaBox\s*\[\s*([-\d.\s]+?)\s*\]", pdf)
    ]


def pdf_content_text(pdf: bytes) -> str:
    """The page content streams, decoded (ASCII85 and Flate, as reportlab writes them)."""
    out = []
    for m in re.finditer(rb"<<([^<>]*)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        head, data = m.group(1), m.group(2).strip()
        if b"/ASCII85Decode" in head:
            data = base64.a85decode(data.removesuffix(b"~>"))
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        out.append(data.decode("latin-1"))
    return "\n".join(out)
