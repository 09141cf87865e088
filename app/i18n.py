"""Translated strings (English and Simplified Chinese), money and date formats, in one place.

Emails and the customer portal both call `t(locale, key, **values)`. Strings
are plain text: templates add the markup, and escape the values (customer
text) along with the rest.
"""

# Chinese text uses full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

LOCALES = ("en", "zh-CN")
DEFAULT_LOCALE = "en"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "mail.greeting": "Hi {name},",
        "mail.greeting_anonymous": "Hello,",
        "mail.rma_line": "Return {rma_number}",
        "mail.rma_order_line": "Return {rma_number} for order {order_name}",
        "mail.view_return": "View your return",
        "mail.items": "Items",
        "mail.quantity": "Quantity: {quantity}",
        "mail.tracking_number": "Tracking number: {tracking_number}",
        "mail.questions": "Questions? Reply to this email to reach {shop_name}.",
        "mail.footer": "You are receiving this email because you started a return with {shop_name}.",
        "return_requested.subject": "We received your return request {rma_number}",
        "return_requested.heading": "Your return request is in",
        "return_requested.body": "Thanks for letting us know. {shop_name} will review your request and email you once it has been reviewed.",
        "return_approved.subject": "Your return {rma_number} is approved",
        "return_approved.heading": "Your return is approved",
        "return_approved.intro": "Here is how to send your items back.",
        "return_approved.step_pack": "Pack the items securely, with their tags and accessories.",
        "return_approved.step_label": "Print the return label and stick it on the parcel, covering any old labels.",
        "return_approved.step_qr": "No printer? Show the QR code at the post office and they will print the label for you.",
        "return_approved.step_address": "Write your return number {rma_number} on a note inside the parcel and send it to the address below.",
        "return_approved.step_drop_carrier": "Drop the parcel off with {carrier}.",
        "return_approved.step_drop": "Drop the parcel off with the carrier.",
        "return_approved.ship_by": "Please send it by {date}.",
        "return_approved.label_button": "Download your return label",
        "return_approved.qr_link": "Show the QR code",
        "return_approved.return_address": "Return address",
        "return_approved.notes": "Notes from {shop_name}",
        "return_declined.subject": "An update on your return request {rma_number}",
        "return_declined.heading": "We could not approve your return",
        "return_declined.reason_intro": "{shop_name} gave this reason:",
        "return_declined.next": "If you think this is a mistake or have questions, reply to this email.",
        "return_received.subject": "We received your return {rma_number}",
        "return_received.heading": "Your parcel has arrived",
        "return_received.body": "{shop_name} has received your items and will check them. We will email you again when your refund, store credit or exchange is on its way.",
        "refund_issued.subject": "Your refund of {amount} is on its way",
        "refund_issued.heading": "Refund issued",
        "refund_issued.body": "{shop_name} has refunded {amount} to your original payment method.",
        "refund_issued.timing": "Most banks show it within 5-10 business days.",
        "store_credit_issued.subject": "You have {amount} in store credit",
        "store_credit_issued.heading": "Store credit issued",
        "store_credit_issued.body": "{shop_name} has added {amount} of store credit to your account. It is applied at checkout when you sign in with this email address.",
        "store_credit_issued.expires": "It expires on {date}.",
        "store_credit_issued.shop_button": "Shop now",
        "store_credit_issued.gift_card": "{shop_name} could not add store credit to an account for this order, so it is a gift card instead. Your gift card code: {code}. Enter it at checkout.",
        "exchange_shipped.subject": "Your exchange for return {rma_number} has shipped",
        "exchange_shipped.heading": "Your exchange is on its way",
        "exchange_shipped.body": "{shop_name} has shipped your replacement items.",
        "exchange_shipped.body_carrier": "{shop_name} has shipped your replacement items with {carrier}.",
        "exchange_shipped.track_button": "Track your parcel",
    },
    "zh-CN": {
        "mail.greeting": "{name}，您好：",
        "mail.greeting_anonymous": "您好：",
        "mail.rma_line": "退货编号 {rma_number}",
        "mail.rma_order_line": "订单 {order_name} 的退货，编号 {rma_number}",
        "mail.view_return": "查看退货详情",
        "mail.items": "商品",
        "mail.quantity": "数量：{quantity}",
        "mail.tracking_number": "运单号：{tracking_number}",
        "mail.questions": "如有疑问，请直接回复此邮件联系 {shop_name}。",
        "mail.footer": "您收到此邮件，是因为您在 {shop_name} 发起了退货。",
        "return_requested.subject": "我们已收到您的退货申请 {rma_number}",
        "return_requested.heading": "退货申请已提交",
        "return_requested.body": "感谢您的告知。{shop_name} 将审核您的申请，审核完成后会发邮件通知您。",
        "return_approved.subject": "您的退货 {rma_number} 已获批准",
        "return_approved.heading": "退货已获批准",
        "return_approved.intro": "请按以下步骤寄回商品。",
        "return_approved.step_pack": "将商品妥善包装，并附上吊牌和配件。",
        "return_approved.step_label": "打印退货面单并贴在包裹上，盖住旧的面单。",
        "return_approved.step_qr": "没有打印机？在邮局出示二维码，工作人员会为您打印面单。",
        "return_approved.step_address": "请在包裹内附上写有退货编号 {rma_number} 的字条，并寄到以下地址。",
        "return_approved.step_drop_carrier": "将包裹交给 {carrier}。",
        "return_approved.step_drop": "将包裹交给承运商。",
        "return_approved.ship_by": "请在 {date} 前寄出。",
        "return_approved.label_button": "下载退货面单",
        "return_approved.qr_link": "显示二维码",
        "return_approved.return_address": "退货地址",
        "return_approved.notes": "{shop_name} 的说明",
        "return_declined.subject": "关于您的退货申请 {rma_number} 的处理结果",
        "return_declined.heading": "很抱歉，您的退货申请未获批准",
        "return_declined.reason_intro": "{shop_name} 给出的原因：",
        "return_declined.next": "如您认为处理有误或有任何疑问，请直接回复此邮件。",
        "return_received.subject": "我们已收到您退回的商品 {rma_number}",
        "return_received.heading": "您的包裹已送达",
        "return_received.body": "{shop_name} 已收到您退回的商品，将进行检查。退款、店铺余额或换货处理后，我们会再发邮件通知您。",
        "refund_issued.subject": "您的退款 {amount} 已发起",
        "refund_issued.heading": "退款已发起",
        "refund_issued.body": "{shop_name} 已将 {amount} 退回您的原支付方式。",
        "refund_issued.timing": "大多数银行会在 5-10 个工作日内到账。",
        "store_credit_issued.subject": "您已获得 {amount} 店铺余额",
        "store_credit_issued.heading": "店铺余额已发放",
        "store_credit_issued.body": "{shop_name} 已向您的账户发放 {amount} 店铺余额。使用此邮箱登录后，结账时即可抵扣。",
        "store_credit_issued.expires": "有效期至 {date}。",
        "store_credit_issued.shop_button": "去购物",
        "store_credit_issued.gift_card": "{shop_name} 无法将余额存入此订单的账户，因此改为礼品卡。您的礼品卡代码：{code}。结账时输入即可使用。",
        "exchange_shipped.subject": "您的换货（退货编号 {rma_number}）已发货",
        "exchange_shipped.heading": "换货已发出",
        "exchange_shipped.body": "{shop_name} 已寄出您的换货商品。",
        "exchange_shipped.body_carrier": "{shop_name} 已通过 {carrier} 寄出您的换货商品。",
        "exchange_shipped.track_button": "查看物流",
    },
}

