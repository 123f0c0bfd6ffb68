"""The alert rules as pure functions: a window of samples (or connectivity facts) in, a verdict out.

Each sample is *classified* for a rule as BAD (the raise condition holds), OK (the clear condition
holds, i.e. past the hysteresis margin), BAND (in between: neither raises nor clears) or not at all
(``None``: the sample says nothing about this rule, e.g. no temperature in it). Values hold until the
next sample. The latest *run* of equal levels decides:

- ACTIVE once a BAD run has lasted ``duration_seconds`` (at ``now``),
- CLEAR once an OK run has lasted ``clear_seconds``,
- PENDING otherwise (keep whatever state the alert is in).

``evaluate`` folds a whole window; the service folds sample by sample with ``advance`` and keeps the
``Run`` so that durations longer than the bounded window still count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from domain.diagnostics.efficiency import sample_efficiency
from domain.diagnostics.rules import AlertKind, Rule
from domain.diagnostics.samples import Sample

NOMINAL_PHASE_V = 230.0  # phase to neutral
NOMINAL_LINE_V = 400.0  # phase to phase; a reading above LINE_READING_V is taken as one
LINE_READING_V = 300.0
LOADED_PHASE_A = 1.0  # a phase carries load from this current on
CHARGING = "Charging"
FAULTED = "Faulted"

# OCPP 2.0.1 security events marked critical, minus the routine ones a reboot or update always sends
# (StartupOfTheDevice, ResetOrReboot, FirmwareUpdated): those would raise an alert on every restart.
CRITICAL_SECURITY_EVENTS = frozenset(
    {
        "SettingSystemTime",
        "SecurityLogWasCleared",
        "MemoryExhaustion",
        "TamperDetectionActivated",
    }
)


class Level(Enum):
    BAD = "bad"
    BAND = "band"
    OK = "ok"


class Condition(Enum):
    ACTIVE = "active"
    CLEAR = "clear"
    PENDING = "pending"


@dataclass(frozen=True)
class Observation:
    level: Level
    message: str


@dataclass(frozen=True)
class Run:
    """The latest run of one level: since when, and the message of its latest sample."""

    level: Level | None = None
    since: datetime | None = None
    message: str = ""


@dataclass(frozen=True)
class Verdict:
    condition: Condition
    message: str = ""
    since: datetime | None = None


def _band(bad: bool, ok: bool, message: str) -> Observation:
    return Observation(Level.BAD if bad else Level.OK if ok else Level.BAND, message)


def _where(s: Sample) -> str:
    return f"connector {s.connector_id}"


def _overheating(rule: Rule, window: Sequence[Sample], i: int) -> Observation | None:
    s = window[i]
    if s.temperature_c is None:
        return None
    t = s.temperature_c
    return _band(
        t > rule.threshold,
        t < rule.threshold - rule.margin,
        f"{_where(s)} is at {t:.1f} °C (limit {rule.threshold:g} °C)",
    )


def voltage_deviation_percent(volts: float) -> float:
    nominal = NOMINAL_LINE_V if volts > LINE_READING_V else NOMINAL_PHASE_V
    return 100.0 * abs(volts - nominal) / nominal


def _voltage(rule: Rule, window: Sequence[Sample], i: int) -> Observation | None:
    s = window[i]
    if not s.voltage_v:
        return None
    worst = max(s.voltage_v, key=voltage_deviation_percent)
    dev = voltage_deviation_percent(worst)
    return _band(
        dev > rule.threshold,
        dev < rule.threshold - rule.margin,
        f"{_where(s)} voltage {worst:.1f} V is {dev:.1f} % off nominal "
        f"(limit {rule.threshold:g} %)",
    )


def phase_imbalance_percent(currents: Sequence[float]) -> float | None:
    """(max - min) / max over the phases carrying load; None when fewer than two do (a one-phase
    car on a three-phase station is not an imbalance)."""
    loaded = [a for a in currents if a >= LOADED_PHASE_A]
    if len(loaded) < 2:
        return None
    return 100.0 * (max(loaded) - min(loaded)) / max(loaded)


def _imbalance(rule: Rule, window: Sequence[Sample], i: int) -> Observation | None:
    s = window[i]
    if not s.current_a:
        return None
    value = phase_imbalance_percent(s.current_a)
    if value is None:
        return Observation(Level.OK, f"{_where(s)} has fewer than two loaded phases")
    phases = "/".join(f"{a:.1f}" for a in s.current_a)
    return _band(
        value > rule.threshold,
        value < rule.threshold - rule.margin,
        f"{_where(s)} phase currents {phases} A are {value:.0f} % apart "
        f"(limit {rule.threshold:g} %)",
    )


def _no_energy_flow(rule: Rule, window: Sequence[Sample], i: int) -> Observation | None:
    s = window[i]
    if s.status is None:
        return None
    if s.status != CHARGING:
        return Observation(Level.OK, f"{_where(s)} is {s.status}")
    if s.power_w is None:
        return None
    return _band(
        s.power_w <= rule.threshold,
        s.power_w > rule.threshold + rule.margin,
        f"{_where(s)} is Charging but draws {s.power_w:.0f} W",
    )


def _register_backwards(rule: Rule, window: Sequence[Sample], i: int) -> Observation | None:
    s = window[i]
    if s.energy_wh is None:
        return None
    i %= len(window)  # the service's window is a deque: index, never slice
    prev = next((window[j] for j in range(i - 1, -1, -1) if window[j].energy_wh is not None), None)
    if prev is None or prev.energy_wh is None:
        return None
    drop = prev.energy_wh - s.energy_wh
    return _band(
        drop > rule.threshold,
        drop <= rule.threshold,
        f"{_where(s)} energy register went back from {prev.energy_wh} Wh to {s.energy_wh} Wh",
    )


def _faulted(rule: Rule, window: Sequence[Sample], i: int) -> Observation | None:
    s = window[i]
    if s.status is None:
        return None
    code = f" ({s.error_code})" if s.error_code else ""
    return _band(s.status == FAULTED, s.status != FAULTED, f"{_where(s)} is {s.status}{code}")


def _low_efficiency(rule: Rule, window: Sequence[Sample], i: int) -> Observation | None:
    s = window[i]
    if s.status is not None and s.status != CHARGING:
        return Observation(Level.OK, f"{_where(s)} is {s.status}")
    value = sample_efficiency(window, i)
    if value is None:
        return None
    return _band(
        value < rule.threshold,
        value > rule.threshold + rule.margin,
        f"{_where(s)} charging efficiency is {value:.0f} % (limit {rule.threshold:g} %)",
    )


Classifier = Callable[[Rule, Sequence[Sample], int], Observation | None]

CLASSIFIERS: dict[AlertKind, Classifier] = {
    AlertKind.OVERHEATING: _overheating,
    AlertKind.LOW_EFFICIENCY: _low_efficiency,
    AlertKind.VOLTAGE_OUT_OF_RANGE: _voltage,
    AlertKind.PHASE_IMBALANCE: _imbalance,
    AlertKind.NO_ENERGY_FLOW: _no_energy_flow,
    AlertKind.ENERGY_REGISTER_BACKWARDS: _register_backwards,
    AlertKind.FAULTED: _faulted,
}


def classify(rule: Rule, window: Sequence[Sample], index: int = -1) -> Observation | None:
    """How ``window[index]`` (with the samples before it as context) stands against ``rule``."""
    i = index if index >= 0 else len(window) + index
    return CLASSIFIERS[rule.kind](rule, window, i)


def advance(run: Run, observation: Observation | None, at: datetime) -> Run:
    if observation is None:
        return run
    if run.level is observation.level and run.since is not None:
        return Run(run.level, run.since, observation.message)
    return Run(observation.level, at, observation.message)


def verdict(rule: Rule, run: Run, now: datetime) -> Verdict:
    if run.since is None:
        return Verdict(Condition.PENDING)
    held = now - run.since
    if run.level is Level.BAD and held >= timedelta(seconds=rule.duration_seconds):
        return Verdict(Condition.ACTIVE, run.message, run.since)
    if run.level is Level.OK and held >= timedelta(seconds=rule.clear_seconds):
        return Verdict(Condition.CLEAR, run.message, run.since)
    return Verdict(Condition.PENDING, run.message, run.since)


def evaluate(
    rule: Rule, samples: Sequence[Sample], now: datetime, run: Run | None = None
) -> tuple[Verdict, Run]:
    """Fold ``samples`` (oldest first, one connector) into ``run`` and judge it at ``now``."""
    current = run or Run()
    for i, s in enumerate(samples):
        current = advance(current, classify(rule, samples, i), s.at)
    return verdict(rule, current, now), current


def offline_verdict(
    rule: Rule,
    *,
    online: bool,
    last_seen_at: datetime | None,
    connected_at: datetime | None,
    now: datetime,
) -> Verdict:
    """OFFLINE: disconnected, or nothing heard (heartbeat or any message) for ``threshold`` seconds,
    for ``duration_seconds``. Clears once connected and heard from for ``clear_seconds``. A station
    never seen yet is not alerted on (it is being commissioned)."""
    if last_seen_at is None:
        return Verdict(Condition.PENDING)
    silent_after = timedelta(seconds=rule.threshold)
    if not online:
        since, why = last_seen_at, "disconnected"
    elif now - last_seen_at > silent_after:
        since, why = (
            last_seen_at + silent_after,
            f"silent for {int((now - last_seen_at).total_seconds())} s",
        )
    else:
        up_since = connected_at or last_seen_at
        if now - up_since >= timedelta(seconds=rule.clear_seconds):
            return Verdict(Condition.CLEAR, "the station is online", up_since)
        return Verdict(Condition.PENDING, "the station is online", up_since)
    if now - since >= timedelta(seconds=rule.duration_seconds):
        return Verdict(
            Condition.ACTIVE, f"the station is offline ({why}) since {since:%H:%M} UTC", since
        )
    return Verdict(Condition.PENDING, why, since)


def is_critical_security_event(event_type: str, critical: bool | None) -> bool:
    return critical if critical is not None else event_type in CRITICAL_SECURITY_EVENTS


def security_verdict(
    rule: Rule, *, event_type: str, critical: bool | None, tech_info: str | None, at: datetime
) -> Verdict:
    """SECURITY_EVENT: a critical event raises at once. It never clears by itself."""
    if not is_critical_security_event(event_type, critical):
        return Verdict(Condition.PENDING)
    detail = f": {tech_info}" if tech_info else ""
    return Verdict(Condition.ACTIVE, f"critical security event {event_type}{detail}", at)
