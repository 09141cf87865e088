"""The customer returns portal: look up an order, choose items, review the cost, submit, follow.

Server-rendered and usable without JavaScript. A successful look-up gives a
signed, expiring session bound to one shop and one order; every later page
checks it before reading anything. POST forms carry a CSRF token derived from
the session id. Strings live in app/i18n_portal.py (English, Simplified Chinese).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    has_app_context,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app import i18n_portal as i18n
from app.adapters.files import (
    MAX_PHOTO_BYTES,
    PHOTO_TYPES,
    accept_photo,
    photo_key,
    photos_prefix,
    sniff_image,
)
from app.config import Settings
from app.domain.orders import LineItem, OrderSnapshot, OrderView
from app.domain.rma import Rma
from app.domain.shops import Shop, ensure_shop_domain
from app.errors import Conflict, HemlineError, InvalidInput, NotFound, UpstreamError
from app.observability import logger
from policies.vocabulary import ItemCondition, Reason, Resolution

# The policy engine, the returns service and the Admin API's errors and models are imported
# where they are used: the app's cold start builds every blueprint, and most requests need
# none of them.
if TYPE_CHECKING:
    from app.services.eligibility import RequestedLine
    from app.shopify.models import VariantOption

bp = Blueprint("portal", __name__, url_prefix="/portal")

SESSION_COOKIE = "hemline_portal"
LANG_COOKIE = "hemline_portal_lang"
SESSION_SALT = "hemline-portal"
SELECTION_SALT = "hemline-portal-selection"
STATUS_SALT = "hemline-rma-status"
SESSION_TTL_S = 2 * 3600
STATUS_LINK_TTL_S = 90 * 86400
LANG_COOKIE_TTL_S = 365 * 86400
SHOP_MAX_AGE_S = 10.0  # how old a copy of the shop a customer's page may show
MAX_PREFETCHED_PRODUCTS = 20  # products kept in the session (a larger order asks later)

# Look-ups are guessable pairs (order number, email or postal code), so attempts are
# counted per client address and per order number, whatever the outcome.
LOOKUP_WINDOW_S = 600
LOOKUP_LIMIT_PER_IP = 10
LOOKUP_LIMIT_PER_ORDER = 5

MAX_PHOTOS_PER_LINE = 5
# The app refuses bodies over 1 MB (webhooks); a form that carries photos to the app
# (local mode) may hold eight full-size ones. Photos that go to S3 never pass here.
MAX_UPLOAD_BYTES = 8 * MAX_PHOTO_BYTES + 1024 * 1024
MAX_WANTED_CHARS = 200
MAX_NOTE_CHARS = 1000
RMA_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{4,20}$")

DISCRETIONARY = tuple(r.value for r in Reason if not r.is_merchant_fault)
MERCHANT_FAULT = tuple(r.value for r in Reason if r.is_merchant_fault)
CONDITIONS = tuple(c.value for c in ItemCondition)
RESOLUTIONS = tuple(r.value for r in Resolution)


# -- sessions, CSRF and status links -------------------------------------------------------


@dataclass(frozen=True)
class PortalSession:
    """Who the browser is: an id (for CSRF), and after a look-up the shop and order it may see."""

    sid: str
    shop: str | None = None
    order_id: int | None = None
    # The order's products (numeric ids), so its page can ask Shopify for their other
    # sizes while it reads the order.
    products: tuple[int, ...] = ()

    def allows(self, shop: str, order_id: int) -> bool:
        return self.shop == shop and self.order_id == order_id


def _container() -> Any:
    return current_app.extensions["hemline"]


def _serializer(salt: str, settings: Settings | None = None) -> URLSafeTimedSerializer:
    secret = (settings or _container().settings).secret_key
    return URLSafeTimedSerializer(secret, salt=salt)


def _read_session() -> PortalSession | None:
    """The session from the cookie, or None when absent, tampered with or older than 2 hours."""
    if "portal_session" not in g:
        g.portal_session = None
        raw = request.cookies.get(SESSION_COOKIE)
        if raw:
            try:
                data = _serializer(SESSION_SALT).loads(raw, max_age=SESSION_TTL_S)
                order = data.get("order")
                g.portal_session = PortalSession(
                    sid=str(data["sid"]),
                    shop=data.get("shop"),
                    order_id=int(order) if order else None,
                    products=tuple(int(p) for p in data.get("products") or ()),
                )
            except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
                g.portal_session = None
    return g.portal_session


def _start_session(
    shop: str | None = None, order_id: int | None = None, products: tuple[int, ...] = ()
) -> PortalSession:
    """A new session (a new id each time, so a look-up never inherits an old CSRF token)."""
    session = PortalSession(secrets.token_urlsafe(18), shop, order_id, products)
    g.portal_session = session
    g.portal_session_changed = True
    return session


def _ensure_session() -> PortalSession:
    return _read_session() or _start_session()


def _csrf_token(session: PortalSession | None) -> str:
    if session is None:
        return ""
    key = _container().settings.secret_key.encode()
    return hmac.new(key, b"portal-csrf:" + session.sid.encode(), hashlib.sha256).hexdigest()


def _csrf_ok(session: PortalSession | None) -> bool:
    given = request.form.get("csrf_token", "")
    return session is not None and bool(given) and hmac.compare_digest(given, _csrf_token(session))


def status_token(shop: str, number: str, *, settings: Settings | None = None) -> str:
    """The signed token of an RMA's status link (valid 90 days)."""
    return _serializer(STATUS_SALT, settings).dumps({"shop": shop, "rma": number})


