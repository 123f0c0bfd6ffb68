# ruff: noqa: RUF001, RUF003 - the en dash and × are the text drivers read
"""Time-of-day and day-of-week windows, in the site's timezone, across midnight and DST changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.tariffs.models import TimeWindow
from domain.tariffs.pricing import LineKind, price_session
from domain.tariffs.windows import local_to_utc, split
from tests.factories.tariffs import interval, make_tariff

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEKDAYS = (1, 2, 3, 4, 5)
EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)


def night(days: tuple[int, ...] = WEEKDAYS, **prices: int) -> TimeWindow:
    prices = prices or {"energy_price_per_kwh": 200_000}
    return TimeWindow(days_of_week=days, start_minute=22 * 60, end_minute=6 * 60, **prices)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def energy_lines(result: object) -> list[tuple[str, int, int]]:
    return [
        (ln.description, ln.quantity, ln.unit_price)
        for ln in result.lines  # type: ignore[attr-defined]
        if ln.kind == LineKind.ENERGY
    ]


def test_an_interval_crossing_into_a_night_window_is_split_and_energy_shared_by_time() -> None:
    tariff = make_tariff(energy_price_per_kwh=350_000, time_windows=(night(),))
    # Monday 21:00-Tuesday 01:00 in Stockholm (CEST, UTC+2), 4 kWh evenly
    result = price_session(tariff, [interval(utc(2025, 6, 2, 19), 240, 4000)], site_tz=STOCKHOLM)
    assert energy_lines(result) == [
        ("Energy", 1000, 350_000),
        ("Energy, Mon–Fri 22:00–06:00", 3000, 200_000),
    ]
    assert result.total == 350 + 600


def test_a_window_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    tariff = make_tariff(energy_price_per_kwh=350_000, time_windows=(night(),))
    # Friday 23:00 → Saturday 05:00: Friday's night window still runs on Saturday morning
    friday = price_session(tariff, [interval(utc(2025, 6, 6, 21), 360, 6000)], site_tz=STOCKHOLM)
    assert energy_lines(friday) == [("Energy, Mon–Fri 22:00–06:00", 6000, 200_000)]
    # Sunday 23:00 → Monday 01:00: no window starts on Sunday, so Monday 00:00-01:00 is day price
    sunday = price_session(tariff, [interval(utc(2025, 6, 1, 21), 120, 2000)], site_tz=STOCKHOLM)
    assert energy_lines(sunday) == [("Energy", 2000, 350_000)]


def test_the_night_the_clocks_go_back_the_night_window_lasts_nine_hours() -> None:
    # 25-26 Oct 2025: 03:00 CEST becomes 02:00 CET. 22:00 CEST = 20:00 UTC, 06:00 CET = 05:00 UTC.
    tariff = make_tariff(
        time_price_per_minute=50_000, time_windows=(night(EVERY_DAY, time_price_per_minute=10_000),)
    )
    session = interval(utc(2025, 10, 25, 19), 11 * 60, 55_000)  # 19:00-06:00 UTC
    result = price_session(tariff, [session], site_tz=STOCKHOLM)
    times = {ln.unit_price: ln.quantity for ln in result.lines if ln.kind == LineKind.TIME}
    assert times == {10_000: 540_000, 50_000: 120_000}  # 9 h at night price, 1 h before + 1 h after
    assert result.total == 5400 + 6000


def test_the_night_the_clocks_go_forward_the_night_window_lasts_seven_hours() -> None:
    # 29-30 Mar 2025: 02:00 CET becomes 03:00 CEST. 22:00 CET = 21:00 UTC, 06:00 CEST = 04:00 UTC.
    tariff = make_tariff(
        time_price_per_minute=50_000, time_windows=(night(EVERY_DAY, time_price_per_minute=10_000),)
    )
    session = interval(utc(2025, 3, 29, 20), 9 * 60, 45_000)  # 20:00-05:00 UTC
    result = price_session(tariff, [session], site_tz=STOCKHOLM)
    times = {ln.unit_price: ln.quantity for ln in result.lines if ln.kind == LineKind.TIME}
    assert times == {10_000: 420_000, 50_000: 120_000}


def test_local_times_map_to_utc_through_both_dst_changes() -> None:
    # spring gap: 02:00-03:00 does not exist on 30 Mar 2025; it is the moment of the jump (01:00 UTC)
    assert local_to_utc(date(2025, 3, 30), 2 * 60 + 30, STOCKHOLM) == utc(2025, 3, 30, 1)
    assert local_to_utc(date(2025, 3, 30), 3 * 60, STOCKHOLM) == utc(2025, 3, 30, 1)
    assert local_to_utc(date(2025, 3, 30), 1 * 60 + 59, STOCKHOLM) == utc(2025, 3, 30, 0, 59)
    # autumn repeat: 02:30 happens twice on 26 Oct 2025; the first (CEST) is meant
    assert local_to_utc(date(2025, 10, 26), 2 * 60 + 30, STOCKHOLM) == utc(2025, 10, 26, 0, 30)
    assert local_to_utc(date(2025, 10, 26), 3 * 60, STOCKHOLM) == utc(2025, 10, 26, 2)
    # "24:00" is the next midnight
    assert local_to_utc(date(2025, 6, 2), 24 * 60, STOCKHOLM) == utc(2025, 6, 2, 22)


def test_a_window_ending_inside_the_spring_gap_ends_when_the_clocks_jump() -> None:
    early = TimeWindow(
        days_of_week=(7,), start_minute=0, end_minute=2 * 60 + 30, energy_price_per_kwh=1
    )
    pieces = split(utc(2025, 3, 29, 22), utc(2025, 3, 30, 3), [early], STOCKHOLM)
    assert [(p.start, p.end, p.window is early) for p in pieces] == [
        (utc(2025, 3, 29, 22), utc(2025, 3, 29, 23), False),
        (utc(2025, 3, 29, 23), utc(2025, 3, 30, 1), True),  # 00:00 CET → 03:00 CEST: 2 real hours
        (utc(2025, 3, 30, 1), utc(2025, 3, 30, 3), False),
    ]


def test_adjacent_windows_and_a_full_day_window() -> None:
    peak = TimeWindow(
        days_of_week=WEEKDAYS, start_minute=7 * 60, end_minute=9 * 60, energy_price_per_kwh=600_000
    )
    day = TimeWindow(
        days_of_week=WEEKDAYS, start_minute=9 * 60, end_minute=22 * 60, energy_price_per_kwh=400_000
    )
    weekend = TimeWindow(
        days_of_week=(6, 7), start_minute=0, end_minute=0, energy_price_per_kwh=250_000
    )
    tariff = make_tariff(energy_price_per_kwh=300_000, time_windows=(peak, day, weekend))
    # Monday 08:00-10:00 local: 1 h peak, 1 h day
    monday = price_session(tariff, [interval(utc(2025, 6, 2, 6), 120, 2000)], site_tz=STOCKHOLM)
    assert [(q, p) for _, q, p in energy_lines(monday)] == [(1000, 600_000), (1000, 400_000)]
    # all of Saturday is the weekend window
    saturday = price_session(
        tariff, [interval(utc(2025, 6, 6, 22), 24 * 60, 24_000)], site_tz=STOCKHOLM
    )
    assert energy_lines(saturday) == [("Energy, Sat, Sun 00:00–24:00", 24_000, 250_000)]


@pytest.mark.parametrize("tz", ["Europe/Stockholm", "America/New_York", "UTC", "Asia/Kolkata"])
def test_pieces_cover_the_interval_exactly(tz: str) -> None:
    zone = ZoneInfo(tz)
    windows = [
        night(EVERY_DAY),
        TimeWindow(
            days_of_week=(3,), start_minute=6 * 60, end_minute=8 * 60 + 15, energy_price_per_kwh=1
        ),
    ]
    start = utc(2025, 3, 1, 13, 7)
    end = start + timedelta(days=40, minutes=13)
    pieces = split(start, end, windows, zone)
    assert pieces[0].start == start and pieces[-1].end == end
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))
    assert all(p.start < p.end for p in pieces)
    # a night piece starts and ends at 22:00 / 06:00 local or at the interval's edges
    for p in pieces:
        if p.window is windows[0]:
            assert p.start == start or p.start.astimezone(zone).strftime("%H:%M") == "22:00"
            assert p.end == end or p.end.astimezone(zone).strftime("%H:%M") == "06:00"
