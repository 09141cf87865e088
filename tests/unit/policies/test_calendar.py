"""Business days and merchant-local dates (policies.calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from policies.calendar import (
    add_business_days,
    add_window_days,
    end_of_local_day,
    holiday_dates,
    is_business_day,
    local_date,
    supported_countries,
)


@pytest.mark.parametrize(
    ("day", "country", "expected"),
    [
        (date(2026, 3, 6), "US", True),  # Friday
        (date(2026, 3, 7), "US", False),  # Saturday
        (date(2026, 3, 8), "US", False),  # Sunday
        (date(2026, 11, 26), "US", False),  # Thanksgiving
        (date(2026, 12, 25), "US", False),  # Christmas
        (date(2026, 7, 3), "US", False),  # Independence Day observed
        (date(2026, 10, 1), "CN", False),  # National Day
        (date(2026, 10, 7), "CN", False),  # National Day week, day off in lieu
        (date(2026, 10, 10), "CN", False),  # make-up working Saturday is still a weekend
        (date(2026, 10, 8), "CN", True),
        (date(2026, 11, 26), "CN", True),  # Thanksgiving is not a Chinese holiday
    ],
)
def test_business_day_is_a_weekday_outside_national_holidays_when_checked(day, country, expected):
    assert is_business_day(day, country) is expected


@pytest.mark.parametrize(
    ("start", "n", "country", "expected"),
    [
        (date(2026, 3, 2), 5, "US", date(2026, 3, 9)),
        (date(2026, 3, 6), 1, "US", date(2026, 3, 9)),  # Friday + 1 = Monday
        (date(2026, 3, 7), 1, "US", date(2026, 3, 9)),  # from a Saturday
        (date(2026, 11, 25), 1, "US", date(2026, 11, 27)),  # over Thanksgiving
        (date(2026, 12, 24), 1, "US", date(2026, 12, 28)),  # over Christmas and a weekend
        (date(2026, 9, 30), 3, "CN", date(2026, 10, 12)),  # over Golden Week
        (date(2026, 3, 4), 0, "US", date(2026, 3, 4)),
        (date(2026, 3, 9), -1, "US", date(2026, 3, 6)),
        (date(2026, 12, 30), 3, "US", date(2027, 1, 5)),  # New Year crosses the year table
        (date(2028, 2, 28), 1, "US", date(2028, 2, 29)),  # leap day is a Tuesday
    ],
)
def test_add_business_days_counts_from_the_day_after_when_adding(start, n, country, expected):
    assert add_business_days(start, n, country) == expected


def test_calendar_window_counts_every_day_when_not_in_business_days():
    assert add_window_days(date(2028, 2, 20), 9, "US", business=False) == date(2028, 2, 29)
    assert add_window_days(date(2026, 3, 6), 2, "US", business=True) == date(2026, 3, 10)


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (datetime(2026, 3, 6, 3, 30, tzinfo=UTC), "America/New_York", date(2026, 3, 5)),
        (datetime(2026, 3, 6, 5, 30, tzinfo=UTC), "America/New_York", date(2026, 3, 6)),
        (datetime(2026, 3, 5, 16, 0, tzinfo=UTC), "Asia/Shanghai", date(2026, 3, 6)),
        (datetime(2026, 3, 5, 15, 59, tzinfo=UTC), "Asia/Shanghai", date(2026, 3, 5)),
    ],
)
def test_local_date_follows_the_shop_time_zone_when_near_midnight(moment, zone, expected):
    assert local_date(moment, zone) == expected
    assert local_date(moment, ZoneInfo(zone)) == expected


def test_local_date_rejects_naive_times_when_no_zone_is_known():
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 3, 6, 12, 0), "UTC")


def test_end_of_local_day_is_the_last_instant_before_midnight_when_dst_changes():
    # 2026-03-08 is the day New York moves to daylight time: it has 23 hours.
    end = end_of_local_day(date(2026, 3, 8), "America/New_York")

    assert end.tzinfo is not None
    assert end.utcoffset() == timedelta(hours=-4)
    assert (end + timedelta(microseconds=1)).astimezone(ZoneInfo("America/New_York")).date() == (
        date(2026, 3, 9)
    )


def test_holiday_tables_are_cached_per_country_and_year_when_reused():
    holiday_dates.cache_clear()
    for _ in range(3):
        is_business_day(date(2026, 5, 4), "US")
        is_business_day(date(2026, 5, 5), "US")
    info = holiday_dates.cache_info()

    assert info.misses == 1
    assert info.hits == 5


def test_supported_countries_are_two_letter_codes_when_listed():
    countries = supported_countries()

    assert {"US", "CN", "GB", "DE"} <= countries
    assert all(len(code) == 2 for code in countries)