def status_link(shop: str, number: str, *, settings: Settings | None = None) -> str:
    """The absolute URL of an RMA's status page that works without a portal session (emails).

    Outside a Flask app (a Lambda sending mail), pass `settings` or the
    process-wide container's settings are used.
    """
    if settings is None:
        if has_app_context():
            settings = _container().settings
        else:
            from app.container import get_container

            settings = get_container().settings
    query = urlencode({"t": status_token(shop, number, settings=settings)})
    return f"{settings.app_url}/portal/{shop}/returns/{number}?{query}"


def _status_token_ok(token: str, shop: str, number: str) -> bool:
    try:
        data = _serializer(STATUS_SALT).loads(token, max_age=STATUS_LINK_TTL_S)
    except BadSignature:
        return False
    return isinstance(data, dict) and data.get("shop") == shop and data.get("rma") == number


# -- request set-up and page furniture ---------------------------------------------------------


@bp.before_request
def _pick_locale() -> None:
    chosen = i18n.normalize_locale(request.args.get("lang"))
    g.locale = (
        chosen
        or i18n.normalize_locale(request.cookies.get(LANG_COOKIE))
        or i18n.negotiate(request.accept_languages)
    )
    g.save_locale = chosen


@bp.after_request
def _finish(response: Response) -> Response:
    settings = _container().settings
    cookie = {"httponly": True, "samesite": "Lax", "secure": not settings.is_local}
    if g.get("save_locale"):
        response.set_cookie(
            LANG_COOKIE, g.save_locale, max_age=LANG_COOKIE_TTL_S, path="/portal", **cookie
        )
    if g.get("portal_session_changed"):
        session: PortalSession | None = g.get("portal_session")
        if session is None:
            response.delete_cookie(SESSION_COOKIE, path="/portal", **cookie)
        else:
            value = _serializer(SESSION_SALT).dumps(
                {
                    "sid": session.sid,
                    "shop": session.shop,
                    "order": str(session.order_id) if session.order_id else None,
                    **({"products": list(session.products)} if session.products else {}),
                }
            )
            response.set_cookie(
                SESSION_COOKIE, value, max_age=SESSION_TTL_S, path="/portal", **cookie
            )
    # Pages show a customer's order: never cached, never framed, and the status
    # token in the URL is not sent on to label or tracking sites.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _lang_url(code: str) -> str:
    """This page in another language; a page answering a POST switches on its GET page."""
    if request.method == "GET":
        args = request.args.to_dict()
        args["lang"] = code
        return f"{request.path}?{urlencode(args)}"
    view_args = request.view_args or {}
    if "order_id" in view_args:
        return url_for(".order", shop=view_args["shop"], order_id=view_args["order_id"], lang=code)
    if "shop" in view_args:
        return url_for(".lookup", shop=view_args["shop"], lang=code)
    return f"{request.path}?lang={code}"


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    locale = g.get("locale", i18n.DEFAULT_LOCALE)
    return {
        "locale": locale,
        "lang": locale,
        "t": lambda key, **kw: i18n.t(locale, key, **kw),
        "label": lambda kind, code: i18n.label(locale, kind, code),
        "fmt_date": lambda d: i18n.format_date(locale, d) if d else "",
        "fmt_money": lambda amount, currency: i18n.format_money(locale, amount, currency),
        "ptext": lambda text: i18n.policy_text(locale, text),
        "csrf_token": _csrf_token(g.get("portal_session")),
        "lang_links": [
            (code, i18n.t(code, f"lang.{code}"), _lang_url(code), code == locale)
            for code in i18n.LOCALES
        ],
    }


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def _error_page(
    status: int,
    kind: str,
    shop: Shop | None = None,
    headers: Mapping[str, str] | None = None,
    **kw: Any,
) -> Any:
    body = render_template("portal/error.html", kind=kind, shop=shop, status=status, kw=kw)
    return body, status, dict(headers or {})


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    return _error_page(413, "too_large")


@bp.errorhandler(UpstreamError)
def _unavailable(exc: UpstreamError) -> Any:
    logger.warning("portal dependency unavailable", extra={"error": type(exc).__name__})
    return _error_page(503, "unavailable")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    return _error_page(exc.code or 500, "not_found" if exc.code == 404 else "error")


def _installed_shop(shop: str) -> Shop | None:
    try:
        domain = ensure_shop_domain(shop)
    except InvalidInput:
        return None
    # Customers' pages only read the shop: a copy up to SHOP_MAX_AGE_S old spares a
    # DynamoDB read on every page (settings saved elsewhere show within that time).
    found = _container().store.get_shop(domain, max_age_s=SHOP_MAX_AGE_S)
    return found if found is not None and found.is_installed else None


@dataclass(frozen=True)
class Access:
    """What a page of one order may read: its shop, the order, and the session that looked it up."""

    shop: Shop
    view: OrderView
    session: PortalSession
    # Quantities held by open returns, read with the order (one query for both).
    reserved: Mapping[int, int]


def _authorize(shop: str, order_id: int) -> Access | Any:
    """Access when this browser looked this order up; else the response to send instead.

    Checked before anything about the order is read: a session for another
    order or shop goes back to the look-up, never to that order's data. For the
    session that looked it up, the order is read while the shop is (its answer is
    used only once the shop is known to be installed).
    """
    try:
        domain = ensure_shop_domain(shop)
    except InvalidInput:
        return _error_page(404, "not_found")
    session = _read_session()
    allowed = session is not None and session.allows(domain, order_id)
    reading = (
        _ALONGSIDE.submit(_container().store.get_order_and_reserved, domain, order_id)
        if allowed
        else None
    )
    found = _installed_shop(domain)
    if found is None:
        return _error_page(404, "not_found")
    if session is None or reading is None:
        return redirect(url_for(".lookup", shop=found.domain))
    read = reading.result()
    if read is None:
        return redirect(url_for(".lookup", shop=found.domain))
    return Access(found, read[0], session, read[1])


