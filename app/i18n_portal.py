"""Every string of the customer returns portal, in English and Simplified Chinese.

`t(locale, key, **kw)` looks a string up (English when a key is missing) and
fills its `{placeholders}`. The policy engine writes its reasons in English;
`policy_text` renders them in the customer's language and date format.
"""

# Chinese text is written with full-width commas, colons and brackets, as it should be.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from policies.vocabulary import DEFECT_EXPLANATION, DefectCode

LOCALES = ("en", "zh-CN")
DEFAULT_LOCALE = "en"
# Accept-Language tags (lower case) that mean Simplified Chinese.
_ZH_TAGS = frozenset({"zh", "zh-cn", "zh-hans", "zh-hans-cn"})

PORTAL: dict[str, dict[str, str]] = {
    "en": {
        # Page frame
        "portal.title": "Returns and exchanges",
        "lang.label": "Language",
        "lang.en": "English",
        "lang.zh-CN": "中文",
        "list.separator": ", ",
        "nav.other_order": "Look up another order",
        "nav.sign_out": "Sign out",
        # Look-up
        "lookup.title": "Start a return",
        "lookup.intro": (
            "Enter your order number and the email address or postal code from your order"
            " confirmation."
        ),
        "lookup.order_number": "Order number",
        "lookup.order_number_hint": "For example #1001. It is in your order confirmation email.",
        "lookup.contact": "Email or postal code",
        "lookup.contact_hint": "The email address or the shipping postal code of the order.",
        "lookup.submit": "Find my order",
        "lookup.not_found": (
            "We couldn't find an order with those details. Check the order number and the email"
            " or postal code on your confirmation."
        ),
        "lookup.required_number": "Enter your order number.",
        "lookup.required_contact": "Enter the email address or postal code of the order.",
        "lookup.session_ended": "Look up your order to continue.",
        # Error pages
        "error.error.title": "Something went wrong",
        "error.error.body": "Please try again in a moment.",
        "error.not_found.title": "Page not found",
        "error.not_found.body": (
            "We couldn't find this page. Check the link, or look up your order again."
        ),
        "error.csrf.title": "This form has expired",
        "error.csrf.body": (
            "For your security, the form could not be sent. Go back, reload the page and try again."
        ),
        "error.rate.title": "Too many attempts",
        "error.rate.body": (
            "For your security, order look-ups are paused. Try again in {minutes} minutes."
        ),
        "error.unavailable.title": "Please try again shortly",
        "error.unavailable.body": (
            "We couldn't reach the store just now. Please try again in a few minutes. If you"
            " receive a confirmation email, your request has arrived."
        ),
        "error.too_large.title": "Photos too large",
        "error.too_large.body": "Each photo can be up to 10 MB. Go back and choose smaller photos.",
        "error.lookup_link": "Look up an order",
        # Order page
        "order.title": "Order {name}",
        "order.intro": "Choose the items you want to return or exchange.",
        "order.none_returnable": "None of the items in this order can be returned now.",
        "order.exchange_unavailable": (
            "We can't show the sizes and colours available for an exchange right now."
            " Exchanges are unavailable for the moment; please try again later."
        ),
        "order.review": "Review my return",
        "order.existing_returns": "Returns for this order",
        "order.return_link": "Return {number}",
        "item.quantity_bought": "Quantity ordered: {n}",
        "item.status.returnable": "Returnable",
        "item.status.claims_only": "Only if damaged or faulty",
        "item.status.not_returnable": "Not returnable",
        "item.status.returned": "Already returned",
        "item.return_by": "Return by {date}",
        "item.report_by": "Report a problem by {date}",
        "item.remaining": "{taken} already returned or in a return; {left} left to return.",
        "item.claims_note": (
            "If it arrived damaged, defective, wrong or not as described, you can still report it"
            " until {date}."
        ),
        "item.claims_note_by_reason": "If there is a problem with it, you can still report it:",
        "item.claims_until": "{reasons}: until {date}",
        "item.why": "Return policy for this item",
        "item.select": "Return this item",
        "item.details": "Return details for {title}",
        "item.quantity": "How many?",
        "item.reason": "Reason",
        "item.reason.choose": "Choose a reason",
        "item.reason.group_discretionary": "It doesn't suit",
        "item.reason.group_fault": "There is a problem with it",
        "item.condition": "Condition of the item",
        "item.condition.choose": "Choose the condition",
        "item.resolution": "What would you like?",
        "item.resolution.choose": "Choose an option",
        "item.exchange_variant": "Size or colour you want instead (for an exchange)",
        "item.exchange_variant.choose": "Choose a size or colour",
        "item.exchange_variant_hint": "Only needed if you chose an exchange.",
        "item.out_of_stock": "(out of stock)",
        "item.exchange_none": "No other size or colour of this item is in stock for an exchange.",
        "item.wanted": "Anything to add about the exchange? (optional)",
        "item.wanted_hint": "For example: the one with short sleeves.",
        "item.expedited": "Exchanges only: send the new item faster ({fee} fee)",
        "item.note": "Anything else we should know? (optional)",
        "item.photos": "Photos of the problem",
        "item.photos_open": "Add photos (needed if the item is damaged or faulty)",
        "item.photos_hint": (
            "Needed if the item is damaged, defective, wrong or not as described: at least {n}"
            " photo(s). JPEG, PNG or HEIC, up to 10 MB each."
        ),
        "item.photos_kept": "{n} photo(s) already added. Add more below if needed.",
        "item.photo_slot": "Photo {n}",
        "item.upload": "Upload photo {n}",
        "item.upload_note": ("Upload each photo with its button before you review your return."),
        # Validation
        "err.summary": "Please check the following",
        "err.choose_item": "Choose at least one item to return.",
        "err.quantity": "Choose how many to return (1 to {max}).",
        "err.reason": "Choose a reason.",
        "err.reason_claims_only": (
            "This item can only be returned if it is damaged, defective, wrong or not as described."
        ),
        "err.reason_closed": "This reason can no longer be given for this item.",
        "err.condition": "Choose the condition of the item.",
        "err.resolution": "Choose what you would like.",
        "err.exchange_variant": "Choose the size or colour you would like instead.",
        "err.exchange_variant_invalid": (
            "That size or colour is not available for an exchange. Choose another one."
        ),
        "err.exchange_none": (
            "No other size or colour of this item is in stock, so it cannot be exchanged."
            " Choose another option."
        ),
        "err.exchange_unavailable": (
            "Exchanges cannot be arranged right now. Choose another option or try again later."
        ),
        "err.too_long": "Keep this under {max} characters.",
        "err.photo_type": "“{name}” is not a JPEG, PNG or HEIC photo.",
        "err.photo_size": "“{name}” is larger than 10 MB.",
        "err.photo_empty": "“{name}” is empty.",
        "err.photo_count": "Add at most {max} photos for each item.",
        "err.photos_unavailable": "Photo uploads are not available right now. Try again later.",
        "err.quantity_taken": (
            "Some of these items are already in another return. Check the quantities."
        ),
        "err.changed": "Your order changed meanwhile. Please review your return again.",
        "err.generic": "We couldn't accept this request. Please check your choices.",
        # Summary
        "summary.title": "Review your return",
        "summary.intro": "Check the details, then submit your request.",
        "summary.item_ok": "Can be returned",
        "summary.item_not_ok": "Can't be returned as chosen",
        "summary.quantity": "Quantity",
        "summary.reason": "Reason",
        "summary.condition": "Condition",
        "summary.resolution": "You would like",
        "summary.exchange_variant": "Exchange for",
        "summary.wanted": "About the exchange",
        "summary.note": "Your note",
        "summary.photos": "Photos",
        "summary.expedited": "Faster exchange",
        "summary.yes": "Yes",
        "summary.restocking_fee": "Restocking fee",
        "summary.label_fee": "Return label fee",
        "summary.exchange_fee": "Expedited exchange fee",
        "summary.refund_amount": "Refund for this item",
        "summary.credit_amount": "Store credit for this item",
        "summary.total": "Estimated refund",
        "summary.total_note": "The final amount is confirmed when we receive the items.",
        "summary.shipping_merchant": "Return shipping is free for you.",
        "summary.shipping_customer": "You pay for return shipping.",
        "summary.review_needed_days": (
            "Our team will review your request within {n} business day(s)."
        ),
        "summary.review_needed": "Our team will review your request before it is approved.",
        "summary.auto_approved": "Your return is approved as soon as you submit it.",
        "summary.submit": "Submit return request",
        "summary.change": "Change my request",
        "summary.fix": (
            "Some items can't be returned as you chose. Change your request to continue."
        ),
        # Status page
        "status.title": "Return {number}",
        "status.order": "Order {name}",
        "status.state": "Status:",
        "status.next": "What happens next",
        "status.items": "Items",
        "status.history": "History",
        "status.label": "Return label",
        "status.download_label": "Download your return label",
        "status.qr_alt": "QR code for your return label, to show at the drop-off point",
        "status.tracking": "Tracking number: {number}",
        "status.tracking_carrier": "{carrier} tracking number: {number}",
        "status.track": "Track the parcel",
        "status.refund_total": "Refund total",
        "status.back_to_order": "Back to your order",
        "state.requested": "Waiting for review",
        "state.approved": "Approved",
        "state.declined": "Declined",
        "state.label_issued": "Label ready",
        "state.in_transit": "On its way to us",
        "state.received": "Received",
        "state.inspected": "Checked",
        "state.refunded": "Refunded",
        "state.credited": "Store credit issued",
        "state.exchanged": "Exchange sent",
        "state.replaced": "Replacement sent",
        "state.closed": "Completed",
        "state.cancelled": "Cancelled",
        "next.requested_days": (
            "We'll review your request within {n} business day(s) and email you our decision."
        ),
        "next.requested": "We'll review your request and email you our decision.",
        "next.label_ready": (
            "Print the prepaid label, pack the items and drop the parcel off with the carrier."
            " You can also show the QR code instead of printing."
        ),
        "next.label_pending": (
            "We're preparing your prepaid return label. We'll email it to you, and it will"
            " appear on this page."
        ),
        "next.ship_yourself": (
            "Send the items at your own cost to the store's return address (in your confirmation"
            " email). Write your return number {number} on the parcel."
        ),
        "next.ship_yourself_to": (
            "Send the items at your own cost to this address, and write your return number"
            " {number} on the parcel:"
        ),
        "next.in_transit": "Your parcel is on its way to us. We'll email you when it arrives.",
        "next.received": "We've received your return and are checking the items.",
        "next.refunded": (
            "Your refund of {amount} has been issued to your original payment method. It can"
            " take a few days to appear."
        ),
        "next.credited": "Store credit of {amount} has been added to your account.",
        "next.exchanged": "Your exchange is on its way to you.",
        "next.replaced": "Your replacement is on its way to you.",
        "next.declined": "We couldn't accept this return.",
        "next.decline_reason": "Reason: {reason}",
        "next.cancelled": "This return was cancelled.",
        "next.closed": "This return is complete. Thank you.",
        "action.request": "Return requested",
        "action.approve": "Approved",
        "action.decline": "Declined",
        "action.issue_label": "Return label issued",
        "action.ship": "Parcel sent",
        "action.receive": "Received at the warehouse",
        "action.inspect": "Items checked",
        "action.refund": "Refunded",
        "action.credit": "Store credit issued",
        "action.exchange": "Exchange sent",
        "action.replace": "Replacement sent",
        "action.close": "Completed",
        "action.cancel": "Cancelled",
        "action.refunded_in_shopify": "Refunded by the store",
        # Vocabulary (POLICIES.md)
        "reason.changed_mind": "Changed my mind",
        "reason.size_fit": "Wrong size or fit",
        "reason.color_style": "Colour or style not as hoped",
        "reason.defective": "Defective or poor quality",
        "reason.damaged_in_transit": "Arrived damaged",
        "reason.wrong_item": "Wrong item sent",
        "reason.not_as_described": "Not as described",
        "condition.unworn_tags_attached": "Unworn, tags attached",
        "condition.unworn_no_tags": "Unworn, tags removed",
        "condition.worn": "Worn",
        "condition.washed": "Washed",
        "condition.opened": "Packaging opened",
        "condition.unopened": "Unopened",
        "resolution.refund": "Refund to my payment method",
        "resolution.store_credit": "Store credit",
        "resolution.exchange": "Exchange for another size or colour",
        "resolution.replacement": "Replacement of the same item",
    },
    "zh-CN": {
        "portal.title": "退货与换货",
        "lang.label": "语言",
        "lang.en": "English",
        "lang.zh-CN": "中文",
        "list.separator": "、",
        "nav.other_order": "查询其他订单",
        "nav.sign_out": "退出",
        "lookup.title": "申请退换货",
        "lookup.intro": "请输入订单号，以及订单确认邮件中的邮箱地址或邮政编码。",
        "lookup.order_number": "订单号",
        "lookup.order_number_hint": "例如 #1001，可在订单确认邮件中找到。",
        "lookup.contact": "邮箱或邮政编码",
        "lookup.contact_hint": "下单时使用的邮箱地址，或收货地址的邮政编码。",
        "lookup.submit": "查询订单",
        "lookup.not_found": "未找到与这些信息匹配的订单。请核对确认邮件中的订单号以及邮箱或邮政编码。",
        "lookup.required_number": "请输入订单号。",
        "lookup.required_contact": "请输入订单的邮箱地址或邮政编码。",
        "lookup.session_ended": "请先查询订单再继续。",
        "error.error.title": "出错了",
        "error.error.body": "请稍后再试。",
        "error.not_found.title": "页面不存在",
        "error.not_found.body": "找不到此页面。请检查链接，或重新查询订单。",
        "error.csrf.title": "表单已过期",
        "error.csrf.body": "为保障您的安全，表单未能提交。请返回、刷新页面后重试。",
        "error.rate.title": "尝试次数过多",
        "error.rate.body": "为保障您的安全，订单查询已暂停。请在 {minutes} 分钟后重试。",
        "error.unavailable.title": "请稍后再试",
        "error.unavailable.body": "暂时无法连接店铺，请几分钟后重试。如果您收到确认邮件，说明申请已提交成功。",
        "error.too_large.title": "照片太大",
        "error.too_large.body": "每张照片最大 10 MB。请返回并选择较小的照片。",
        "error.lookup_link": "查询订单",
        "order.title": "订单 {name}",
        "order.intro": "请选择需要退货或换货的商品。",
        "order.none_returnable": "此订单中的商品目前都无法退货。",
        "order.exchange_unavailable": "暂时无法显示可换的尺码和颜色，换货功能暂不可用，请稍后再试。",
        "order.review": "核对退货申请",
        "order.existing_returns": "此订单的退货申请",
        "order.return_link": "退货单 {number}",
        "item.quantity_bought": "购买数量：{n}",
        "item.status.returnable": "可退换",
        "item.status.claims_only": "仅限质量问题",
        "item.status.not_returnable": "不可退换",
        "item.status.returned": "已退货",
        "item.return_by": "退货截止日期：{date}",
        "item.report_by": "质量问题申请截止日期：{date}",
        "item.remaining": "已退货或退货中 {taken} 件；还可退 {left} 件。",
        "item.claims_note": "如商品到货时损坏、有质量问题、发错或与描述不符，可在 {date} 前申请。",
        "item.claims_note_by_reason": "如商品有问题，仍可在以下日期前申请：",
        "item.claims_until": "{reasons}：{date} 前",
        "item.why": "此商品的退货规则",
        "item.select": "退回此商品",
        "item.details": "{title} 的退货信息",
        "item.quantity": "数量",
        "item.reason": "退货原因",
        "item.reason.choose": "请选择原因",
        "item.reason.group_discretionary": "不合适",
        "item.reason.group_fault": "商品有问题",
        "item.condition": "商品状况",
        "item.condition.choose": "请选择商品状况",
        "item.resolution": "希望如何处理",
        "item.resolution.choose": "请选择处理方式",
        "item.exchange_variant": "想换的尺码或颜色（换货时选择）",
        "item.exchange_variant.choose": "请选择尺码或颜色",
        "item.exchange_variant_hint": "仅在选择换货时需要。",
        "item.out_of_stock": "（缺货）",
        "item.exchange_none": "此商品没有其他有货的尺码或颜色可供换货。",
        "item.wanted": "关于换货的其他说明（可选）",
        "item.wanted_hint": "例如：要短袖的那款。",
        "item.expedited": "仅限换货：加急发出新商品（费用 {fee}）",
        "item.note": "其他说明（可选）",
        "item.photos": "问题照片",
        "item.photos_open": "添加照片（商品损坏或有质量问题时需要）",
        "item.photos_hint": (
            "如商品损坏、有质量问题、发错或与描述不符，需要至少 {n} 张照片。"
            "支持 JPEG、PNG 或 HEIC，每张不超过 10 MB。"
        ),
        "item.photos_kept": "已添加 {n} 张照片。如需要，可在下方继续添加。",
        "item.photo_slot": "照片 {n}",
        "item.upload": "上传照片 {n}",
        "item.upload_note": "请在核对申请前，逐张点击上传按钮上传照片。",
        "err.summary": "请检查以下内容",
        "err.choose_item": "请至少选择一件要退回的商品。",
        "err.quantity": "请选择退回数量（1 到 {max}）。",
        "err.reason": "请选择退货原因。",
        "err.reason_claims_only": "此商品仅在损坏、有质量问题、发错或与描述不符时可以退换。",
        "err.reason_closed": "此商品已不能再以该原因申请。",
        "err.condition": "请选择商品状况。",
        "err.resolution": "请选择处理方式。",
        "err.exchange_variant": "请选择想换的尺码或颜色。",
        "err.exchange_variant_invalid": "该尺码或颜色无法换货，请选择其他款式。",
        "err.exchange_none": "此商品没有其他有货的尺码或颜色，无法换货。请选择其他处理方式。",
        "err.exchange_unavailable": "暂时无法办理换货。请选择其他处理方式，或稍后再试。",
        "err.too_long": "请不要超过 {max} 个字符。",
        "err.photo_type": "“{name}”不是 JPEG、PNG 或 HEIC 格式的照片。",
        "err.photo_size": "“{name}”超过 10 MB。",
        "err.photo_empty": "“{name}”是空文件。",
        "err.photo_count": "每件商品最多添加 {max} 张照片。",
        "err.photos_unavailable": "暂时无法上传照片，请稍后再试。",
        "err.quantity_taken": "部分商品已在其他退货申请中，请检查数量。",
        "err.changed": "您的订单刚刚有更新，请重新核对退货申请。",
        "err.generic": "无法受理此申请，请检查您的选择。",
        "summary.title": "核对退货申请",
        "summary.intro": "请核对以下信息，然后提交申请。",
        "summary.item_ok": "可以退换",
        "summary.item_not_ok": "按所选方式无法退换",
        "summary.quantity": "数量",
        "summary.reason": "原因",
        "summary.condition": "商品状况",
        "summary.resolution": "处理方式",
        "summary.exchange_variant": "换成",
        "summary.wanted": "换货说明",
        "summary.note": "您的说明",
        "summary.photos": "照片",
        "summary.expedited": "加急换货",
        "summary.yes": "是",
        "summary.restocking_fee": "重新入库费",
        "summary.label_fee": "退货面单费",
        "summary.exchange_fee": "加急换货费",
        "summary.refund_amount": "此商品退款",
        "summary.credit_amount": "此商品店铺余额",
        "summary.total": "预计退款",
        "summary.total_note": "最终金额以我们收到商品后确认的为准。",
        "summary.shipping_merchant": "退货运费由商家承担。",
        "summary.shipping_customer": "退货运费由您承担。",
        "summary.review_needed_days": "我们会在 {n} 个工作日内审核您的申请。",
        "summary.review_needed": "您的申请需经我们审核后才能通过。",
        "summary.auto_approved": "提交后，您的退货申请将立即通过。",
        "summary.submit": "提交退货申请",
        "summary.change": "修改申请",
        "summary.fix": "部分商品无法按所选方式退换。请修改申请后继续。",
        "status.title": "退货单 {number}",
        "status.order": "订单 {name}",
        "status.state": "状态：",
        "status.next": "接下来",
        "status.items": "商品",
        "status.history": "进度",
        "status.label": "退货面单",
        "status.download_label": "下载退货面单",
        "status.qr_alt": "退货面单二维码，可在寄件点出示",
        "status.tracking": "运单号：{number}",
        "status.tracking_carrier": "{carrier} 运单号：{number}",
        "status.track": "查看物流",
        "status.refund_total": "退款合计",
        "status.back_to_order": "返回订单",
        "state.requested": "等待审核",
        "state.approved": "已通过",
        "state.declined": "已拒绝",
        "state.label_issued": "面单已生成",
        "state.in_transit": "寄回途中",
        "state.received": "已收货",
        "state.inspected": "已验货",
        "state.refunded": "已退款",
        "state.credited": "已发放店铺余额",
        "state.exchanged": "换货已发出",
        "state.replaced": "补发已发出",
        "state.closed": "已完成",
        "state.cancelled": "已取消",
        "next.requested_days": "我们会在 {n} 个工作日内审核您的申请，并通过邮件告知结果。",
        "next.requested": "我们会审核您的申请，并通过邮件告知结果。",
        "next.label_ready": "请打印预付退货面单，将商品打包后交给快递。也可以出示二维码代替打印。",
        "next.label_pending": "我们正在准备预付退货面单，准备好后会发送邮件给您，并显示在此页面。",
        "next.ship_yourself": (
            "请自付运费，将商品寄到店铺的退货地址（见确认邮件），并在包裹上注明退货单号 {number}。"
        ),
        "next.ship_yourself_to": "请自付运费将商品寄到以下地址，并在包裹上注明退货单号 {number}：",
        "next.in_transit": "您的包裹正在寄回途中，我们收到后会邮件通知您。",
        "next.received": "我们已收到您的退货，正在检查商品。",
        "next.refunded": "退款 {amount} 已原路退回，可能需要几天才能到账。",
        "next.credited": "店铺余额 {amount} 已存入您的账户。",
        "next.exchanged": "换货商品已发出。",
        "next.replaced": "补发商品已发出。",
        "next.declined": "很抱歉，此退货申请未能通过。",
        "next.decline_reason": "原因：{reason}",
        "next.cancelled": "此退货申请已取消。",
        "next.closed": "此退货已完成，谢谢。",
        "action.request": "提交退货申请",
        "action.approve": "申请已通过",
        "action.decline": "申请被拒绝",
        "action.issue_label": "退货面单已生成",
        "action.ship": "包裹已寄出",
        "action.receive": "仓库已收货",
        "action.inspect": "已验货",
        "action.refund": "已退款",
        "action.credit": "已发放店铺余额",
        "action.exchange": "换货已发出",
        "action.replace": "补发已发出",
        "action.close": "已完成",
        "action.cancel": "已取消",
        "action.refunded_in_shopify": "店铺已退款",
        "reason.changed_mind": "不想要了（无理由）",
        "reason.size_fit": "尺码或版型不合适",
        "reason.color_style": "颜色或款式不符合预期",
        "reason.defective": "质量问题",
        "reason.damaged_in_transit": "到货时已损坏",
        "reason.wrong_item": "发错商品",
        "reason.not_as_described": "与描述不符",
        "condition.unworn_tags_attached": "未穿着，吊牌完好",
        "condition.unworn_no_tags": "未穿着，吊牌已拆",
        "condition.worn": "已穿着",
        "condition.washed": "已洗涤",
        "condition.opened": "包装已拆封",
        "condition.unopened": "未拆封",
        "resolution.refund": "原路退款",
        "resolution.store_credit": "店铺余额",
        "resolution.exchange": "换其他尺码或颜色",
        "resolution.replacement": "补发同款",
    },
}


