"""Sampled values normalised to base units, deduplication keys, telemetry rows: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.charging import metering, timestamps
from domain.charging.metering import MeterReading, RawSample

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_units_are_converted_to_base_units() -> None:
    assert metering.normalise_value("13.5", "kWh") == (13_500.0, "Wh")
    assert metering.normalise_value(21, "kW") == (21_000.0, "W")
    assert metering.normalise_value("3", "Wh", multiplier=3) == (3_000.0, "Wh")
    assert metering.normalise_value("300.15", "K") == (27.0, "Celsius")
    assert metering.normalise_value("212", "Fahrenheit") == (100.0, "Celsius")
    assert metering.normalise_value("abc", "Wh") is None
    assert metering.normalise_value("nan", "Wh") is None


def test_defaults_flags_and_skips() -> None:
    reading = MeterReading(
        at=NOW - timedelta(minutes=1),
        samples=[
            RawSample(value="1200"),  # no measurand, no unit: the energy register in Wh
            RawSample(value="7.4", measurand="Power.Active.Import", unit="kW", phase="L1"),
            RawSample(value="oops", measurand="Voltage"),
            RawSample(value="AB12==", format="SignedData"),
            RawSample(value="35", measurand="Temperature"),
        ],
    )
    out = metering.normalise([reading], NOW)
    assert [(s.measurand, s.value, s.unit, s.phase) for s in out.samples] == [
        ("Energy.Active.Import.Register", 1200.0, "Wh", None),
        ("Power.Active.Import", 7400.0, "W", "L1"),
        ("Temperature", 35.0, "Celsius", None),
    ]
    assert out.skipped == 2 and out.flags == {metering.FLAG_UNPARSEABLE_SAMPLE}


def test_untrusted_clocks_use_the_receive_time_and_keep_the_reported_one() -> None:
    future = NOW + timedelta(days=3)
    out = metering.normalise([MeterReading(at=future, samples=[RawSample(value="1")])], NOW)
    (sample,) = out.samples
    assert (sample.at, sample.reported_at) == (NOW, future)
    assert out.flags == {timestamps.FLAG_OUT_OF_RANGE}
    assert (
        timestamps.check(datetime(2016, 12, 31, tzinfo=UTC), NOW)[1] == timestamps.FLAG_OUT_OF_RANGE
    )
    assert timestamps.check(NOW + timedelta(hours=23), NOW) == (NOW + timedelta(hours=23), None)
    assert timestamps.check(None, NOW) == (NOW, timestamps.FLAG_UNPARSEABLE)
    assert timestamps.parse("2026-05-01T12:00:00Z") == NOW
    assert timestamps.parse("yesterday") is None


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False), st.integers(0, 10))
def test_the_sample_key_is_deterministic_and_distinguishes_values(
    value: float, connector: int
) -> None:
    s = metering.SampledValue(at=NOW, measurand="Voltage", value=value, unit="V", phase="L1")
    again = metering.SampledValue(at=NOW, measurand="Voltage", value=value, unit="V", phase="L1")
    other = metering.SampledValue(
        at=NOW, measurand="Voltage", value=value + 1, unit="V", phase="L1"
    )
    key = metering.sample_key("st", connector, "7", s)
    assert key == metering.sample_key("st", connector, "7", again)
    assert key != metering.sample_key("st", connector, "7", other)
    assert key != metering.sample_key("st", connector, "8", s)


def test_telemetry_rows_combine_phases_sensibly() -> None:
    def s(
        measurand: str, value: float, unit: str, phase: str | None = None
    ) -> metering.SampledValue:
        return metering.SampledValue(
            at=NOW, measurand=measurand, value=value, unit=unit, phase=phase
        )

    samples = [
        s("Power.Active.Import", 7000, "W", "L1"),
        s("Power.Active.Import", 7200, "W", "L2"),
        s("Current.Import", 30, "A", "L1"),
        s("Current.Import", 32, "A", "L2"),
        s("Voltage", 230, "V", "L1-N"),
        s("Voltage", 234, "V", "L2-N"),
        s("Voltage", 400, "V", "L1-L2"),  # line-to-line is not averaged in
        s("Temperature", 40, "Celsius"),
        s("Temperature", 45, "Celsius"),
        s("Energy.Active.Import.Register", 12_345.4, "Wh"),
        s("SoC", 80, "Percent"),
    ]
    (row,) = metering.telemetry_rows((2, x) for x in samples)
    assert (row.connector_id, row.power_w, row.current_a, row.voltage_v) == (2, 14_200, 31, 232)
    assert (row.temperature_c, row.energy_wh, row.soc_percent) == (45, 12_345, 80)
    with_total = [*samples, s("Power.Active.Import", 14_000, "W")]
    (row,) = metering.telemetry_rows((2, x) for x in with_total)
    assert row.power_w == 14_000  # the station's own total wins over a sum of phases


def test_latest_row_keeps_the_freshest_value_of_each_quantity() -> None:
    a = metering.SampledValue(at=NOW, measurand="Temperature", value=30, unit="Celsius")
    b = metering.SampledValue(
        at=NOW + timedelta(seconds=10), measurand="Power.Active.Import", value=5000, unit="W"
    )
    row = metering.latest_row(1, [a, b])
    assert row is not None and (row.at, row.temperature_c, row.power_w) == (b.at, 30, 5000)
    assert metering.latest_row(1, []) is None