# -- look-up ---------------------------------------------------------------------------------------


def _digest(kind: str, value: str) -> str:
    """Rate-limit keys hold a keyed hash, not the client's address or what it typed."""
    key = _container().settings.secret_key.encode()
    return kind + ":" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


# Reads and writes a page needs that do not depend on each other run at once, so a page
# waits for one round trip where it would wait for two (the store's client is thread-safe).
_ALONGSIDE = ThreadPoolExecutor(max_workers=8, thread_name_prefix="portal-io")


def _retry_after(shop: str, number: str) -> int | None:
    """Count this attempt against the client address and the order number; the seconds
    until the caller may try again when over either limit."""
    c = _container()
    now = int(c.clock.now().timestamp())
    wait = LOOKUP_WINDOW_S - now % LOOKUP_WINDOW_S
    client = request.remote_addr or "unknown"
    limits = [
        (_digest("portal-ip", client), LOOKUP_LIMIT_PER_IP),
        (_digest("portal-order", number.lstrip("#").strip().lower()), LOOKUP_LIMIT_PER_ORDER),
    ]
    # The two counters are separate items: both are counted at once.
    within = _ALONGSIDE.map(
        lambda limit: c.store.hit_rate_limit(
            shop, limit[0], now_epoch=now, window_s=LOOKUP_WINDOW_S, limit=limit[1]
        ),
        limits,
    )
    return None if all(list(within)) else wait