def t(locale: str, key: str, **kw: object) -> str:
    """The string `key` in `locale` (English when missing there), with `{placeholders}` filled."""
    text = PORTAL.get(locale, {}).get(key) or PORTAL[DEFAULT_LOCALE][key]
    return text.format(**kw) if kw else text


def label(locale: str, kind: str, code: str) -> str:
    """A code's name (`reason`, `condition`, `resolution`, `state`, `action`); a new code shows as words."""
    key = f"{kind}.{code}"
    if key in PORTAL.get(locale, {}) or key in PORTAL[DEFAULT_LOCALE]:
        return t(locale, key)
    return code.replace("_", " ")


def negotiate(accept_language: Iterable[tuple[str, float]]) -> str:
    """The portal locale for an Accept-Language header, parsed as (tag, quality) best first.

    zh, zh-CN and zh-Hans mean Simplified Chinese; the first tag we speak wins; else English.
    """
    for tag, _quality in accept_language:
        tag = tag.strip().lower().replace("_", "-")
        if tag in _ZH_TAGS:
            return "zh-CN"
        if tag == "en" or tag.startswith("en-"):
            return "en"
    return DEFAULT_LOCALE


def normalize_locale(value: str | None) -> str | None:
    """A locale from a `?lang=` value, or None when it is not one the portal offers."""
    if not value:
        return None
    tag = value.strip().lower().replace("_", "-")
    if tag in _ZH_TAGS:
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


