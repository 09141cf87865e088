"""The built-in return label: a 4x6 inch PDF drawn with reportlab, no carrier account needed.

The customer pays postage at drop-off or the merchant refunds it; the label
carries both addresses, the RMA number in large type, as a Code 128 barcode
and as a QR code, so the warehouse can match the parcel to its return.
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from decimal import Decimal

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from app.adapters.labels.types import Address, Label, LabelRequest

PAGE = (4 * inch, 6 * inch)  # 288 x 432 points
MARGIN = 14
CJK_FONT = "STSong-Light"  # a standard CID font: viewers supply the glyphs, nothing is embedded
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def tracking_number(reference: str) -> str:
    """The label's number, derived from the reference so the same request makes the same label."""
    return "HM" + hashlib.sha256(reference.encode()).hexdigest()[:16].upper()


def _font(text: str, bold: bool = False) -> str:
    """Helvetica for what it can show (Windows-1252); names in other scripts need the CJK font."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return CJK_FONT
    return "Helvetica-Bold" if bold else "Helvetica"


def _text(c: canvas.Canvas, x: float, y: float, text: str, size: float, bold: bool = False) -> None:
    """Draw one line, shrunk (down to 6 pt) and then cut so it never runs off the label."""
    font = _font(text, bold)
    room = PAGE[0] - MARGIN - x
    while size > 6 and pdfmetrics.stringWidth(text, font, size) > room:
        size -= 0.5
    if pdfmetrics.stringWidth(text, font, size) > room:
        while len(text) > 1 and pdfmetrics.stringWidth(text + "…", font, size) > room:
            text = text[:-1]
        text += "…"
    c.setFont(font, size)
    c.drawString(x, y, text)


def _address(c: canvas.Canvas, y: float, title: str, addr: Address, size: float) -> float:
    """Draw a titled address block from `y` down; returns the y below it."""
    _text(c, MARGIN, y, title, 7, bold=True)
    y -= size + 3
    for i, line in enumerate(addr.lines()):
        _text(c, MARGIN + 8, y, line, size, bold=(i == 0))
        y -= size + 2
    return y


def render_label_pdf(req: LabelRequest, number: str) -> bytes:
    """The label as PDF bytes; the same request gives the same bytes (invariant mode)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=PAGE, invariant=1)
    c.setTitle(f"Return label {req.rma_number}")
    c.setAuthor("Hemline")
    width, height = PAGE

    # Header band: what this parcel is, readable at arm's length.
    c.setFillGray(0)
    c.rect(0, height - 34, width, 34, stroke=0, fill=1)
    c.setFillGray(1)
    _text(c, MARGIN, height - 23, "PREPAID RETURN", 15, bold=True)
    c.setFillGray(0)

    y = _address(c, height - 50, "FROM (CUSTOMER)", req.ship_from, 8)
    c.setLineWidth(0.8)
    c.line(MARGIN, y + 4, width - MARGIN, y + 4)
    y = _address(c, y - 8, "RETURN TO", req.ship_to, 11)
    c.line(MARGIN, y + 4, width - MARGIN, y + 4)

    # The RMA number three ways: for people, for 1D scanners, for phones.
    _text(c, MARGIN, y - 12, "RMA NUMBER", 7, bold=True)
    size = 30
    while (
        size > 10
        and pdfmetrics.stringWidth(req.rma_number, "Helvetica-Bold", size) > width - 2 * MARGIN
    ):
        size -= 1
    c.setFont("Helvetica-Bold", size)
    c.drawCentredString(width / 2, y - 44, req.rma_number)
    barcode = code128.Code128(req.rma_number, barHeight=44, barWidth=1.5, quiet=False)
    if barcode.width > width - 2 * MARGIN:  # a longer number than ours still fits, narrower
        bar_width = 1.5 * (width - 2 * MARGIN) / barcode.width
        barcode = code128.Code128(req.rma_number, barHeight=44, barWidth=bar_width, quiet=False)
    barcode.drawOn(c, (width - barcode.width) / 2, y - 100)

    qr_size = 88
    widget = QrCodeWidget(req.rma_number, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, c, MARGIN - 4, MARGIN + 10)

    tx = MARGIN + qr_size + 6
    _text(c, tx, MARGIN + 80, "Tracking", 7, bold=True)
    _text(c, tx, MARGIN + 69, number, 9)
    _text(c, tx, MARGIN + 52, "Prepaid return: attach this label", 7)
    _text(c, tx, MARGIN + 43, "and drop the parcel at the carrier.", 7)
    _text(c, tx, MARGIN + 34, "Keep your receipt.", 7)
    _text(c, MARGIN, MARGIN - 4, req.shop, 6)
    c.showPage()
    c.save()
    return buf.getvalue()


class BuiltinLabelProvider:
    """Makes the label itself: nothing is bought, so it costs 0.00 and never fails upstream."""

    name = "builtin"

    def __init__(self, carrier: str = "Hemline", currency: str = "USD"):
        self._carrier = carrier
        self._currency = currency

    def buy_return_label(self, req: LabelRequest) -> Label:
        number = tracking_number(req.reference)
        return Label(
            provider=self.name,
            reference=req.reference,
            carrier=self._carrier,
            service="return_label",
            tracking_number=number,
            tracking_url=None,
            pdf=render_label_pdf(req, number),
            label_url=None,
            qr_code_url=None,
            cost=Decimal("0.00"),
            currency=self._currency,
        )

    def find_by_reference(self, reference: str, *, since: datetime | None = None) -> Label | None:
        """Always None: nothing was bought, and making the label again under the same
        reference gives the same tracking number and the same PDF bytes."""
        return None
