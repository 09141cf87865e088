"""Bar charts as plain geometry, drawn as server-side SVG by `admin/_charts.html`.

Lengths are scaled with Decimal and rounded to whole numbers, so no float reaches the
page (nor, through it, anything that looks like money). Each chart carries its title and
a description that states every figure, for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ROW_HEIGHT = 40  # horizontal bars: a label line, then the bar with its value
LABEL_GAP = 8
VALUE_SPACE = 100  # room right of the longest bar for its value
PLOT_MARGIN = 24  # vertical bars: room above for values and below for names


@dataclass(frozen=True)
class Datum:
    """One bar: its name, its value (None: nothing to show) and the value as people read it."""

    label: str
    value: int | Decimal | None
    text: str


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Text:
    x: int
    y: int
    text: str
    anchor: str = "start"  # SVG text-anchor
    kind: str = "label"  # "label" | "value" (styled apart)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    title: str
    desc: str
    bars: tuple[Rect, ...]
    texts: tuple[Text, ...]
    axis: Rect | None = None


def scale(value: int | Decimal, maximum: int | Decimal, length: int) -> int:
    """`value` as a whole length out of `length` for `maximum`; a positive value shows (2 at least)."""
    if value <= 0 or maximum <= 0:
        return 0
    scaled = (Decimal(value) * length / Decimal(maximum)).to_integral_value(ROUND_HALF_UP)
    return max(int(scaled), 2)


def _largest(data: Sequence[Datum]) -> int | Decimal:
    return max((d.value for d in data if d.value is not None), default=0)


def describe(data: Sequence[Datum]) -> str:
    """Every bar in words: 'Wrong size or fit: 4 (50.0%); Changed my mind: 2 (25.0%).'"""
    if not data:
        return "No data."
    return "; ".join(f"{d.label}: {d.text}" for d in data) + "."


def horizontal_bars(data: Sequence[Datum], *, title: str, width: int = 420) -> Chart:
    """One row per datum: its name above a bar as long as its share of the largest."""
    longest = width - VALUE_SPACE
    top = _largest(data)
    bars, texts = [], []
    for i, d in enumerate(data):
        y = i * ROW_HEIGHT
        length = scale(d.value or 0, top, longest)
        bars.append(Rect(0, y + 20, length, 14))
        texts.append(Text(0, y + 14, d.label))
        texts.append(Text(length + LABEL_GAP, y + 32, d.text, kind="value"))
    return Chart(
        width=width,
        height=max(len(data) * ROW_HEIGHT, ROW_HEIGHT),
        title=title,
        desc=describe(data),
        bars=tuple(bars),
        texts=tuple(texts),
    )


def vertical_bars(
    data: Sequence[Datum], *, title: str, width: int = 420, height: int = 200
) -> Chart:
    """One column per datum, side by side on a baseline, its value above and its name below."""
    bottom = height - PLOT_MARGIN
    tallest = bottom - PLOT_MARGIN
    top = _largest(data)
    slot = width // max(len(data), 1)
    bar_width = slot * 3 // 5
    bars, texts = [], []
    for i, d in enumerate(data):
        x = i * slot + (slot - bar_width) // 2
        middle = x + bar_width // 2
        length = scale(d.value or 0, top, tallest)
        if length:
            bars.append(Rect(x, bottom - length, bar_width, length))
        texts.append(Text(middle, bottom - length - 6, d.text, "middle", "value"))
        texts.append(Text(middle, height - 6, d.label, "middle"))
    return Chart(
        width=width,
        height=height,
        title=title,
        desc=describe(data),
        bars=tuple(bars),
        texts=tuple(texts),
        axis=Rect(0, bottom, width, 1),
    )