# Between a label and its value, and between sentences: Chinese uses full-width
# punctuation and no spaces.
COLON = {"en": ": ", "zh-CN": "："}
SENTENCE_GAP = {"en": " ", "zh-CN": ""}

# ISO 4217 minor units that are not 2, and symbols people recognise; others print the code only.
MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "KWD": 3, "BHD": 3}
SYMBOLS = {
    "USD": "$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "HKD": "HK$",
    "SGD": "S$",
}


def normalize_locale(value: str | None) -> str:
    """One of LOCALES from what a browser or Shopify says (zh, zh_CN, zh-Hans, en-GB...)."""
    tag = (value or "").replace("_", "-").lower()
    if tag.startswith("zh") and not tag.startswith(("zh-tw", "zh-hk", "zh-hant")):
        return "zh-CN"
    return DEFAULT_LOCALE


def t(locale: str, key: str, **values: object) -> str:
    """The string `key` in `locale` (English when untranslated), with `values` filled in.

    Raises KeyError for a key no locale has: a typo should fail a test, not reach a customer.
    """
    table = STRINGS.get(normalize_locale(locale), STRINGS[DEFAULT_LOCALE])
    template = table.get(key) or STRINGS[DEFAULT_LOCALE][key]
    return template.format(**values)


def format_money(amount: Decimal, currency: str, locale: str = DEFAULT_LOCALE) -> str:
    """`$1,234.50 USD`: the symbol for recognition, the code so $ is never ambiguous."""
    if not isinstance(amount, Decimal):
        raise TypeError("money must be a Decimal")
    code = currency.upper()
    places = MINOR_UNITS.get(code, 2)
    exact = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    number = f"{abs(exact):,.{places}f}"
    sign = "-" if exact < 0 else ""
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{number} {code}" if symbol else f"{sign}{number} {code}"


def format_date(value: date | datetime, locale: str = DEFAULT_LOCALE) -> str:
    """A calendar date as people there write it: `December 3, 2026` / `2026年12月3日`."""
    day = value.date() if isinstance(value, datetime) else value
    if normalize_locale(locale) == "zh-CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day:%B} {day.day}, {day.year}"
