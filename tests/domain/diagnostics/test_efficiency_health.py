"""Charging efficiency both ways, readings and the health status of a station."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.diagnostics.efficiency import (
    power_efficiency,
    sample_efficiency,
    window_efficiency,
)
from domain.diagnostics.health import (
    HealthStatus,
    connector_reading,
    health_status,
    station_reading,
)
from tests.factories.diagnostics import T0, make_sample, series


def test_efficiency_is_outlet_over_inlet_energy_when_both_are_metered() -> None:
    samples = series(
        60,
        [
            {
                "inlet_energy_wh": 10_000,
                "outlet_energy_wh": 9_000,
                "power_w": 50.0,
                "offered_power_w": 100.0,
            },
            {"inlet_energy_wh": 12_000, "outlet_energy_wh": 10_900},
        ],
    )
    assert window_efficiency(samples) == pytest.approx(95.0)
    assert sample_efficiency(samples, 1) == pytest.approx(95.0)
    # the first sample has nothing before it: power over offered
    assert sample_efficiency(samples, 0) == pytest.approx(50.0)


def test_efficiency_falls_back_to_power_drawn_over_power_offered() -> None:
    samples = series(
        60,
        [
            {"power_w": 7_000.0, "offered_power_w": 11_000.0},
            {"power_w": 5_500.0, "offered_power_w": 11_000.0},
        ],
    )
    assert window_efficiency(samples) == pytest.approx(50.0)  # the latest sample
    # too little energy through the inlet for a ratio: power again
    tiny = series(
        60,
        [
            {"inlet_energy_wh": 0, "outlet_energy_wh": 0},
            {
                "inlet_energy_wh": 5,
                "outlet_energy_wh": 5,
                "power_w": 1_000.0,
                "offered_power_w": 4_000.0,
            },
        ],
    )
    assert window_efficiency(tiny) == pytest.approx(25.0)


def test_no_efficiency_without_data_or_offer() -> None:
    assert power_efficiency(1000.0, 0.0) is None
    assert power_efficiency(None, 1000.0) is None
    assert window_efficiency([make_sample(temperature_c=20.0)]) is None
    assert window_efficiency([]) is None


def test_connector_reading_takes_the_latest_of_each_measurand() -> None:
    samples = series(
        10,
        [
            {
                "temperature_c": 40.0,
                "voltage_v": (230.0, 232.0, 228.0),
                "current_a": (16.0, 15.0, 14.0),
            },
            {"power_w": 11_000.0, "offered_power_w": 11_000.0, "energy_wh": 4_200},
            {"temperature_c": 42.0, "status": "Charging"},
        ],
    )
    r = connector_reading(1, samples)
    assert r.temperature_c == 42.0
    assert r.voltage_v == pytest.approx(230.0)
    assert r.current_a == 16.0  # the highest phase
    assert r.power_w == 11_000.0 and r.energy_wh == 4_200
    assert r.efficiency_percent == pytest.approx(100.0)
    assert r.sampled_at == T0 + timedelta(seconds=20)
    assert r.status == "Charging"


def test_station_reading_aggregates_connectors() -> None:
    a = connector_reading(
        1,
        [
            make_sample(
                temperature_c=40.0, power_w=7_000.0, offered_power_w=7_000.0, current_a=(10.0,)
            )
        ],
    )
    b = connector_reading(
        2,
        [
            make_sample(
                at=T0 + timedelta(seconds=5),
                connector_id=2,
                temperature_c=55.0,
                power_w=3_000.0,
                offered_power_w=6_000.0,
                current_a=(13.0,),
            )
        ],
    )
    idle = connector_reading(3, [make_sample(connector_id=3, power_w=0.0, offered_power_w=6_000.0)])
    s = station_reading([a, b, idle])
    assert s.temperature_c == 55.0
    assert s.power_w == 10_000.0
    assert s.current_a == 23.0
    assert s.efficiency_percent == pytest.approx(75.0)  # the mean of 100 and 50; idle left out
    assert s.sampled_at == T0 + timedelta(seconds=5)


def _status(**overrides: object) -> HealthStatus:
    args: dict[str, object] = {
        "online": True,
        "last_seen_at": T0,
        "now": T0 + timedelta(seconds=60),
        "silent_after_seconds": 600,
        "connectors": [("Available", None), ("Charging", None)],
        "open_alert_kinds": [],
    }
    args.update(overrides)
    return health_status(**args)  # type: ignore[arg-type]


def test_health_status_worst_first() -> None:
    assert _status() is HealthStatus.OK
    assert _status(open_alert_kinds=["OVERHEATING"]) is HealthStatus.DEGRADED
    assert _status(connectors=[("Available", "HighTemperature")]) is HealthStatus.DEGRADED
    assert _status(connectors=[("Available", "NoError")]) is HealthStatus.OK
    assert _status(connectors=[("Faulted", "GroundFailure")]) is HealthStatus.FAULTED
    assert _status(open_alert_kinds=["FAULTED"]) is HealthStatus.FAULTED
    assert _status(online=False, connectors=[("Faulted", None)]) is HealthStatus.OFFLINE
    assert _status(now=T0 + timedelta(seconds=601)) is HealthStatus.OFFLINE
    assert _status(last_seen_at=None) is HealthStatus.OFFLINE
