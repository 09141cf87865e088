"""Customer emails: render a template in the customer's language, send it once per event.

`send_once` claims `mail:<key>` in the effect ledger before sending, so a
retried job or a second worker never sends the same email twice. A send that
raised releases the claim (the retry sends). A claim left started by a worker
that died is taken over after a lease: at that point the email may or may not
have gone, and a rare duplicate is better than an email that never arrives.
`drop_unsent` settles an event whose email a later one made pointless.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app import i18n
from app.adapters.dynamo.ledger import DynamoLedger
from app.adapters.mail import Mailer, Message
from app.clock import Clock
from app.errors import InvalidInput, UpstreamError
from app.observability import logger

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
LEASE = timedelta(minutes=2)
POLL_S = 0.1

# What each template cannot do without; everything else in its context is optional.
COMMON = ("shop_name", "rma_number")
REQUIRED: dict[str, tuple[str, ...]] = {
    "return_requested": COMMON,
    "return_approved": COMMON,
    "return_declined": (*COMMON, "reason"),
    "return_received": COMMON,
    "refund_issued": (*COMMON, "amount", "currency"),
    "store_credit_issued": (*COMMON, "amount", "currency"),
    "exchange_shipped": COMMON,
    # Proactive service: about an order, not a return.
    "backorder_notice": ("shop_name", "order_name", "items"),
    "delay_apology": ("shop_name", "order_name"),
    "merchant_digest": ("shop_name", "sections"),
}
TEMPLATES = tuple(REQUIRED)

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    # HTML parts escape every value (names, reasons and titles are customer or staff text);
    # text parts are not HTML and must not be escaped.
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def render_email(template: str, context: Mapping[str, Any], locale: str) -> RenderedEmail:
    """Subject, HTML and text of `template` in `locale`; raises InvalidInput for an unknown
    template or missing context."""
    if template not in REQUIRED:
        raise InvalidInput(f"unknown email template {template!r}", "template")
    missing = [k for k in REQUIRED[template] if context.get(k) in (None, "")]
    if missing:
        raise InvalidInput(f"{template} needs {', '.join(missing)}", "context")
    for name, value in context.items():
        # Escaping does not stop a javascript: link; only web links go into an email.
        if name.endswith("_url") and value and not str(value).startswith(("https://", "http://")):
            raise InvalidInput("must be an http(s) URL", f"context.{name}")
    lang = i18n.normalize_locale(locale)
    values: dict[str, Any] = {
        "customer_name": None,
        "order_name": None,
        "rma_number": None,
        "portal_url": None,
        "items": (),
        **context,
    }
    if "amount" in values:
        values["amount_text"] = i18n.format_money(values["amount"], values["currency"], lang)
    helpers = {
        "lang": lang,
        "sp": i18n.SENTENCE_GAP[lang],
        "colon": i18n.COLON[lang],
        "t": partial(i18n.t, lang),
        "money": partial(i18n.format_money, locale=lang),
        "date": partial(i18n.format_date, locale=lang),
    }
    subject = i18n.t(lang, f"{template}.subject", **_subject_values(values))
    html = _env.get_template(f"email/{template}.html").render(**values, **helpers, subject=subject)
    text = _env.get_template(f"email/{template}.txt").render(**values, **helpers, subject=subject)
    return RenderedEmail(subject=subject, html=html, text=text)


def _subject_values(values: Mapping[str, Any]) -> dict[str, Any]:
    # A subject is one line whatever a shop or customer typed.
    return {
        k: " ".join(str(v).split()) if isinstance(v, str) else v
        for k, v in {
            "rma_number": values.get("rma_number"),
            "order_name": values.get("order_name"),
            "shop_name": values["shop_name"],
            "amount": values.get("amount_text"),
            "total": values.get("total"),
        }.items()
    }


def send_once(
    *,
    shop: str,
    key: str,
    to: str,
    template: str,
    context: Mapping[str, Any],
    locale: str,
    mailer: Mailer,
    ledger: DynamoLedger,
    clock: Clock,
    reply_to: str | None = None,
    lease: timedelta = LEASE,
    wait_s: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Send the email for event `key` unless it was sent: "sent" or "already_sent".

    Raises InvalidInput (bad template, context or address), UpstreamError from the
    mailer (the claim is released, so a retry sends), or UpstreamError(retryable)
    while another worker is sending the same email.
    """
    rendered = render_email(
        template, context, locale
    )  # before the claim: a bad template claims nothing
    message = Message(
        to=to,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        reply_to=reply_to,
        # Stops mail apps from threading every return email of a shop into one conversation.
        headers={"X-Entity-Ref-ID": key},
    )
    effect = f"mail:{key}"
    # The ledger keeps the template name only: never the address or the content.
    data = {"template": template}
    deadline = time.monotonic() + wait_s
    record = ledger.claim(shop, effect, at=clock.now(), data=data)
    takeover: str | None = None
    while record is not None:
        if record.status == "done":
            return "already_sent"
        age = clock.now() - datetime.fromisoformat(record.started_at)
        if age >= lease:
            # One worker per lease window takes over a claim whose worker died.
            takeover = f"{effect}:takeover:{int(age / lease)}"
            if ledger.claim(shop, takeover, at=clock.now()) is not None:
                raise UpstreamError("another worker is sending this email", retryable=True)
            break
        if time.monotonic() >= deadline:
            raise UpstreamError("this email is being sent by another worker", retryable=True)
        sleep(POLL_S)
        record = ledger.get(shop, effect) or ledger.claim(shop, effect, at=clock.now(), data=data)
    try:
        message_id = mailer.send(message)
    except Exception:
        ledger.release(shop, effect)
        if takeover:
            ledger.release(shop, takeover)
        raise
    ledger.complete(shop, effect, {"template": template, "message_id": message_id})
    if takeover:
        ledger.release(shop, takeover)
    logger.info("email sent", extra={"shop": shop, "key": key, "template": template})
    return "sent"


def drop_unsent(
    *, shop: str, key: str, template: str, reason: str, ledger: DynamoLedger, clock: Clock
) -> bool:
    """Settle event `key` without sending its email (a later email said more); True when
    dropped, False when it was sent or is being sent. Recorded, so the email is never sent
    afterwards and anyone counting the emails can tell dropped from lost."""
    effect = f"mail:{key}"
    if ledger.claim(shop, effect, at=clock.now(), data={"template": template}) is not None:
        return False
    ledger.complete(shop, effect, {"template": template, "dropped": reason})
    logger.info("email dropped", extra={"shop": shop, "key": key, "reason": reason})
    return True