# -- dates and money -----------------------------------------------------------------------

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_SYMBOLS = {
    "en": {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£", "CNY": "CN¥"},
    "zh-CN": {"USD": "US$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£", "CNY": "¥"},
}


def format_date(locale: str, day: date) -> str:
    """A calendar date as a customer reads it: 'March 14, 2026' or '2026年3月14日'."""
    if locale == "zh-CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def format_datetime(locale: str, at: datetime) -> str:
    """A local time with its date: 'March 14, 2026, 3:05 PM' or '2026年3月14日 15:05'."""
    if locale == "zh-CN":
        return f"{format_date(locale, at.date())} {at:%H:%M}"
    hour = at.hour % 12 or 12
    return f"{format_date(locale, at.date())}, {hour}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"


def format_money(locale: str, amount: Decimal, currency: str) -> str:
    """'$48.00', '¥199.00' (zh-CN) or '12.00 SEK' where no symbol is known."""
    text = f"{amount.quantize(Decimal('0.01')):,}"
    symbol = _SYMBOLS.get(locale, _SYMBOLS[DEFAULT_LOCALE]).get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _dates(locale: str, text: str) -> str:
    return _ISO_DATE.sub(lambda m: format_date(locale, date(int(m[1]), int(m[2]), int(m[3]))), text)


# -- the policy engine's reasons -------------------------------------------------------------

# Fragments the engine composes its sentences from (policies/evaluator.py, vocabulary.py).
_KIND = {"Returns": "退货", "Exchanges": "换货", "Claims": "售后"}
_PHRASE = {
    "change of mind": "个人原因（无理由）",
    "size or fit": "尺码或版型不合适",
    "color or style": "颜色或款式不符合预期",
    "a defective item": "质量问题",
    "an item damaged in transit": "运输途中损坏",
    "a wrong item": "发错商品",
    "an item not as described": "商品与描述不符",
}
_ANCHOR = {"delivery": "签收", "shipping": "发货", "the order date": "下单"}
_NOUN = {
    "a refund": "退款",
    "store credit": "退为店铺余额",
    "an exchange": "换货",
    "a replacement": "补发同款",
}
_CONDITION = {
    "unworn with tags attached": "未穿着且吊牌完好",
    "unworn without tags": "未穿着但吊牌已拆",
    "worn": "已穿着",
    "washed": "已洗涤",
    "opened": "已拆封",
    "unopened": "未拆封",
}
_FINAL_LABEL = {
    "final sale": "为特价商品",
    "excluded from no-reason returns": "不支持无理由退货",
}
_EXACT = {
    "Return shipping is free for you": "退货运费由商家承担",
    "You arrange and pay for return shipping": "退货运费由您承担，请自行寄回",
    "Your order has not shipped yet, so it cannot be returned for now": "您的订单尚未发货，暂时无法退货",
    "Already returned or refunded": "已退货或已退款",
    "Items washed after purchase cannot be returned or exchanged, quality claims included": (
        "购回后水洗过的商品不予退换（包括质量问题）"
    ),
    "Bespoke items are made for you, so they can be exchanged but not returned for money": (
        "定制商品为您专门制作，只能换货，不能退款"
    ),
    "Return shipping is not free for this order; the return label fee is charged once per"
    " request, on the first returned item": "此订单退货不包邮；退货面单费每次申请只收一次，计入第一件退货商品",
    DEFECT_EXPLANATION[DefectCode.COLOUR_DIFFERENCE]: "显示器差异造成的色差不属于质量问题",
    DEFECT_EXPLANATION[DefectCode.LOOSE_THREADS]: "线头不影响穿着，不属于质量问题",
    DEFECT_EXPLANATION[DefectCode.LOOSE_BUTTON]: "机器钉扣在运输途中脱落，不属于质量问题",
    DEFECT_EXPLANATION[
        DefectCode.FABRIC_PREFERENCE
    ]: "不喜欢面料不属于质量问题，请在购买前确认面料",
    DEFECT_EXPLANATION[DefectCode.MISSING_COLLAR_LABEL]: "部分款式没有领标，不属于质量问题",
    DEFECT_EXPLANATION[DefectCode.SUBJECTIVE_FIT]: "不喜欢上身效果或版型不属于质量问题",
    DEFECT_EXPLANATION[DefectCode.CHALK_MARKS]: "生产中留下的划粉痕迹可以洗掉，不属于质量问题",
}

_K = "(Returns|Exchanges|Claims)"
_P = "(" + "|".join(map(re.escape, _PHRASE)) + ")"
_SPAN = r"(\d+) (business )?days? after (delivery|shipping|the order date)"
_D = r"(\d{4}-\d{2}-\d{2})"


def _days(n: str, business: str | None) -> str:
    return f"{n}个工作日" if business else f"{n}天"


def _nouns(text: str) -> str:
    parts = re.split(r", | or ", text)
    return "或".join(_NOUN.get(p, p) for p in parts)


def _conditions(text: str) -> str:
    parts = re.split(r", | or ", text)
    return "或".join(_CONDITION.get(p, p) for p in parts)


def _why(text: str) -> str:
    if m := re.fullmatch(r"tagged '(.+)'", text):
        return f"标签“{m[1]}”"
    if m := re.fullmatch(r"product type '(.+)'", text):
        return f"商品类型“{m[1]}”"
    if text == "sold below its compare-at price":
        return "低于原价出售"
    return text


def _zh_window_open(m: re.Match[str]) -> str:
    return (
        f"因{_PHRASE[m[2]]}申请{_KIND[m[1]]}：{_ANCHOR[m[5]]}后{_days(m[3], m[4])}内，"
        f"截止日期 {m[6]}"
    )


def _zh_window_closed(m: re.Match[str]) -> str:
    return (
        f"因{_PHRASE[m[2]]}申请{_KIND[m[1]]}的期限（{_ANCHOR[m[5]]}后{_days(m[3], m[4])}）"
        f"已于 {m[6]} 截止"
    )


_ZH_PATTERNS: tuple[tuple[re.Pattern[str], object], ...] = (
    (re.compile(rf"{_K} for {_P} end {_SPAN}: {_D}"), _zh_window_open),
    (re.compile(rf"{_K} for {_P} ended {_SPAN}: {_D} \(requested {_D}\)"), _zh_window_closed),
    (
        re.compile(rf"{_K} for {_P} are not accepted for this item"),
        lambda m: f"此商品不支持因{_PHRASE[m[2]]}申请{_KIND[m[1]]}",
    ),
    (
        re.compile(rf"(.+) is not available for {_P} on this item; you can ask for (.+)"),
        lambda m: (
            f"此商品因{_PHRASE[m[2]]}申请时不支持{_NOUN.get(m[1].lower(), m[1])}，可以申请{_nouns(m[3])}"
        ),
    ),
    (
        re.compile(
            rf"Claims for {_P} need at least (\d+) photos?; we have (\d+), please add (\d+) more"
        ),
        lambda m: (
            f"因{_PHRASE[m[1]]}申请售后需要至少 {m[2]} 张照片；目前有 {m[3]} 张，请再添加 {m[4]} 张"
        ),
    ),
    (
        re.compile(
            r"This item is (.+?) \((.+)\), so it can be returned only if it is damaged,"
            r" defective, wrong or not as described"
        ),
        lambda m: (
            f"此商品{_FINAL_LABEL.get(m[1], m[1])}（{_why(m[2])}），"
            "仅在损坏、有质量问题、发错或与描述不符时可以退换"
        ),
    ),
    (
        re.compile(rf"{_K} for {_P} need the item (.+); you told us it is (.+)"),
        lambda m: (
            f"因{_PHRASE[m[2]]}申请{_KIND[m[1]]}需要商品{_conditions(m[3])}；"
            f"您选择的是{_CONDITION.get(m[4], m[4])}"
        ),
    ),
    (
        re.compile(rf"{_K} for {_P} need the item (.+); you did not tell us its condition"),
        lambda m: f"因{_PHRASE[m[2]]}申请{_KIND[m[1]]}需要商品{_conditions(m[3])}；请选择商品状况",
    ),
    (
        re.compile(rf"{_K} for {_P} count from shipping, which is not recorded yet"),
        lambda m: f"因{_PHRASE[m[2]]}申请{_KIND[m[1]]}从发货日起算，但尚无发货记录",
    ),
    (
        re.compile(
            rf"No delivery date is known, so delivery is counted as (\d+) business days after"
            rf" shipping: {_D}"
        ),
        lambda m: f"没有签收记录，按发货后 {m[1]} 个工作日计为签收日：{m[2]}",
    ),
    (
        re.compile(
            r"A restocking fee of (\S+) applies \((\S+) of (\S+?)(?:, at most (\S+?))?"
            r"(?:, at least (\S+?))?\)"
        ),
        lambda m: (
            f"收取重新入库费 {m[1]}（{m[3]} 的 {m[2]}"
            + (f"，最高 {m[4]}" if m[4] else "")
            + (f"，最低 {m[5]}" if m[5] else "")
            + "）"
        ),
    ),
    (
        re.compile(
            r"Return shipping is not free for this order: the (\S+) return label fee is deducted"
            r" from this refund \(once per request\)"
        ),
        lambda m: f"此订单退货不包邮：将从退款中扣除 {m[1]} 退货面单费（每次申请只收一次）",
    ),
    (
        re.compile(r"An expedited exchange fee of (\S+) applies \(once per request\)"),
        lambda m: f"收取加急换货费 {m[1]}（每次申请只收一次）",
    ),
    (
        re.compile(r"You will also receive a (\d+)% discount code for your next purchase"),
        lambda m: f"您还将获得一张下次购物可用的 {m[1]}% 折扣码",
    ),
)


def policy_text(locale: str, text: str) -> tuple[str, str]:
    """A reason from the policy engine in the customer's words: (text, language it is in).

    Dates are formatted for the locale. A sentence the table does not know
    stays in English, and says so, so the page can mark it `lang="en"`.
    """
    if locale != "zh-CN":
        return _dates(locale, text), "en"
    if text in _EXACT:
        return _EXACT[text], locale
    for pattern, render in _ZH_PATTERNS:
        if m := pattern.fullmatch(text):
            return _dates(locale, render(m)), locale  # type: ignore[operator]
    return _dates("en", text), "en"
