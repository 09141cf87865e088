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
        "mail.order_line": "Order {order_name}",
        "mail.view_return": "View your return",
        "mail.items": "Items",
        "mail.quantity": "Quantity: {quantity}",
        "mail.tracking_number": "Tracking number: {tracking_number}",
        "mail.questions": "Questions? Reply to this email to reach {shop_name}.",
        "mail.footer": "You are receiving this email because you started a return with {shop_name}.",
        "mail.footer_order": "You are receiving this email about your order from {shop_name}.",
        "mail.footer_merchant": "Hemline sends this digest to the support address in your settings for {shop_name}.",
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
        # merchant digest
        "merchant_digest.subject": "{shop_name}: returns that need you today",
        "merchant_digest.heading": "Returns past their deadlines",
        "merchant_digest.body": "These returns at {shop_name} are past the deadlines of your return policy. Customers are waiting on them.",
        "merchant_digest.section.reviews": "Waiting for review past the deadline",
        "merchant_digest.section.refunds": "Received but not refunded within your refund deadline",
        "merchant_digest.section.complaints": "Quality complaints not answered in time",
        "merchant_digest.row": "{rma_number} (order {order_name}): late by {late_by}",
        "merchant_digest.open_admin": "Open the returns desk",
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
        # delayed shipments
        "delay_apology.subject": "Order {order_name} is running late, and we are sorry",
        "delay_apology.heading": "Your order is running late",
        "delay_apology.heading_delivered": "Sorry your order was late",
        "delay_apology.body": "Your order {order_name} from {shop_name} has not reached you by the date we promised. We are sorry for the wait.",
        "delay_apology.body_delivered": "Your order {order_name} from {shop_name} reached you later than we promised. We are sorry for the wait.",
        "delay_apology.upgraded": "We have upgraded its shipping to {method}, at no cost to you.",
        "delay_apology.eta": "It should now arrive by {date}.",
        "delay_apology.credit": "To make up for it, we have added {amount} of store credit to your account. It is applied at checkout when you sign in with this email address.",
        "delay_apology.gift_card": "To make up for it, here is a gift card worth {amount}. Your gift card code: {code}. Enter it at checkout.",
        "delay_apology.method.standard": "Standard",
        "delay_apology.method.expedited": "Expedited",
        # backorder notices
        "backorder_notice.subject": "An item in your order {order_name} is delayed",
        "backorder_notice.heading": "Part of your order is on backorder",
        "backorder_notice.intro": "We are sorry: {shop_name} is out of stock of what is listed below, so it will take longer than usual to ship.",
        "backorder_notice.sku": "SKU {sku}",
        "backorder_notice.ship_by": "Expected to ship by {date}",
        "backorder_notice.ship_unknown": "Ship date not known yet",
        "backorder_notice.choose": "Choose what happens to this item:",
        "backorder_notice.refund_button": "Refund this item",
        "backorder_notice.refund_hint": "{amount} back to your original payment method.",
        "backorder_notice.keep_button": "Keep it on order",
        "backorder_notice.keep_hint": "We ship it as soon as it is back in stock. If you keep it, you do not need to do anything.",
        "backorder_notice.links_note": "Each link works once and for 30 days. You will see what it does and confirm before anything happens.",
        "backorder_notice.shipped_track": "Track what has already shipped",
        "oneclick.page_title": "Your order {order_name}",
        "oneclick.item": "{title}",
        "oneclick.item_sku": "{title} (SKU {sku})",
        "oneclick.refund_title": "Refund this item?",
        "oneclick.refund_what": "Refund {quantity} × {item} — {amount} to your original payment method.",
        "oneclick.refund_note": "The item is removed from your order and will not ship. This cannot be undone.",
        "oneclick.refund_confirm": "Refund {amount}",
        "oneclick.keep_title": "Keep this item on order?",
        "oneclick.keep_what": "Keep {quantity} × {item} on your order. {ship}.",
        "oneclick.keep_note": "We ship it as soon as it is back in stock. Nothing is charged again.",
        "oneclick.keep_confirm": "Keep it on order",
        "oneclick.refunded_title": "Refund issued",
        "oneclick.refunded_body": "{amount} is on its way back to your original payment method. Most banks show it within 5-10 business days.",
        "oneclick.kept_title": "Thank you, your order stays on file",
        "oneclick.kept_body": "We will ship {item} as soon as it is back in stock. {ship}.",
        "oneclick.used_title": "This link was already used",
        "oneclick.chosen_title": "You already chose for this item",
        "oneclick.done_refund": "On {date} you asked for a refund of {item}: {amount} went back to your original payment method.",
        "oneclick.done_refund_pending": "On {date} you asked for a refund of {item}. It is being processed.",
        "oneclick.done_keep": "On {date} you chose to keep {item} on your order. We ship it as soon as it is back in stock.",
        "oneclick.not_refundable_title": "This item can no longer be refunded here",
        "oneclick.not_refundable_body": "It may have shipped or been refunded meanwhile. Reply to the email from {shop_name} and they will help.",
        "oneclick.expired_title": "This link has expired",
        "oneclick.expired_body": "Links in backorder emails work for 30 days. Reply to the shop's email and they will help. Nothing was changed.",
        "oneclick.forged_title": "This link is not valid",
        "oneclick.forged_body": "It is not a link the shop sent. Open the link from the email itself, or reply to the shop's email. Nothing was changed.",
        "oneclick.malformed_title": "This link is incomplete",
        "oneclick.malformed_body": "Part of the link may be missing. Open it again from the email, or copy the whole link. Nothing was changed.",
        "oneclick.not_found_title": "This page does not exist",
        "oneclick.not_found_body": "The shop may no longer offer this. Reply to the shop's email and they will help.",
        "oneclick.unavailable_title": "Please try again in a few minutes",
        "oneclick.unavailable_body": "We could not reach the shop's systems. Nothing was changed, and your link still works.",
        "oneclick.confirm_missing": "Use the button on the page to confirm.",
    },
    "zh-CN": {
        "mail.greeting": "{name}，您好：",
        "mail.greeting_anonymous": "您好：",
        "mail.rma_line": "退货编号 {rma_number}",
        "mail.rma_order_line": "订单 {order_name} 的退货，编号 {rma_number}",
        "mail.order_line": "订单 {order_name}",
        "mail.view_return": "查看退货详情",
        "mail.items": "商品",
        "mail.quantity": "数量：{quantity}",
        "mail.tracking_number": "运单号：{tracking_number}",
        "mail.questions": "如有疑问，请直接回复此邮件联系 {shop_name}。",
        "mail.footer": "您收到此邮件，是因为您在 {shop_name} 发起了退货。",
        "mail.footer_order": "您收到此邮件，是因为您在 {shop_name} 下了订单。",
        "mail.footer_merchant": "Hemline 将此摘要发送到 {shop_name} 设置中的客服邮箱。",
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
        # merchant digest
        "merchant_digest.subject": "{shop_name}：今天需要处理的退货",
        "merchant_digest.heading": "已超过期限的退货",
        "merchant_digest.body": "{shop_name} 的以下退货已超过退货政策规定的期限，顾客正在等待处理。",
        "merchant_digest.section.reviews": "超过审核期限仍待审核",
        "merchant_digest.section.refunds": "已收货但未在退款期限内退款",
        "merchant_digest.section.complaints": "未按时答复的质量投诉",
        "merchant_digest.row": "{rma_number}（订单 {order_name}）：已逾期 {late_by}",
        "merchant_digest.open_admin": "打开退货工作台",
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
        # delayed shipments
        "delay_apology.subject": "很抱歉，您的订单 {order_name} 延误了",
        "delay_apology.heading": "您的订单延误了",
        "delay_apology.heading_delivered": "很抱歉，您的订单迟到了",
        "delay_apology.body": "您在 {shop_name} 的订单 {order_name} 未能在承诺的日期前送达。让您久等了，我们深表歉意。",
        "delay_apology.body_delivered": "您在 {shop_name} 的订单 {order_name} 晚于承诺的日期送达。让您久等了，我们深表歉意。",
        "delay_apology.upgraded": "我们已将配送方式免费升级为{method}。",
        "delay_apology.eta": "预计将于 {date} 前送达。",
        "delay_apology.credit": "为表歉意，我们已向您的账户发放 {amount} 店铺余额。使用此邮箱登录后，结账时即可抵扣。",
        "delay_apology.gift_card": "为表歉意，我们送您一张价值 {amount} 的礼品卡。您的礼品卡代码：{code}。结账时输入即可使用。",
        "delay_apology.method.standard": "标准配送",
        "delay_apology.method.expedited": "加急配送",
        # backorder notices
        "backorder_notice.subject": "您的订单 {order_name} 中有商品延迟发货",
        "backorder_notice.heading": "您订单中的部分商品暂时缺货",
        "backorder_notice.intro": "非常抱歉：{shop_name} 以下商品暂时缺货，发货时间会比平常更长。",
        "backorder_notice.sku": "SKU：{sku}",
        "backorder_notice.ship_by": "预计 {date} 前发货",
        "backorder_notice.ship_unknown": "发货日期暂未确定",
        "backorder_notice.choose": "请选择如何处理此商品：",
        "backorder_notice.refund_button": "退款此商品",
        "backorder_notice.refund_hint": "{amount} 将退回您的原支付方式。",
        "backorder_notice.keep_button": "保留订单，等待发货",
        "backorder_notice.keep_hint": "商品到货后我们会立即发货。选择保留无需任何操作。",
        "backorder_notice.links_note": "每个链接仅可使用一次，30 天内有效。操作前会先显示说明并请您确认。",
        "backorder_notice.shipped_track": "查看已发货商品的物流",
        "oneclick.page_title": "您的订单 {order_name}",
        "oneclick.item": "{title}",
        "oneclick.item_sku": "{title}（SKU：{sku}）",
        "oneclick.refund_title": "确认退款此商品？",
        "oneclick.refund_what": "退款 {quantity} × {item}——{amount} 将退回您的原支付方式。",
        "oneclick.refund_note": "此商品将从订单中移除，不再发货。此操作无法撤销。",
        "oneclick.refund_confirm": "确认退款 {amount}",
        "oneclick.keep_title": "确认保留此商品的订单？",
        "oneclick.keep_what": "保留订单中的 {quantity} × {item}。{ship}。",
        "oneclick.keep_note": "商品到货后我们会立即发货，不会再次扣款。",
        "oneclick.keep_confirm": "保留订单",
        "oneclick.refunded_title": "退款已发起",
        "oneclick.refunded_body": "{amount} 正在退回您的原支付方式。大多数银行会在 5-10 个工作日内到账。",
        "oneclick.kept_title": "谢谢，您的订单已保留",
        "oneclick.kept_body": "{item} 到货后我们会立即发货。{ship}。",
        "oneclick.used_title": "此链接已使用过",
        "oneclick.chosen_title": "您已为此商品做过选择",
        "oneclick.done_refund": "您已于 {date} 申请退款 {item}：{amount} 已退回您的原支付方式。",
        "oneclick.done_refund_pending": "您已于 {date} 申请退款 {item}，正在处理中。",
        "oneclick.done_keep": "您已于 {date} 选择保留订单中的 {item}。商品到货后我们会立即发货。",
        "oneclick.not_refundable_title": "此商品已无法在此退款",
        "oneclick.not_refundable_body": "该商品可能已发货或已退款。请回复 {shop_name} 的邮件，商家会为您处理。",
        "oneclick.expired_title": "此链接已过期",
        "oneclick.expired_body": "缺货通知邮件中的链接有效期为 30 天。请回复商家的邮件，商家会为您处理。订单未做任何更改。",
        "oneclick.forged_title": "此链接无效",
        "oneclick.forged_body": "这不是商家发送的链接。请直接打开邮件中的链接，或回复商家的邮件。订单未做任何更改。",
        "oneclick.malformed_title": "此链接不完整",
        "oneclick.malformed_body": "链接可能缺少部分内容。请从邮件中重新打开，或复制完整链接。订单未做任何更改。",
        "oneclick.not_found_title": "页面不存在",
        "oneclick.not_found_body": "商家可能已不再提供此服务。请回复商家的邮件，商家会为您处理。",
        "oneclick.unavailable_title": "请稍后再试",
        "oneclick.unavailable_body": "暂时无法连接商家的系统。订单未做任何更改，链接仍然有效。",
        "oneclick.confirm_missing": "请使用页面上的按钮确认。",
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


def shop_locale(country: str) -> str:
    """The language to write in when nobody said: the shop's country's (Chinese in CN)."""
    return "zh-CN" if country == "CN" else DEFAULT_LOCALE


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
