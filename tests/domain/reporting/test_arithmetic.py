"""Report arithmetic: calendar buckets over DST, hour cells, shares, percentages, wording."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.reporting.arithmetic import (
    busiest_window,
    calendar_buckets,
    hour_cell_seconds,
    percent,
    recommendation,
    share,
)
from tests.domain.reporting.conftest import local


def test_days_follow_the_local_calendar_across_dst() -> None:
    days = calendar_buckets(local(2024, 3, 30), local(2024, 4, 1), "day", "Europe/Stockholm")
    assert [(d.key, d.seconds / 3600) for d in days] == [("2024-03-30", 24), ("2024-03-31", 23)]
    weeks = calendar_buckets(local(2024, 1, 10), local(2024, 1, 20), "week", "Europe/Stockholm")
    assert [w.key for w in weeks] == ["2024-W02", "2024-W03"]
    assert weeks[0].start == local(2024, 1, 10) and weeks[0].period_start == local(2024, 1, 8)
    months = calendar_buckets(local(2024, 1, 15), local(2024, 3, 1), "month", "Europe/Stockholm")
    assert [(m.key, m.seconds / 86400) for m in months] == [("2024-01", 17), ("2024-02", 29)]


def test_hour_cells_of_a_dst_end_day() -> None:
    cells = hour_cell_seconds(local(2024, 10, 27), local(2024, 10, 28), "Europe/Stockholm")
    assert cells[(7, 2)] == 7200 and sum(cells.values()) == 25 * 3600
    spring = hour_cell_seconds(local(2024, 3, 31), local(2024, 4, 1), "Europe/Stockholm")
    assert (7, 2) not in spring and sum(spring.values()) == 23 * 3600


@given(
    st.floats(0, 1e6, allow_nan=False),
    st.lists(st.floats(1, 1e5, allow_nan=False), min_size=1, max_size=10),
)
def test_shares_of_a_span_add_up_to_its_total(total: float, pieces: list[float]) -> None:
    duration = sum(pieces)
    assert abs(sum(share(total, p, duration) for p in pieces) - total) <= 1e-6 * max(total, 1)


def test_percent_and_zero_wholes() -> None:
    assert percent(1, 3) == 33.3 and percent(5, 0) == 0.0 and percent(0, 10) == 0.0


def test_the_busiest_window_is_named_in_words() -> None:
    weekdays = {(d, h): 3600.0 for d in range(1, 6) for h in (17, 18)}
    assert busiest_window(weekdays) == "weekdays 17\u201319"
    assert busiest_window({(6, 10): 3600.0, (7, 11): 3600.0}) == "weekends 10\u201312"
    assert busiest_window({}) == ""
    text = recommendation("Site X", 38.2, weekdays, 30)
    assert text.startswith("Site X was full 38 h in the period, mostly weekdays 17\u201319: add")


def test_recommendation_scales_with_how_often_it_is_full() -> None:
    cells = {(1, 8): 3600.0}
    assert "watch it" in recommendation("Site Y", 1.0, cells, 7)
    assert "add capacity (more connectors" in recommendation("Site Y", 60.0, cells, 7)


def test_a_row_over_two_pieces_sums_every_quantity() -> None:
    """The CLI fetches long ranges in pieces; merging must not drop any quantity (uptime did)."""
    from dataclasses import fields

    from domain.common.money import Money
    from domain.reporting.service import UsageRow

    a = UsageRow("k", "Station 1", 1, 1000, 60.0, 120.0, 3600.0, 3000.0, 7200.0, Money(500, "SEK"))
    b = UsageRow("k", "Station 1", 2, 2000, 30.0, 60.0, 1800.0, 1800.0, 3600.0, Money(250, "SEK"))
    both = a.plus(b)
    for f in fields(UsageRow):
        value = getattr(a, f.name)
        if f.name in ("key", "label"):
            assert getattr(both, f.name) == value
        elif isinstance(value, Money):
            assert getattr(both, f.name) == value + getattr(b, f.name)
        else:
            assert getattr(both, f.name) == value + getattr(b, f.name), f.name
    assert both.uptime_percent == a.plus(b).uptime_percent == round(100 * 4800 / 10800, 1)
