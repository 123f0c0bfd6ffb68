"""Raw meter samples → priced intervals: energy deltas, measured power, idle, backwards registers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from domain.tariffs.intervals import RegisterReading, samples_to_intervals
from domain.tariffs.pricing import price_samples
from tests.factories.tariffs import make_tariff

T0 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_energy_is_the_register_growth_and_power_its_average() -> None:
    intervals = samples_to_intervals(
        [
            RegisterReading(at(0), 10_000, 0, "Charging"),
            RegisterReading(at(1), 10_250, 15_000, "Charging"),
            RegisterReading(at(3), 10_750, 15_000, "Charging"),
        ]
    )
    assert [(i.start, i.end, i.energy_wh, i.power_w, i.idle) for i in intervals] == [
        (at(0), at(1), 250, 15_000, False),
        (at(1), at(3), 500, 15_000, False),
    ]


def test_samples_are_ordered_normalised_to_utc_and_same_instant_samples_merged() -> None:
    cest = timezone(timedelta(hours=2))
    intervals = samples_to_intervals(
        [
            RegisterReading(at(2), 1500, None, None),
            RegisterReading(at(0).astimezone(cest), 1000, None, "Charging"),
            RegisterReading(at(2), None, 15_000, None),
        ]
    )
    assert len(intervals) == 1
    assert intervals[0].start == at(0) and intervals[0].start.tzinfo == UTC
    assert intervals[0].energy_wh == 500 and intervals[0].power_w == 15_000


def test_a_backwards_register_is_flagged_and_the_lost_energy_is_never_billed_twice() -> None:
    intervals = samples_to_intervals(
        [
            RegisterReading(at(0), 5000, 11_000),
            RegisterReading(at(10), 6000, 11_000),
            RegisterReading(at(20), 200, 11_000),  # glitch / meter reset
            RegisterReading(at(30), 6500, 11_000),  # back to normal
        ]
    )
    assert [(i.energy_wh, i.register_backwards) for i in intervals] == [
        (1000, False),
        (0, True),
        (500, False),  # measured from the highest register seen: 6000 → 6500
    ]
    assert intervals[1].power_w == 11_000  # no energy to go by: the power readings stand in
    result = price_samples(
        make_tariff(energy_price_per_kwh=1_000_000),
        [RegisterReading(at(0), 5000), RegisterReading(at(10), 6000), RegisterReading(at(20), 200)],
        site_tz="Europe/Stockholm",
    )
    assert result.register_went_backwards and result.total == 1000 and result.energy_wh == 1000


def test_idle_when_the_vehicle_stops_drawing_power_or_the_connector_says_so() -> None:
    intervals = samples_to_intervals(
        [
            RegisterReading(at(0), 0, 7000, "Charging"),
            RegisterReading(at(10), 1160, 7000, "Charging"),  # ~7 kW
            RegisterReading(at(20), 1165, 20, "Charging"),  # 30 W average: not drawing power
            RegisterReading(at(30), 2325, 7000, "SuspendedEV"),  # drew 7 kW again
            RegisterReading(at(40), 2325, 0, "Finishing"),
            RegisterReading(at(50), 2400, 4400, "Finishing"),
        ]
    )
    assert [i.idle for i in intervals] == [False, True, False, True, True]
    # the status reported at an interval's start governs it: SuspendedEV 30-40, Finishing 40-50
    # idles even though 75 Wh went in


def test_until_extends_a_live_session_to_now_with_the_last_known_state() -> None:
    samples = [
        RegisterReading(at(0), 0, 22_000, "Charging"),
        RegisterReading(at(5), 1833, 22_000, None),
    ]
    intervals = samples_to_intervals(samples, until=at(8))
    assert intervals[-1].start == at(5) and intervals[-1].end == at(8)
    assert intervals[-1].energy_wh == 0 and intervals[-1].power_w == 22_000
    assert not intervals[-1].idle
    assert samples_to_intervals(samples, until=at(5)) == samples_to_intervals(samples)


def test_the_running_cost_grows_into_the_final_bill() -> None:
    tariff = make_tariff(
        energy_price_per_kwh=350_000, time_price_per_minute=10_000, session_fee=300
    )
    samples = [RegisterReading(at(m), m * 200, 12_000, "Charging") for m in range(0, 31, 5)]
    running = [
        price_samples(tariff, samples[: k + 1], site_tz="Europe/Stockholm", until=at(m + 2)).total
        for k, m in enumerate(range(0, 30, 5))
    ]
    final = price_samples(tariff, samples, site_tz="Europe/Stockholm").total
    assert running == sorted(running) and running[-1] <= final
    assert final == 300 + round(6000 * 0.35) + 30 * 10
