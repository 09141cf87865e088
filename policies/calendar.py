"""Business days and merchant-local dates (POLICIES.md detail 10 and 13).

Business days skip Saturdays, Sundays and the national public holidays of a
country from the `holidays` package (no subdivisions); make-up working weekends
are ignored. Holiday tables are cached per (country, year).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _as_zone(tz: tzinfo | str) -> tzinfo:
    return _zone(tz) if isinstance(tz, str) else tz


@lru_cache(maxsize=1)
def supported_countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes the `holidays` package has a national calendar for."""
    import holidays  # the calendars load on first use, not with every import of policies

    return frozenset(code for code in holidays.list_supported_countries() if len(code) == 2)


@lru_cache(maxsize=512)
def holiday_dates(country: str, year: int) -> frozenset[date]:
    """The national public holidays of `country` in `year` (observed days included)."""
    import holidays

    return frozenset(holidays.country_holidays(country, years=year))


def is_business_day(day: date, country: str) -> bool:
    """False on Saturdays, Sundays and the country's national public holidays."""
    return day.weekday() < _SATURDAY and day not in holiday_dates(country, day.year)


def add_business_days(start: date, n: int, country: str) -> date:
    """The date `n` business days after `start`, counting from the day after it.

    `n == 0` gives `start` itself; a negative `n` counts backwards.
    """
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    remaining = abs(n)
    day = start
    while remaining:
        day += step
        if is_business_day(day, country):
            remaining -= 1
    return day


def business_days_between(start: date, end: date, country: str) -> int:
    """Business days after `start` up to and including `end` (0 when `end` <= `start`).

    The inverse of `add_business_days`: something due `n` business days after `start` is
    on time when this count to the day it happened is at most `n`.
    """
    days, day = 0, start
    while day < end:
        day += _ONE_DAY
        if is_business_day(day, country):
            days += 1
    return days


def add_window_days(start: date, n: int, country: str, business: bool) -> date:
    """The last day of a window of `n` calendar or business days after `start`."""
    return add_business_days(start, n, country) if business else start + timedelta(days=n)


def local_date(moment: datetime, tz: tzinfo | str) -> date:
    """The calendar date of an aware `moment` in the time zone `tz`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("local_date needs a timezone-aware datetime")
    return moment.astimezone(_as_zone(tz)).date()


def end_of_local_day(day: date, tz: tzinfo | str) -> datetime:
    """The last instant of `day` in the time zone `tz` (aware)."""
    return datetime.combine(day, time.max, tzinfo=_as_zone(tz))


def start_of_local_day(day: date, tz: tzinfo | str) -> datetime:
    """The first instant of `day` in the time zone `tz` (aware)."""
    return datetime.combine(day, time.min, tzinfo=_as_zone(tz))
