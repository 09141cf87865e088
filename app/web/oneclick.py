"""One-click links from backorder emails: a confirmation page, then the action, once.

`GET /o/<token>` only describes what the link does (mail scanners and link previews
open links, so a GET never acts); the page's form posts back to the same URL with a
confirm field, and only that POST refunds the item or keeps it on order. The signed
token in the path is the credential; it names one action on one line of one order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, render_template, request

from app import i18n
from app.errors import NotFound, UpstreamError
from app.observability import logger

if TYPE_CHECKING:
    from app.services.backorders import LinkOffer, LinkRefused
    from app.services.proactive import ProactiveContext

bp = Blueprint("oneclick", __name__)

# A link that is not ours is forbidden, one past its date is gone, a cut one is a bad request.
REFUSED_STATUS = {"malformed": 400, "forged": 403, "expired": 410}
CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"


@bp.after_request
def _headers(response: Response) -> Response:
    # The token in the URL is a credential: never cached, framed, indexed or sent on.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/o/<token>")
def confirm(token: str) -> Any:
    """What the link will do, with a button to do it; an already used link says what was done."""
    from app.services import backorders
    from app.services.backorders import LinkRefused

    try:
        offer = backorders.open_link(_ctx(), token)
    except LinkRefused as exc:
        return _refused(exc)
    except NotFound:
        return _error(404, "not_found")
    except UpstreamError:
        return _error(503, "unavailable")
    if offer.choice:
        used = offer.choice.get("jti") == offer.claims.jti
        return _done(offer, "already_used" if used else "already_chosen", offer.choice, 200)
    return _confirm_page(offer, 200)


@bp.post("/o/<token>")
def act(token: str) -> Any:
    """Refund the item or keep it on order, once; a second use changes nothing."""
    from app.services import backorders
    from app.services.backorders import LinkRefused

    ctx = _ctx()
    if request.form.get(CONFIRM_FIELD) != CONFIRM_VALUE:
        try:
            offer = backorders.open_link(ctx, token)
        except LinkRefused as exc:
            return _refused(exc)
        except NotFound:
            return _error(404, "not_found")
        return _confirm_page(offer, 400, message="oneclick.confirm_missing")
    try:
        result = backorders.use_link(ctx, token)
    except LinkRefused as exc:
        return _refused(exc)
    except NotFound:
        return _error(404, "not_found")
    except UpstreamError as exc:
        logger.warning("one-click action not done", extra={"error": str(exc)})
        return _error(503, "unavailable")
    status = 409 if result.outcome in ("already_used", "already_chosen") else 200
    if result.outcome == "not_refundable":
        return _page(
            "oneclick/error.html",
            409,
            result.offer.locale,
            kind="not_refundable",
            shop=result.offer.shop,
            shop_name=_shop_name(result.offer),
        )
    return _done(result.offer, result.outcome, result.choice, status)


# -- pages ---------------------------------------------------------------------------------


def _ctx() -> ProactiveContext:
    return current_app.extensions["hemline"].proactive_context()


def _locale(default: str | None) -> str:
    """?lang= wins, then the customer's language from the order, then the browser's."""
    asked = request.args.get("lang")
    if asked:
        return i18n.normalize_locale(asked)
    if default:
        return i18n.normalize_locale(default)
    return i18n.normalize_locale(request.accept_languages.best_match(("en", "zh-CN", "zh")))


def _page(template: str, status: int, locale: str | None, **context: Any) -> Any:
    lang = _locale(locale)
    body = render_template(
        template,
        lang=lang,
        t=lambda key, **kw: i18n.t(lang, key, **kw),
        money=lambda amount, currency: i18n.format_money(amount, currency, lang),
        date=lambda value: i18n.format_date(value, lang),
        **context,
    )
    return body, status


def _refused(exc: LinkRefused) -> Any:
    logger.info("one-click link refused", extra={"reason": exc.reason})
    return _page(
        "oneclick/error.html", REFUSED_STATUS.get(exc.reason, 403), None, kind=exc.reason, shop=None
    )


def _error(status: int, kind: str) -> Any:
    return _page("oneclick/error.html", status, None, kind=kind, shop=None)


def _shop_name(offer: LinkOffer) -> str:
    return offer.shop.name or offer.shop.domain


def _item_text(offer: LinkOffer, lang: str) -> str:
    line = offer.line
    if line.sku:
        return i18n.t(lang, "oneclick.item_sku", title=line.title, sku=line.sku)
    return i18n.t(lang, "oneclick.item", title=line.title)


def _confirm_page(offer: LinkOffer, status: int, message: str | None = None) -> Any:
    from app.services import backorders

    lang = _locale(offer.locale)
    return _page(
        "oneclick/confirm.html",
        status,
        offer.locale,
        offer=offer,
        shop=offer.shop,
        shop_name=_shop_name(offer),
        item=_item_text(offer, lang),
        amount=i18n.format_money(offer.line.amount, offer.currency, lang),
        ship=backorders.expected_ship_text(offer.line.ship_by, lang),
        message=message,
        confirm_field=CONFIRM_FIELD,
        confirm_value=CONFIRM_VALUE,
    )


def _done(offer: LinkOffer, outcome: str, choice: Mapping[str, Any], status: int) -> Any:
    """The page after an action, or for a link whose line was already decided."""
    from app.services import backorders

    lang = _locale(offer.locale)
    item = _item_text(offer, lang)
    result = choice.get("result") or {}
    amount = (
        i18n.format_money(_decimal(result["amount"]), str(result["currency"]), lang)
        if result.get("amount") is not None
        else i18n.format_money(offer.line.amount, offer.currency, lang)
    )
    at = choice.get("at")
    when = (
        i18n.format_date(datetime.fromisoformat(at).astimezone(offer.shop.zone), lang) if at else ""
    )
    if choice.get("action") == backorders.REFUND:
        key = (
            "oneclick.done_refund"
            if choice.get("status") == "done"
            else "oneclick.done_refund_pending"
        )
    else:
        key = "oneclick.done_keep"
    return _page(
        "oneclick/done.html",
        status,
        offer.locale,
        outcome=outcome,
        offer=offer,
        shop=offer.shop,
        shop_name=_shop_name(offer),
        item=item,
        amount=amount,
        ship=backorders.expected_ship_text(offer.line.ship_by, lang),
        what=i18n.t(lang, key, date=when, item=item, amount=amount),
    )


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
