"""Property-based checks of pricing (hypothesis): never negative, monotone, split-invariant."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.tariffs.intervals import Interval, RegisterReading, samples_to_intervals
from domain.tariffs.models import PowerBand, Tariff, TimeWindow
from domain.tariffs.pricing import LineKind, MemberBenefits, PricedSession, price_session

TZ = "Europe/Stockholm"
PROPERTY = settings(deadline=None, max_examples=150)

prices = st.integers(0, 1_000_000)
maybe_prices = st.none() | prices

bands = st.builds(
    lambda e1, t1, e2, t2, e3: (
        PowerBand(max_power_w=22_000, energy_price_per_kwh=e1, time_price_per_minute=t1),
        PowerBand(
            min_power_w=22_000,
            max_power_w=150_000,
            energy_price_per_kwh=e2,
            time_price_per_minute=t2,
        ),
        PowerBand(min_power_w=150_000, energy_price_per_kwh=e3),
    ),
    maybe_prices,
    maybe_prices,
    maybe_prices,
    maybe_prices,
    prices,
)
windows = st.builds(
    lambda e1, t1, e2, days: (
        TimeWindow(
            days_of_week=days,
            start_minute=22 * 60,
            end_minute=6 * 60,
            energy_price_per_kwh=e1,
            time_price_per_minute=t1,
        ),
        TimeWindow(
            days_of_week=(1, 2, 3, 4, 5),
            start_minute=7 * 60,
            end_minute=9 * 60 + 30,
            energy_price_per_kwh=e2,
        ),
    ),
    maybe_prices,
    maybe_prices,
    prices,
    st.sets(st.integers(1, 7), min_size=1).map(lambda s: tuple(sorted(s))),
)
tariffs = st.builds(
    Tariff,
    currency=st.just("SEK"),
    vat_rate_bp=st.integers(0, 3000),
    session_fee=st.integers(0, 2000),
    energy_price_per_kwh=prices,
    time_price_per_minute=st.integers(0, 200_000),
    idle_fee_per_minute=st.integers(0, 200_000),
    idle_grace_minutes=st.integers(0, 120),
    power_bands=st.just(()) | bands,
    time_windows=st.just(()) | windows,
    cap=st.none() | st.integers(1, 100_000),
)
memberships = st.none() | st.builds(
    MemberBenefits,
    energy_discount_percent=st.integers(0, 100),
    included_wh_remaining=st.integers(0, 60_000),
)
# 2025 includes both DST changes in Stockholm
starts = st.datetimes(datetime(2025, 1, 1), datetime(2025, 12, 31), timezones=st.just(UTC))
shapes = st.lists(
    st.tuples(
        st.integers(0, 3 * 3600),  # seconds
        st.integers(-20_000, 60_000),  # Wh (negative: a register that went backwards)
        st.integers(0, 400_000),  # W
        st.booleans(),  # idle
    ),
    min_size=0,
    max_size=8,
)


def lay_out(
    start: datetime, shape: list[tuple[int, int, int, bool]], scale: int = 1
) -> list[Interval]:
    out, at = [], start
    for seconds, wh, power, idle in shape:
        end = at + timedelta(seconds=seconds * scale)
        out.append(Interval(at, end, wh * scale, power, idle))
        at = end
    return out


def price(
    tariff: Tariff, intervals: list[Interval], membership: MemberBenefits | None
) -> PricedSession:
    return price_session(tariff, intervals, site_tz=TZ, membership=membership)


@PROPERTY
@given(tariffs, starts, shapes, memberships)
def test_never_negative_and_consistent(tariff, start, shape, membership) -> None:  # type: ignore[no-untyped-def]
    result = price(tariff, lay_out(start, shape), membership)
    assert result.total >= 0 and result.vat >= 0 and result.subtotal >= 0
    assert result.total == sum(line.amount for line in result.lines)
    assert result.subtotal + result.vat == result.total
    assert tariff.cap is None or result.total <= tariff.cap
    credits = {LineKind.DISCOUNT, LineKind.CAP}
    assert all(line.amount >= 0 for line in result.lines if line.kind not in credits)
    assert result.energy_wh == sum(max(0, wh) for _, wh, _, _ in shape)
    if membership is not None:
        assert 0 <= result.included_wh_used <= membership.included_wh_remaining


@PROPERTY
@given(tariffs, starts, shapes, memberships, st.data())
def test_monotone_in_energy(tariff, start, shape, membership, data) -> None:  # type: ignore[no-untyped-def]
    intervals = lay_out(start, shape)
    if not intervals:
        intervals = [Interval(start, start + timedelta(minutes=10), 0, 11_000)]
    i = data.draw(st.integers(0, len(intervals) - 1))
    more = data.draw(st.integers(1, 30_000))
    # the measured power stays what it was: only the energy grows
    bigger = [
        *intervals[:i],
        replace(intervals[i], energy_wh=intervals[i].energy_wh + more),
        *intervals[i + 1 :],
    ]
    assert price(tariff, bigger, membership).total >= price(tariff, intervals, membership).total


@PROPERTY
@given(
    tariffs,
    starts,
    shapes,
    memberships,
    st.integers(1, 4 * 3600),
    st.integers(0, 30_000),
    st.integers(0, 400_000),
    st.booleans(),
)
def test_monotone_in_time(tariff, start, shape, membership, seconds, wh, power, idle) -> None:  # type: ignore[no-untyped-def]
    intervals = lay_out(start, shape)
    end = intervals[-1].end if intervals else start
    longer = [*intervals, Interval(end, end + timedelta(seconds=seconds), wh, power, idle)]
    assert price(tariff, longer, membership).total >= price(tariff, intervals, membership).total


@PROPERTY
@given(tariffs, starts, shapes.filter(bool), memberships, st.data())
def test_splitting_intervals_does_not_change_the_price(
    tariff, start, shape, membership, data
) -> None:  # type: ignore[no-untyped-def]
    # Durations and energies are multiples of 12, so any cut at k/12 shares energy exactly by time,
    # as pricing does when it splits an interval at a window boundary.
    intervals = lay_out(start, shape, scale=12)
    i = data.draw(st.integers(0, len(intervals) - 1))
    cuts = sorted(data.draw(st.sets(st.integers(1, 11), min_size=1)))
    whole = intervals[i]
    span, energy = whole.end - whole.start, whole.energy_wh
    bounds = [0, *cuts, 12]
    parts = [
        replace(
            whole,
            start=whole.start + span * a / 12,
            end=whole.start + span * b / 12,
            energy_wh=energy * (b - a) // 12,
        )
        for a, b in itertools.pairwise(bounds)
    ]
    split = [*intervals[:i], *parts, *intervals[i + 1 :]]
    before, after = price(tariff, intervals, membership), price(tariff, split, membership)
    assert abs(after.total - before.total) <= len(before.lines)  # the contract: ≤ 1 per line
    assert after.lines == before.lines and after.total == before.total  # exact aggregation: equal


@PROPERTY
@given(
    starts,
    st.integers(0, 10**7),
    st.lists(st.tuples(st.integers(1, 900), st.integers(-5000, 5000)), min_size=1, max_size=20),
    tariffs,
)
def test_a_backwards_register_is_flagged_and_never_billed_negative(
    tariff_start, first, steps, tariff
) -> None:  # type: ignore[no-untyped-def]
    at, register = tariff_start, first
    samples = [RegisterReading(at, register, 7000, "Charging")]
    registers = [register]
    for seconds, change in steps:
        at += timedelta(seconds=seconds)
        register = max(0, register + change)
        registers.append(register)
        samples.append(RegisterReading(at, register, 7000, "Charging"))
    intervals = samples_to_intervals(samples)
    assert all(i.energy_wh >= 0 for i in intervals)
    went_back = [r < max(registers[: k + 1]) for k, r in enumerate(registers)][1:]
    assert [i.register_backwards for i in intervals] == went_back
    assert sum(i.energy_wh for i in intervals) == max(registers) - registers[0]
    result = price_session(tariff, intervals, site_tz=TZ)
    assert result.total >= 0 and result.register_went_backwards == any(went_back)
