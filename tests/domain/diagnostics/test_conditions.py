"""Every rule over a window of samples: raises after its duration (not before), resolves only after
the hysteresis, and stays silent on samples that say nothing about it."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from domain.diagnostics.conditions import (
    CLASSIFIERS,
    Condition,
    Level,
    classify,
    evaluate,
    offline_verdict,
    phase_imbalance_percent,
    security_verdict,
)
from domain.diagnostics.rules import AlertKind, Rule, Severity, default_rule
from tests.factories.diagnostics import T0, make_sample, series

HOT = Rule(AlertKind.OVERHEATING, 70.0, 60, Severity.CRITICAL)


def at(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


def test_overheating_raises_only_once_hot_for_the_duration() -> None:
    samples = series(20, [{"temperature_c": 75.0}] * 3)  # hot at 0, 20, 40 s
    assert evaluate(HOT, samples, T0 + at(40))[0].condition is Condition.PENDING
    assert evaluate(HOT, samples, T0 + at(59))[0].condition is Condition.PENDING
    found, _ = evaluate(HOT, samples, T0 + at(60))
    assert found.condition is Condition.ACTIVE
    assert found.since == T0
    assert "75.0 °C" in found.message and "connector 1" in found.message


def test_a_cool_sample_restarts_the_count() -> None:
    temps = [75.0, 75.0, 65.0, 75.0, 75.0]  # 0, 20, 40(cool), 60, 80
    samples = series(20, [{"temperature_c": t} for t in temps])
    assert evaluate(HOT, samples, T0 + at(100))[0].condition is Condition.PENDING
    found, _ = evaluate(HOT, samples, T0 + at(120))
    assert found.condition is Condition.ACTIVE
    assert found.since == T0 + at(60)


def test_overheating_clears_only_below_threshold_minus_margin_for_the_hysteresis() -> None:
    # margin 5 °C: 68 °C is in the band (neither hot nor clear), 64 °C is clear
    samples = series(30, [{"temperature_c": t} for t in [80.0, 80.0, 80.0, 68.0, 68.0, 68.0]])
    found, run = evaluate(HOT, samples, T0 + at(300))
    assert found.condition is Condition.PENDING
    assert run.level is Level.BAND
    cooled = samples + series(30, [{"temperature_c": 64.0}] * 2, start=T0 + at(180))
    assert evaluate(HOT, cooled, T0 + at(239))[0].condition is Condition.PENDING
    assert evaluate(HOT, cooled, T0 + at(240))[0].condition is Condition.CLEAR


def test_samples_without_the_measurand_do_not_break_a_run() -> None:
    samples = series(20, [{"temperature_c": 75.0}, {"power_w": 7000.0}, {"temperature_c": 76.0}])
    found, _ = evaluate(HOT, samples, T0 + at(60))
    assert found.condition is Condition.ACTIVE
    assert "76.0" in found.message  # the latest hot reading


def test_a_run_can_continue_across_calls() -> None:
    first, run = evaluate(HOT, series(10, [{"temperature_c": 80.0}] * 2), T0 + at(10))
    assert first.condition is Condition.PENDING
    later = series(10, [{"temperature_c": 80.0}], start=T0 + at(60))
    found, _ = evaluate(HOT, later, T0 + at(60), run)
    assert found.condition is Condition.ACTIVE and found.since == T0


def test_voltage_out_of_range_on_any_phase() -> None:
    rule = Rule(AlertKind.VOLTAGE_OUT_OF_RANGE, 10.0, 30, Severity.WARNING)
    ok = make_sample(voltage_v=(230.0, 231.0, 229.0))
    sag = make_sample(voltage_v=(230.0, 200.0, 229.0))  # L2 13 % low
    line = make_sample(voltage_v=(398.0,))  # a line-to-line reading near 400 V is fine
    assert classify(rule, [ok]).level is Level.OK  # type: ignore[union-attr]
    observed = classify(rule, [sag])
    assert observed is not None and observed.level is Level.BAD and "200.0 V" in observed.message
    assert classify(rule, [line]).level is Level.OK  # type: ignore[union-attr]
    band = make_sample(voltage_v=(250.0,))  # 8.7 %: above 10 - 2 margin, not above 10
    assert classify(rule, [band]).level is Level.BAND  # type: ignore[union-attr]
    samples = series(15, [{"voltage_v": (230.0, 200.0, 229.0)}] * 3)
    assert evaluate(rule, samples, T0 + at(29))[0].condition is Condition.PENDING
    assert evaluate(rule, samples, T0 + at(30))[0].condition is Condition.ACTIVE


def test_phase_imbalance_counts_only_loaded_phases() -> None:
    assert phase_imbalance_percent([16.0, 0.0, 0.0]) is None  # a one-phase car
    assert phase_imbalance_percent([16.0, 16.0, 0.2]) == 0.0  # a two-phase car
    assert phase_imbalance_percent([16.0, 8.0, 16.0]) == 50.0
    rule = Rule(AlertKind.PHASE_IMBALANCE, 25.0, 60, Severity.WARNING)
    samples = series(30, [{"current_a": (16.0, 8.0, 16.0)}] * 3)
    assert evaluate(rule, samples, T0 + at(59))[0].condition is Condition.PENDING
    assert evaluate(rule, samples, T0 + at(60))[0].condition is Condition.ACTIVE
    balanced = samples + series(30, [{"current_a": (16.0, 15.5, 16.0)}] * 3, start=T0 + at(90))
    assert evaluate(rule, balanced, T0 + at(150))[0].condition is Condition.CLEAR


def test_no_energy_flow_only_while_charging() -> None:
    rule = Rule(AlertKind.NO_ENERGY_FLOW, 100.0, 120, Severity.WARNING)
    idle = series(60, [{"status": "Available", "power_w": 0.0}] * 4)
    assert evaluate(rule, idle, T0 + at(600))[0].condition is Condition.CLEAR
    stuck = series(60, [{"status": "Charging", "power_w": 20.0}] * 3)
    assert evaluate(rule, stuck, T0 + at(119))[0].condition is Condition.PENDING
    found, _ = evaluate(rule, stuck, T0 + at(120))
    assert found.condition is Condition.ACTIVE and "20 W" in found.message
    flowing = stuck + series(
        60, [{"status": "Charging", "power_w": 7400.0}] * 3, start=T0 + at(180)
    )
    assert evaluate(rule, flowing, T0 + at(299))[0].condition is Condition.PENDING
    assert evaluate(rule, flowing, T0 + at(300))[0].condition is Condition.CLEAR


def test_energy_register_backwards_raises_at_once_and_never_by_itself_resolves() -> None:
    rule = default_rule(AlertKind.ENERGY_REGISTER_BACKWARDS)
    samples = series(60, [{"energy_wh": e} for e in (1000, 1500, 1200)])
    found, _ = evaluate(rule, samples, T0 + at(120))
    assert found.condition is Condition.ACTIVE
    assert "1500 Wh to 1200 Wh" in found.message
    onward = series(60, [{"energy_wh": e} for e in (1000, 1500, 2000)])
    assert evaluate(rule, onward, T0 + at(120))[0].condition is not Condition.ACTIVE
    # a tolerance: a drop within the threshold is not backwards
    tolerant = Rule(AlertKind.ENERGY_REGISTER_BACKWARDS, 500.0, 0, Severity.WARNING)
    assert evaluate(tolerant, samples, T0 + at(120))[0].condition is not Condition.ACTIVE
    assert not rule.auto_resolve


def test_faulted_connector() -> None:
    rule = default_rule(AlertKind.FAULTED)  # duration 0: at once
    samples = [make_sample(status="Faulted", error_code="GroundFailure")]
    found, _ = evaluate(rule, samples, T0)
    assert found.condition is Condition.ACTIVE and "GroundFailure" in found.message
    back = [*samples, make_sample(at=T0 + at(5), status="Available")]
    assert evaluate(rule, back, T0 + at(5))[0].condition is Condition.CLEAR
    assert evaluate(rule, [make_sample(temperature_c=30.0)], T0)[0].condition is Condition.PENDING


def test_low_efficiency_by_power_over_offered_while_charging() -> None:
    rule = Rule(AlertKind.LOW_EFFICIENCY, 70.0, 120, Severity.INFO)
    weak = series(60, [{"status": "Charging", "power_w": 3000.0, "offered_power_w": 11000.0}] * 3)
    assert evaluate(rule, weak, T0 + at(119))[0].condition is Condition.PENDING
    found, _ = evaluate(rule, weak, T0 + at(120))
    assert found.condition is Condition.ACTIVE and "27 %" in found.message
    done = [*weak, make_sample(at=T0 + at(180), status="Finishing")]
    assert evaluate(rule, done, T0 + at(300))[0].condition is Condition.CLEAR


def test_low_efficiency_by_inlet_and_outlet_energy_when_both_are_metered() -> None:
    rule = Rule(AlertKind.LOW_EFFICIENCY, 85.0, 0, Severity.INFO)
    # power says 100 % but the charger turns 1000 Wh from the grid into 800 Wh for the car
    values = [
        {"status": "Charging", "inlet_energy_wh": 0, "outlet_energy_wh": 0},
        {
            "status": "Charging",
            "inlet_energy_wh": 1000,
            "outlet_energy_wh": 800,
            "power_w": 11000.0,
            "offered_power_w": 11000.0,
        },
    ]
    found, _ = evaluate(rule, series(60, values), T0 + at(60))
    assert found.condition is Condition.ACTIVE and "80 %" in found.message


def test_offline_after_the_duration_and_back_after_the_hysteresis() -> None:
    rule = Rule(AlertKind.OFFLINE, 600.0, 300, Severity.CRITICAL)

    def judge(online: bool, last_seen: int, connected: int | None, now: int) -> Condition:
        return offline_verdict(
            rule,
            online=online,
            last_seen_at=T0 + at(last_seen),
            connected_at=None if connected is None else T0 + at(connected),
            now=T0 + at(now),
        ).condition

    # disconnected at 0
    assert judge(False, 0, None, 299) is Condition.PENDING
    assert judge(False, 0, None, 300) is Condition.ACTIVE
    # connected but silent: no heartbeat for 600 s counts as offline from then on
    assert judge(True, 0, -3600, 899) is Condition.PENDING
    assert judge(True, 0, -3600, 900) is Condition.ACTIVE
    # back at 1000: online and heard from for the hysteresis (= duration) before it clears
    assert judge(True, 1200, 1000, 1200) is Condition.PENDING
    assert judge(True, 1300, 1000, 1300) is Condition.CLEAR
    message = offline_verdict(
        rule, online=False, last_seen_at=T0, connected_at=None, now=T0 + at(400)
    ).message
    assert "disconnected" in message
    # a station never seen (being commissioned) is not alerted on
    never = offline_verdict(rule, online=False, last_seen_at=None, connected_at=None, now=T0)
    assert never.condition is Condition.PENDING


def test_security_events_raise_only_when_critical() -> None:
    rule = default_rule(AlertKind.SECURITY_EVENT)
    tamper = security_verdict(
        rule, event_type="TamperDetectionActivated", critical=None, tech_info="lid", at=T0
    )
    assert tamper.condition is Condition.ACTIVE and "TamperDetectionActivated" in tamper.message
    reboot = security_verdict(
        rule, event_type="ResetOrReboot", critical=None, tech_info=None, at=T0
    )
    assert reboot.condition is Condition.PENDING
    flagged = security_verdict(rule, event_type="Custom", critical=True, tech_info=None, at=T0)
    assert flagged.condition is Condition.ACTIVE


def test_every_rule_classifies_the_services_deque_window() -> None:
    """The service keeps its window in a bounded deque (no slicing): every rule must accept it."""
    samples = series(
        60,
        [
            {"energy_wh": 1500, "power_w": 7000.0, "temperature_c": 40.0, "status": "Charging"},
            {"energy_wh": 1200, "power_w": 0.0, "temperature_c": 95.0, "status": "Charging"},
        ],
    )
    window = deque(samples, maxlen=100)
    for kind in CLASSIFIERS:  # the sample-driven kinds (OFFLINE and security have their own)
        classify(default_rule(kind), window)  # must not raise
    backwards = classify(default_rule(AlertKind.ENERGY_REGISTER_BACKWARDS), window)
    assert backwards is not None and "1500 Wh to 1200 Wh" in backwards.message
