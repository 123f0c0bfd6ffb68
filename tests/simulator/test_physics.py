"""The simulator's pure physics and rules: charging curve, heat, meter math, profiles, config."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import physics
from simulator.config import SimStationConfig, build_station_configs
from simulator.model import ConnectorModel, Session
from simulator.profiles import Profile, ProfileStore
from simulator.variables import DeviceConfig, default_variables

pytestmark = pytest.mark.unit

soc = st.floats(0, 100)
power = st.floats(1_000, 350_000)


@given(soc, soc, power, st.booleans())
def test_acceptance_never_rises_with_state_of_charge(
    a: float, b: float, p: float, dc: bool
) -> None:
    lo, hi = sorted((a, b))
    assert physics.acceptance_w(hi, p, dc) <= physics.acceptance_w(lo, p, dc) <= p


def test_charging_curve_is_flat_then_tapers_earlier_for_dc() -> None:
    assert physics.acceptance_w(40, 150_000, dc=True) == 150_000
    assert physics.acceptance_w(80, 150_000, dc=True) < 90_000  # DC tapers past ~55 %
    assert physics.acceptance_w(80, 22_000, dc=False) == 22_000  # AC still flat at 80 %
    assert 0 < physics.acceptance_w(95, 22_000, dc=False) < 22_000
    assert physics.acceptance_w(100, 22_000, dc=False) == 0


@given(soc, power, st.booleans(), st.one_of(st.none(), st.floats(0, 400_000)), st.floats(-20, 120))
def test_delivered_power_respects_limit_rating_and_heat(
    s: float, p: float, dc: bool, limit: float | None, temp: float
) -> None:
    delivered = physics.delivered_power_w(s, p, dc, limit, temp)
    assert 0 <= delivered <= physics.offered_power_w(p, limit) <= p


def test_hot_charger_derates() -> None:
    assert physics.thermal_derate(60) == 1.0
    assert physics.thermal_derate(85) < 1.0
    assert physics.thermal_derate(200) == physics.DERATE_FLOOR


@given(st.floats(0, 400_000), st.floats(0, 3600), st.floats(0, 3600))
def test_energy_is_power_times_time_and_additive(p: float, t1: float, t2: float) -> None:
    assert physics.energy_wh(p, t1 + t2) == pytest.approx(
        physics.energy_wh(p, t1) + physics.energy_wh(p, t2), rel=1e-9, abs=1e-9
    )
    assert physics.energy_wh(22_000, 3600) == 22_000


def test_state_of_charge_rises_with_energy_and_caps() -> None:
    assert physics.soc_after(50, 10_000, 50_000) == pytest.approx(70)
    assert physics.soc_after(95, 10_000, 50_000) == 100
    with pytest.raises(ValueError, match="battery"):
        physics.soc_after(50, 1, 0)


@given(st.floats(-20, 120), st.floats(-20, 120), st.floats(0, 600), st.floats(0.1, 600))
def test_temperature_moves_towards_target_without_overshoot(
    temp: float, target: float, dt: float, tau: float
) -> None:
    after = physics.temperature_step(temp, target, dt, tau)
    assert min(temp, target) - 1e-9 <= after <= max(temp, target) + 1e-9


def test_temperature_rises_with_power_and_overheating_passes_80() -> None:
    idle = physics.target_temperature_c(0, 22_000, dc=False, overheating=False)
    full = physics.target_temperature_c(22_000, 22_000, dc=False, overheating=False)
    assert idle == physics.AMBIENT_C < full < 60
    assert physics.target_temperature_c(0, 22_000, False, overheating=True) > 80


def test_three_phase_current_carries_the_power() -> None:
    rng = random.Random(7)
    volts = physics.phase_voltages_v(rng)
    assert len(volts) == 3 and all(207 <= v <= 253 for v in volts)
    amps = physics.phase_currents_a(11_000, volts)
    carried = sum(a * v for a, v in zip(amps, volts, strict=True)) * physics.AC_POWER_FACTOR
    assert carried == pytest.approx(11_000)
    assert physics.phase_currents_a(0, volts) == (0.0, 0.0, 0.0)
    assert physics.dc_current_a(100_000, physics.dc_pack_voltage_v(50)) == pytest.approx(
        100_000 / 380
    )


def test_limits_in_amps_become_watts_and_bad_units_are_refused() -> None:
    assert physics.limit_to_watts(16, "A", dc=False) == 16 * 230 * 3
    assert physics.limit_to_watts(16, "A", dc=False, phases=1) == 16 * 230
    assert physics.limit_to_watts(7400, "W", dc=False) == 7400
    with pytest.raises(ValueError, match="unit"):
        physics.limit_to_watts(10, "kW", dc=False)
    with pytest.raises(ValueError, match="negative"):
        physics.limit_to_watts(-1, "W", dc=False)


def test_connector_integrates_energy_soc_and_heat_over_time() -> None:
    conn = ConnectorModel(1, dc=True, max_power_w=150_000, thermal_time_constant_s=60)
    conn.session = Session("T", datetime.now(UTC), 0, battery_wh=75_000, soc=20.0)
    conn.status = "Charging"
    rng = random.Random(1)
    first = conn.advance(0.0, datetime.now(UTC), rng)
    assert first.power_w == 150_000 and first.energy_wh == 0
    later = conn.advance(60.0, datetime.now(UTC), rng)  # one minute at 150 kW
    assert later.energy_wh == 2500
    assert later.soc == pytest.approx(20 + 100 * 2500 / 75_000)
    assert later.temperature_c > physics.AMBIENT_C
    assert later.currents_a[0] == pytest.approx(later.power_w / later.voltages_v[0])


def test_profiles_highest_stack_per_purpose_then_lowest_limit() -> None:
    store = ProfileStore()
    store.set(Profile(1, 0, "ChargePointMaxProfile", 0, 11_000))
    store.set(Profile(2, 1, "TxDefaultProfile", 0, 7_000))
    store.set(Profile(3, 1, "TxDefaultProfile", 1, 9_000))  # higher stack level wins
    assert store.limit_w(1) == 9_000
    assert store.limit_w(2) == 11_000  # only the station-wide cap applies there
    store.set(Profile(4, 1, "TxDefaultProfile", 1, 3_000))  # replaces id 3 (same slot)
    assert len(store) == 3 and store.limit_w(1) == 3_000
    assert store.clear(purpose="TxDefaultProfile") and store.limit_w(1) == 11_000
    assert not store.clear(profile_id=99)


def test_device_config_validates_writes() -> None:
    changes: list[tuple[str, str]] = []
    device = DeviceConfig(default_variables("CP", 2, 60, 10), lambda k, v: changes.append((k, v)))
    assert device.set_value("MeterValueSampleInterval", "30") == "Accepted"
    assert device.set_value("MeterValueSampleInterval", "0") == "Rejected"
    assert device.set_value("AuthorizeRemoteTxRequests", "maybe") == "Rejected"
    assert device.set_value("Identity", "other") == "Rejected"
    assert device.set_value("Nope", "1") == "NotSupported"
    assert changes == [("MeterValueSampleInterval", "30")]
    assert device.lookup("SampledDataCtrlr", "TxUpdatedInterval")[1].value == "30"  # type: ignore[union-attr]
    assert device.lookup("SampledDataCtrlr", "Nope") == ("UnknownVariable", None)
    assert device.lookup("Nope", "Nope") == ("UnknownComponent", None)


def test_station_configs_are_deterministic_and_checked() -> None:
    fleet = build_station_configs(8, "SIM-", "pw-0123456789abcdef")
    assert [c.charge_point_id for c in fleet[:2]] == ["SIM-0001", "SIM-0002"]
    assert [c.dc for c in fleet].count(True) == 2
    assert fleet[3].max_power_w == 150_000 and fleet[3].connector_standard == "CCS2"
    assert fleet[0].model_name == "SIM-AC-22kW"
    with pytest.raises(ValueError, match="connectors"):
        SimStationConfig("X", "pw", connectors=0)
    with pytest.raises(ValueError, match="charge point id"):
        SimStationConfig("a/b", "pw")
    with pytest.raises(ValueError, match="id_tag"):
        SimStationConfig("X", "pw", id_tag="x" * 21)