def _postal(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


def _contact_matches(order: OrderSnapshot, contact: str) -> bool:
    """The email (any case) or the shipping postal code (spaces and dashes ignored)."""
    given = contact.strip()
    if "@" in given:
        expected = (order.email or "").strip().casefold()
        return bool(expected) and hmac.compare_digest(expected.encode(), given.casefold().encode())
    expected = _postal(order.shipping_zip or "")
    given = _postal(given)
    if not expected or not given:
        return False
    # A US ZIP+4 on the order matches its five-digit ZIP, and the other way round.
    if expected.isdigit() and given.isdigit() and 5 in (len(expected), len(given)):
        expected, given = expected[:5], given[:5]
    return hmac.compare_digest(expected.encode(), given.encode())


@bp.get("/<shop>")
def lookup(shop: str) -> Any:
    found = _installed_shop(shop)
    if found is None:
        return _error_page(404, "not_found")
    _ensure_session()
    return _page("portal/lookup.html", shop=found, values={}, errors={})


@bp.post("/<shop>")
def lookup_submit(shop: str) -> Any:
    found = _installed_shop(shop)
    if found is None:
        return _error_page(404, "not_found")
    session = _read_session()
    if not _csrf_ok(session):
        return _error_page(400, "csrf", shop=found)
    locale = g.locale
    number = (request.form.get("order_number") or "").strip()[:64]
    contact = (request.form.get("contact") or "").strip()[:254]
    values = {"order_number": number, "contact": contact}
    errors = {}
    if not number:
        errors["order_number"] = i18n.t(locale, "lookup.required_number")
    if not contact:
        errors["contact"] = i18n.t(locale, "lookup.required_contact")
    if errors:
        return _page("portal/lookup.html", 422, shop=found, values=values, errors=errors)
    # Looked for while the attempt is counted; its answer is used only within the limits.
    finding = _ALONGSIDE.submit(_container().store.find_order_by_number, found.domain, number)
    wait = _retry_after(found.domain, number)
    if wait is not None:
        minutes = max(1, -(-wait // 60))
        return _error_page(
            429, "rate", shop=found, headers={"Retry-After": str(wait)}, minutes=minutes
        )
    view = finding.result()
    if view is None or not _contact_matches(view.order, contact):
        # One message for an unknown order and a wrong email: nothing confirms an order exists.
        logger.info("portal look-up did not match", extra={"shop": found.domain})
        errors = {"form": i18n.t(locale, "lookup.not_found")}
        return _page("portal/lookup.html", 422, shop=found, values=values, errors=errors)
    products = tuple(dict.fromkeys(ln.product_id for ln in view.order.line_items if ln.product_id))
    _start_session(found.domain, view.order.id, products[:MAX_PREFETCHED_PRODUCTS])
    logger.info("portal look-up", extra={"shop": found.domain, "order_id": view.order.id})
    return redirect(url_for(".order", shop=found.domain, order_id=view.order.id), 303)


@bp.post("/<shop>/sign-out")
def sign_out(shop: str) -> Any:
    found = _installed_shop(shop)
    if found is None:
        return _error_page(404, "not_found")
    if not _csrf_ok(_read_session()):
        return _error_page(400, "csrf", shop=found)
    g.portal_session = None
    g.portal_session_changed = True
    return redirect(url_for(".lookup", shop=found.domain), 303)


# -- what each line may be returned for ------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    """One order line as the portal shows it, with what the customer may choose for it."""

    line: LineItem
    returnable: int
    taken: int
    status: str  # returnable | claims_only | not_returnable | returned
    return_by: date | None
    report_by: date | None
    reasons: tuple[str, ...]
    reason_codes: tuple[str, ...]
    photos_required: int
    # Until when each merchant-fault reason may still be reported: (last day, reasons).
    claim_windows: tuple[tuple[date, tuple[str, ...]], ...] = ()

    @property
    def selectable(self) -> bool:
        return self.status in ("returnable", "claims_only")


def _probe(
    shop: Shop,
    view: OrderView,
    now: datetime,
    line_id: int,
    reasons: Iterable[str],
    resolutions: Iterable[str],
    conditions: Iterable[str],
    photos: int,
) -> list[Any]:
    """The policy's item decisions for each combination, asked one at a time."""
    from app.services.eligibility import RequestedLine, decide

    out = []
    for reason in reasons:
        for resolution in resolutions:
            for condition in conditions:
                probe = RequestedLine(
                    line_id, 1, reason, resolution, condition, photos=("probe",) * photos
                )
                out.append(decide(shop, view, [probe], now).items[0])
    return out


def _rows(
    shop: Shop, view: OrderView, now: datetime, reserved: Mapping[int, int] | None = None
) -> list[ItemRow]:
    """Each line: how many remain, until when, why, and which reasons the customer may give.

    order_eligibility gives quantities left and the preview; the portal also
    asks the policy about the accepted conditions and about merchant-fault
    claims, so a final-sale item can still be reported as damaged. `reserved` is read
    here unless the caller read it with the order.
    """
    from app.services.eligibility import order_eligibility

    if reserved is None:
        reserved = _container().store.reserved_quantities(shop.domain, view.order.id)
    rows = []
    for le in order_eligibility(shop, view, now, reserved):
        line = le.line
        if le.returnable_quantity == 0:
            rows.append(
                ItemRow(line, 0, le.already_returned, "returned", None, None, le.reasons, (), 0)
            )
            continue
        discretionary = _probe(
            shop,
            view,
            now,
            line.id,
            DISCRETIONARY,
            ("refund", "store_credit", "exchange"),
            ("unworn_tags_attached", "unopened"),
            0,
        )
        claims = _probe(
            shop, view, now, line.id, MERCHANT_FAULT, ("refund", "replacement"), ("unopened",), 20
        )
        open_ = [d for d in discretionary if d.eligible]
        open_claims = [d for d in claims if d.eligible]
        claim_codes = tuple(dict.fromkeys(d.reason.value for d in open_claims))
        by_day: dict[date, dict[str, None]] = {}
        for d in open_claims:
            if d.window_ends:
                by_day.setdefault(d.window_ends, {})[d.reason.value] = None
        windows = tuple((day, tuple(codes)) for day, codes in sorted(by_day.items()))
        report_by = windows[-1][0] if windows else None
        # Photo inputs only where a merchant-fault claim is still open.
        photos = max((d.photos_required for d in open_claims), default=0)
        if open_:
            best = open_[0]
            rows.append(
                ItemRow(
                    line,
                    le.returnable_quantity,
                    le.already_returned,
                    "returnable",
                    best.window_ends,
                    report_by,
                    best.reasons,
                    DISCRETIONARY + claim_codes,
                    photos,
                    windows,
                )
            )
            continue
        # Why not: the answer with the fewest objections is the one that names the real rule.
        why = min(discretionary, key=lambda d: len(d.reasons)).reasons
        rows.append(
            ItemRow(
                line,
                le.returnable_quantity,
                le.already_returned,
                "claims_only" if claim_codes else "not_returnable",
                None,
                report_by,
                why,
                claim_codes,
                photos,
                windows,
            )
        )
    return rows


def _prefetch_exchange_variants(shop: str, order_id: int) -> None:
    """For the session that looked this order up: ask Shopify for its products' other sizes
    now, alongside the order's own read (`_exchange_options` takes the answer)."""
    session = _read_session()
    if session is None or not session.products or not session.allows(shop, order_id):
        return
    gids = [f"gid://shopify/Product/{p}" for p in session.products]
    g.prefetched_variants = (set(gids), _ALONGSIDE.submit(_variants, _container(), shop, gids))


def _variants(container: Any, shop: str, gids: list[str]) -> dict[str, list[VariantOption]]:
    variants: dict[str, list[VariantOption]] = container.admin_for(shop).product_variants(gids)
    return variants


def _exchange_options(shop: Shop, rows: list[ItemRow]) -> dict[int, list[VariantOption]] | None:
    """The other variants of each selectable line's product, asked of Shopify once per request.

    None when Shopify could not be asked: the page then offers no exchange.
    """
    from app.shopify.errors import ShopifyError

    if "exchange_options" in g:
        return g.exchange_options
    lines = [r.line for r in rows if r.selectable and r.line.product_id]
    options: dict[int, list[VariantOption]] | None = {}
    if lines:
        products = {line.id: f"gid://shopify/Product/{line.product_id}" for line in lines}
        prefetched = g.get("prefetched_variants")
        try:
            if prefetched is not None and set(products.values()) <= prefetched[0]:
                variants = prefetched[1].result()
            else:
                variants = _variants(_container(), shop.domain, list(products.values()))
        except (ShopifyError, HemlineError) as exc:
            logger.warning(
                "portal exchange variants unavailable",
                extra={"shop": shop.domain, "error": type(exc).__name__},
            )
            options = None
        else:
            options = {
                line.id: [
                    v
                    for v in variants.get(products[line.id], [])
                    if v.numeric_id != line.variant_id
                ]
                for line in lines
            }
    g.exchange_options = options
    return options


# -- the request form --------------------------------------------------------------------------------


def _exchange_choice(
    form: MultiDict[str, str],
    lid: int,
    offered: list[VariantOption] | None,
    entry: dict[str, Any],
    errors: dict[str, str],
    locale: str,
) -> None:
    """The variant an exchange asks for: one of those offered and in stock, else a field error."""
    if offered is None:
        errors[f"resolution-{lid}"] = i18n.t(locale, "err.exchange_unavailable")
        return
    in_stock = {str(v.numeric_id): v for v in offered if v.available}
    if not in_stock:
        errors[f"resolution-{lid}"] = i18n.t(locale, "err.exchange_none")
        return
    given = (form.get(f"exchange_variant-{lid}") or "").strip()
    if not given:
        errors[f"exchange_variant-{lid}"] = i18n.t(locale, "err.exchange_variant")
    elif given not in in_stock:
        errors[f"exchange_variant-{lid}"] = i18n.t(locale, "err.exchange_variant_invalid")
    else:
        entry["exchange_variant"] = in_stock[given].numeric_id
        entry["exchange_title"] = in_stock[given].title


def _parse_lines(
    form: MultiDict[str, str],
    rows: list[ItemRow],
    locale: str,
    options: Mapping[int, list[VariantOption]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The chosen lines from the form, and an error per field (named as in the form).

    `options` are the variants an exchange may ask for, by line (None: Shopify unavailable).
    """
    chosen: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for row in rows:
        lid = row.line.id
        if not row.selectable or form.get(f"item-{lid}") != "1":
            continue
        entry: dict[str, Any] = {"id": lid}
        try:
            qty = int(form.get(f"qty-{lid}", ""))
        except ValueError:
            qty = 0
        if not 1 <= qty <= row.returnable:
            errors[f"qty-{lid}"] = i18n.t(locale, "err.quantity", max=row.returnable)
        entry["qty"] = qty
        reason = form.get(f"reason-{lid}", "")
        if reason not in DISCRETIONARY + MERCHANT_FAULT:
            errors[f"reason-{lid}"] = i18n.t(locale, "err.reason")
        elif reason not in row.reason_codes:
            key = "err.reason_claims_only" if row.status == "claims_only" else "err.reason_closed"
            errors[f"reason-{lid}"] = i18n.t(locale, key)
        entry["reason"] = reason
        condition = form.get(f"condition-{lid}", "")
        if condition not in CONDITIONS:
            errors[f"condition-{lid}"] = i18n.t(locale, "err.condition")
        entry["condition"] = condition
        resolution = form.get(f"resolution-{lid}", "")
        if resolution not in RESOLUTIONS:
            errors[f"resolution-{lid}"] = i18n.t(locale, "err.resolution")
        entry["resolution"] = resolution
        entry["exchange_variant"] = None
        entry["exchange_title"] = ""
        if resolution == "exchange":
            offered = None if options is None else options.get(lid, [])
            _exchange_choice(form, lid, offered, entry, errors, locale)
        wanted = (form.get(f"wanted-{lid}") or "").strip()
        if len(wanted) > MAX_WANTED_CHARS:
            errors[f"wanted-{lid}"] = i18n.t(locale, "err.too_long", max=MAX_WANTED_CHARS)
        entry["wanted"] = wanted if resolution == "exchange" else ""
        note = (form.get(f"note-{lid}") or "").strip()
        if len(note) > MAX_NOTE_CHARS:
            errors[f"note-{lid}"] = i18n.t(locale, "err.too_long", max=MAX_NOTE_CHARS)
        entry["note"] = note
        entry["expedited"] = resolution == "exchange" and form.get(f"expedited-{lid}") == "1"
        entry["photos"] = []
        chosen.append(entry)
    if not chosen and not errors:
        first = next((r for r in rows if r.selectable), None)
        errors["items" if first is None else f"item-{first.line.id}"] = i18n.t(
            locale, "err.choose_item"
        )
    return chosen, errors


def _files() -> Any:
    return getattr(_container(), "files", None)


def _direct_uploads() -> bool:
    """Photos come to the app in local mode (or without presigned uploads); else straight to S3."""
    files = _files()
    return files is None or _container().settings.is_local or not hasattr(files, "presigned_upload")


def _photo_error(locale: str, name: str, data: bytes) -> str | None:
    if not data:
        return i18n.t(locale, "err.photo_empty", name=name)
    if len(data) > MAX_PHOTO_BYTES:
        return i18n.t(locale, "err.photo_size", name=name)
    try:
        sniff_image(data)
    except InvalidInput:
        return i18n.t(locale, "err.photo_type", name=name)
    return None


def _take_photos(
    shop: Shop,
    order_id: int,
    chosen: list[dict[str, Any]],
    kept: Mapping[int, list[str]],
    locale: str,
) -> dict[str, str]:
    """Check every photo by its bytes, then file them; an error per line's photo field."""
    files = _files()
    errors: dict[str, str] = {}
    pending: list[tuple[dict[str, Any], bytes, str]] = []
    for entry in chosen:
        lid = entry["id"]
        field = f"photos-{lid}"
        entry["photos"] = list(kept.get(lid, []))
        if _direct_uploads():
            uploads = [f for f in request.files.getlist(field) if f and f.filename]
            if uploads and files is None:
                errors[field] = i18n.t(locale, "err.photos_unavailable")
                continue
            if len(uploads) + len(entry["photos"]) > MAX_PHOTOS_PER_LINE:
                errors[field] = i18n.t(locale, "err.photo_count", max=MAX_PHOTOS_PER_LINE)
                continue
            for upload in uploads:
                data = upload.stream.read(MAX_PHOTO_BYTES + 1)
                name = (upload.filename or "")[:80]
                problem = _photo_error(locale, name, data)
                if problem:
                    errors[field] = problem
                    break
                pending.append((entry, data, sniff_image(data)))
        else:
            keys = request.form.getlist(f"upload-{lid}")[:MAX_PHOTOS_PER_LINE]
            for n, key in enumerate(keys, start=1):
                if len(entry["photos"]) >= MAX_PHOTOS_PER_LINE:
                    break
                try:
                    entry["photos"].append(
                        accept_photo(files, key, shop=shop.domain, rma_id=str(order_id))
                    )
                except NotFound:
                    continue  # that slot was left empty
                except InvalidInput:
                    name = i18n.t(locale, "item.photo_slot", n=n)
                    errors[field] = i18n.t(locale, "err.photo_type", name=name)
                    break
    if errors:
        return errors
    for entry, data, content_type in pending:
        key = photo_key(shop.domain, str(order_id), content_type)
        files.put(key, data, content_type)
        entry["photos"].append(key)
    return {}


def _requested(entry: Mapping[str, Any]) -> RequestedLine:
    from app.services.eligibility import RequestedLine

    parts = []
    if entry.get("wanted"):
        parts.append(f"Wanted instead: {entry['wanted']}")
    if entry.get("note"):
        parts.append(entry["note"])
    return RequestedLine(
        line_item_id=int(entry["id"]),
        quantity=int(entry["qty"]),
        reason=entry["reason"],
        resolution=entry["resolution"],
        condition=entry["condition"],
        photos=tuple(entry.get("photos") or ()),
        expedited=bool(entry.get("expedited")),
        note="\n".join(parts) or None,
        exchange_variant_id=entry.get("exchange_variant"),
    )


def _values_of(lines: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Form values that show a selection again (to change it)."""
    values: dict[str, str] = {}
    for e in lines:
        lid = e["id"]
        values.update(
            {
                f"item-{lid}": "1",
                f"qty-{lid}": str(e["qty"]),
                f"reason-{lid}": e["reason"],
                f"condition-{lid}": e["condition"],
                f"resolution-{lid}": e["resolution"],
                f"exchange_variant-{lid}": str(e.get("exchange_variant") or ""),
                f"wanted-{lid}": e.get("wanted", ""),
                f"note-{lid}": e.get("note", ""),
                f"expedited-{lid}": "1" if e.get("expedited") else "",
            }
        )
    return values


def _load_selection(
    token: str | None, session: PortalSession, order_id: int
) -> dict[str, Any] | None:
    """A selection this session reviewed for this order (signed, 2 hours), or None."""
    if not token:
        return None
    try:
        data = _serializer(SELECTION_SALT).loads(token, max_age=SESSION_TTL_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("sid") != session.sid:
        return None
    if data.get("order") != str(order_id) or not isinstance(data.get("lines"), list):
        return None
    return data


def _upload_slots(
    shop: Shop, order_id: int, rows: list[ItemRow]
) -> dict[int, list[dict[str, Any]]]:
    """Presigned S3 forms, one per photo, for lines that may need photos (not in local mode)."""
    if _direct_uploads():
        return {}
    files = _files()
    prefix = photos_prefix(shop.domain, str(order_id))
    return {
        row.line.id: [
            files.presigned_upload(prefix, MAX_PHOTO_BYTES, PHOTO_TYPES)
            for _ in range(min(MAX_PHOTOS_PER_LINE, row.photos_required + 1))
        ]
        for row in rows
        if row.selectable and row.photos_required
    }


def _order_page(
    shop: Shop,
    view: OrderView,
    rows: list[ItemRow],
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    previous: str | None = None,
    kept: Mapping[int, list[str]] | None = None,
    status: int = 200,
) -> Any:
    from app.services.eligibility import policy_for

    policy = policy_for(shop)
    returns_read = _ALONGSIDE.submit(_container().store.rmas_for_order, shop.domain, view.order.id)
    exchange_options = _exchange_options(shop, rows)  # asks Shopify meanwhile
    returns = returns_read.result()
    return _page(
        "portal/order.html",
        status,
        shop=shop,
        order=view.order,
        rows=rows,
        values=values or {},
        errors=errors or {},
        previous=previous,
        kept={k: len(v) for k, v in (kept or {}).items()},
        returns=returns,
        discretionary=DISCRETIONARY,
        merchant_fault=MERCHANT_FAULT,
        conditions=CONDITIONS,
        resolutions=RESOLUTIONS,
        expedited_fee=policy.fees.expedited_exchange,
        exchange_options=exchange_options,
        exchange_unavailable=exchange_options is None,
        direct_uploads=_direct_uploads(),
        slots=_upload_slots(shop, view.order.id, rows),
    )


@bp.get("/<shop>/orders/<int:order_id>")
def order(shop: str, order_id: int) -> Any:
    _prefetch_exchange_variants(shop, order_id)
    auth = _authorize(shop, order_id)
    if not isinstance(auth, Access):
        return auth
    found, view, _session = auth.shop, auth.view, auth.session
    return _order_page(found, view, _rows(found, view, _container().clock.now(), auth.reserved))


@dataclass(frozen=True)
class Reviewed:
    access: Access
    selection: dict[str, Any]


def _reviewed(shop: str, order_id: int) -> Reviewed | Any:
    """A POST from the summary page: the visitor's access and the signed selection they reviewed,
    or the refusal to answer with (no session, bad CSRF token, tampered selection)."""
    auth = _authorize(shop, order_id)
    if not isinstance(auth, Access):
        return auth
    if not _csrf_ok(auth.session):
        return _error_page(400, "csrf", shop=auth.shop)
    selection = _load_selection(request.form.get("selection"), auth.session, order_id)
    if selection is None:
        return _error_page(400, "csrf", shop=auth.shop)
    return Reviewed(auth, selection)


@bp.post("/<shop>/orders/<int:order_id>/edit")
def edit(shop: str, order_id: int) -> Any:
    """Back from the summary to the form, with the reviewed choices filled in."""
    reviewed = _reviewed(shop, order_id)
    if not isinstance(reviewed, Reviewed):
        return reviewed
    found, view, selection = reviewed.access.shop, reviewed.access.view, reviewed.selection
    token = request.form.get("selection")
    kept = {int(e["id"]): list(e.get("photos") or []) for e in selection["lines"]}
    rows = _rows(found, view, _container().clock.now(), reviewed.access.reserved)
    return _order_page(
        found, view, rows, values=_values_of(selection["lines"]), previous=token, kept=kept
    )


@bp.post("/<shop>/orders/<int:order_id>/review")
def review(shop: str, order_id: int) -> Any:
    """Check the choices and the photos, then show what the policy decides: fees, refund, review."""
    from app.services.eligibility import decide

    if _direct_uploads():
        request.max_content_length = MAX_UPLOAD_BYTES
    auth = _authorize(shop, order_id)
    if not isinstance(auth, Access):
        return auth
    found, view, session = auth.shop, auth.view, auth.session
    if not _csrf_ok(session):
        return _error_page(400, "csrf", shop=found)
    locale = g.locale
    now = _container().clock.now()
    rows = _rows(found, view, now, auth.reserved)
    previous = request.form.get("previous")
    earlier = _load_selection(previous, session, order_id)
    kept = {int(e["id"]): list(e.get("photos") or []) for e in (earlier or {}).get("lines", [])}
    chosen, errors = _parse_lines(request.form, rows, locale, _exchange_options(found, rows))
    if not errors:
        errors = _take_photos(found, order_id, chosen, kept, locale)
    if not errors:
        try:
            decision = decide(found, view, [_requested(e) for e in chosen], now)
        except InvalidInput:
            errors = {"items": i18n.t(locale, "err.generic")}
    if errors:
        return _order_page(
            found,
            view,
            rows,
            values=request.form.to_dict(),
            errors=errors,
            previous=previous if earlier else None,
            kept=kept,
            status=422,
        )
    selection = {
        "sid": session.sid,
        "order": str(order_id),
        "at": now.isoformat(),
        "lines": chosen,
    }
    by_id = {row.line.id: row.line for row in rows}
    eligible = [d for d in decision.items if d.eligible]
    return _page(
        "portal/summary.html",
        shop=found,
        order=view.order,
        items=[(by_id[e["id"]], e, d) for e, d in zip(chosen, decision.items, strict=True)],
        decision=decision,
        all_eligible=len(eligible) == len(decision.items),
        merchant_pays=any(d.return_shipping_paid_by.value == "merchant" for d in eligible),
        money_back=any(d.resolution.gives_money_back for d in eligible),
        selection=_serializer(SELECTION_SALT).dumps(selection),
    )


def _already_submitted(shop: Shop, view: OrderView, selection: Mapping[str, Any]) -> Rma | None:
    """The RMA an earlier click on the same summary created (a double submit or a reload)."""
    since = datetime.fromisoformat(selection["at"])
    wanted = sorted((int(e["id"]), int(e["qty"])) for e in selection["lines"])
    for rma in _container().store.rmas_for_order(shop.domain, view.order.id):
        if (
            rma.created_at >= since
            and sorted((ln.line_item_id, ln.quantity) for ln in rma.lines) == wanted
        ):
            return rma
    return None


def _submit_errors(
    exc: InvalidInput, shop: Shop, view: OrderView, lines: list[RequestedLine], locale: str
) -> dict[str, str]:
    """What request_return refused, in the customer's words, next to the field it concerns."""
    from app.services.eligibility import decide

    field = exc.field or ""
    if m := re.fullmatch(r"items\[(\d+)\]\.exchange_variant_id", field):
        index = int(m[1])
        if index < len(lines):
            lid = lines[index].line_item_id
            return {f"exchange_variant-{lid}": i18n.t(locale, "err.exchange_variant")}
    if m := re.fullmatch(r"items\[(\d+)\]", field):
        index = int(m[1])
        if index < len(lines):
            decision = decide(shop, view, lines, _container().clock.now())
            words = [i18n.policy_text(locale, r)[0] for r in decision.items[index].reasons]
            return {f"item-{lines[index].line_item_id}": " ".join(words)}
    if field == "quantity":
        return {"items": i18n.t(locale, "err.quantity_taken")}
    if field == "items" and not lines:
        return {"items": i18n.t(locale, "err.choose_item")}
    return {"items": i18n.t(locale, "err.generic")}


@bp.post("/<shop>/orders/<int:order_id>/submit")
def submit(shop: str, order_id: int) -> Any:
    from app.services.returns import request_return

    reviewed = _reviewed(shop, order_id)
    if not isinstance(reviewed, Reviewed):
        return reviewed
    found, view, selection = reviewed.access.shop, reviewed.access.view, reviewed.selection
    token = request.form.get("selection")
    done = _already_submitted(found, view, selection)
    if done is not None:
        return redirect(url_for(".status", shop=found.domain, number=done.number), 303)
    lines = [_requested(e) for e in selection["lines"]]
    c = _container()
    try:
        rma = request_return(
            c.returns_context(),
            found,
            view,
            lines,
            customer_email=view.order.email,
            locale=g.locale,
        )
    except (InvalidInput, Conflict) as exc:
        done = _already_submitted(found, view, selection)
        if done is not None:
            return redirect(url_for(".status", shop=found.domain, number=done.number), 303)
        if isinstance(exc, InvalidInput):
            errors = _submit_errors(exc, found, view, lines, g.locale)
        else:
            errors = {"items": i18n.t(g.locale, "err.changed")}
        kept = {int(e["id"]): list(e.get("photos") or []) for e in selection["lines"]}
        return _order_page(
            found,
            view,
            _rows(found, view, c.clock.now()),
            values=_values_of(selection["lines"]),
            errors=errors,
            previous=token,
            kept=kept,
            status=422,
        )
    logger.info(
        "portal return submitted",
        extra={"shop": found.domain, "order_id": order_id, "rma": rma.number},
    )
    return redirect(url_for(".status", shop=found.domain, number=rma.number), 303)


# -- the status page --------------------------------------------------------------------------------


def _label_links(rma: Rma) -> dict[str, str | None]:
    """Where the label, its QR code and the tracking page are, from whatever the label step stored."""
    label = rma.label or {}
    files = _files()

    def url(direct: str, key: str) -> str | None:
        if label.get(direct):
            return label[direct]
        if label.get(key) and files is not None:
            return str(files.url(label[key], 3600))
        return None

    qr = url("qr_code_url", "qr_file_key") or label.get("qr_url")
    if qr is None and label.get("tracking_number"):
        # No provider QR image: draw one of the RMA number, as on the PDF label.
        args = {"t": request.args["t"]} if request.args.get("t") else {}
        qr = url_for(".status_qr", shop=rma.shop, number=rma.number, **args)
    return {
        "download": url("url", "file_key") or label.get("label_url"),
        "qr": qr,
        "tracking_number": label.get("tracking_number"),
        "tracking_url": label.get("tracking_url"),
        "carrier": label.get("carrier"),
    }


def _address_lines(shop: Shop) -> list[str]:
    """The shop's return address as printed on a parcel, when the merchant has set one."""
    address = getattr(shop, "return_address", None) or {}
    place = " ".join(
        p for p in (address.get("city"), address.get("province"), address.get("zip")) if p
    )
    lines = (address.get("name"), address.get("line1"), address.get("line2"), place)
    return [str(p) for p in (*lines, address.get("country_code")) if p]


def _visible_rma(shop: str, number: str) -> tuple[Shop | None, Rma | None, Any, Any]:
    """The RMA if this visitor may see it (its order's session, or a signed status link).

    Returns (shop, rma, session, None), or a refusal response in the last place.
    """
    found = _installed_shop(shop)
    if found is None or not RMA_NUMBER_RE.match(number):
        return None, None, None, _error_page(404, "not_found", shop=found)
    c = _container()
    token = request.args.get("t")
    session = _read_session()
    if token:
        if not _status_token_ok(token, found.domain, number):
            return None, None, None, _error_page(404, "not_found", shop=found)
        rma = c.store.get_rma(found.domain, number)
    else:
        if session is None or session.shop != found.domain or session.order_id is None:
            return None, None, None, redirect(url_for(".lookup", shop=found.domain))
        rma = c.store.get_rma(found.domain, number)
        # Another order's return looks exactly like a return that does not exist.
        if rma is not None and rma.order_id != session.order_id:
            rma = None
    if rma is None:
        return None, None, None, _error_page(404, "not_found", shop=found)
    return found, rma, session, None


@bp.get("/<shop>/returns/<number>/qr.svg")
def status_qr(shop: str, number: str) -> Any:
    """The label's QR code as an image: carriers scan it at drop-off instead of a printed label."""
    found, rma, _, refusal = _visible_rma(shop, number)
    if refusal is not None:
        return refusal
    assert rma is not None
    if not rma.label or not rma.label.get("tracking_number"):
        return _error_page(404, "not_found", shop=found)
    # Imported here: reportlab costs a cold start ~90 ms, and only this page needs it.
    from reportlab.graphics import renderSVG
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(rma.number, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(200, 200, transform=[200 / (x1 - x0), 0, 0, 200 / (y1 - y0), 0, 0])
    drawing.add(widget)
    svg = renderSVG.drawToString(drawing)
    response = current_app.response_class(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/<shop>/returns/<number>")
def status(shop: str, number: str) -> Any:
    """One return: open with the session of its order, or with the signed link from its emails."""
    from app.services.eligibility import policy_for

    found, rma, session, refusal = _visible_rma(shop, number)
    if refusal is not None:
        return refusal
    assert found is not None and rma is not None
    zone = ZoneInfo(found.timezone)
    policy = policy_for(found)
    return _page(
        "portal/status.html",
        shop=found,
        rma=rma,
        parcel=_label_links(rma),
        return_address=_address_lines(found),
        timeline=[(e.at.astimezone(zone), e) for e in rma.timeline],
        fmt_time=lambda at: i18n.format_datetime(g.locale, at),
        review_days=policy.review.deadline_business_days,
        own_order=session is not None and session.allows(found.domain, rma.order_id),
    )
