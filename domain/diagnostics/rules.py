"""Alert rule kinds, their defaults, validation and which rule applies (site > organisation > default).

Each kind watches one condition. ``threshold`` means, per kind:

==========================  ==================================================  =========  ========
kind                        raised when (for ``duration_seconds``)              threshold  margin
==========================  ==================================================  =========  ========
OVERHEATING                 temperature > threshold                             70 °C      5 °C
LOW_EFFICIENCY              charging and efficiency < threshold                 70 %       5 %
VOLTAGE_OUT_OF_RANGE        a phase deviates > threshold % from nominal         10 %       2 %
PHASE_IMBALANCE             (max - min) / max of loaded phases > threshold %    25 %       5 %
NO_ENERGY_FLOW              status Charging and power <= threshold W            100 W      100 W
ENERGY_REGISTER_BACKWARDS   the energy register drops by more than threshold Wh 0 Wh       -
FAULTED                     connector status Faulted                            -          -
OFFLINE                     disconnected, or silent for more than threshold s   600 s      -
SECURITY_EVENT              a critical security event is reported               -          -
==========================  ==================================================  =========  ========

Hysteresis: an alert resolves by itself only once the *clear* condition (past the margin, e.g.
temperature below threshold - margin) has held for as long as the raise condition had to hold
(``duration_seconds``). Kinds that record a moment rather than a state (ENERGY_REGISTER_BACKWARDS,
SECURITY_EVENT) never resolve by themselves: an operator resolves them.

OFFLINE's silence threshold is never below two heartbeat intervals (the one laddnet hands stations
at boot): a station heartbeating on schedule, or answering WebSocket pings, which OCPP-J lets stand
in for Heartbeats, is not silent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from domain.common.errors import InvalidInput

MAX_DURATION_SECONDS = 86_400


class AlertKind(StrEnum):
    OVERHEATING = "OVERHEATING"
    LOW_EFFICIENCY = "LOW_EFFICIENCY"
    VOLTAGE_OUT_OF_RANGE = "VOLTAGE_OUT_OF_RANGE"
    PHASE_IMBALANCE = "PHASE_IMBALANCE"
    NO_ENERGY_FLOW = "NO_ENERGY_FLOW"
    ENERGY_REGISTER_BACKWARDS = "ENERGY_REGISTER_BACKWARDS"
    FAULTED = "FAULTED"
    OFFLINE = "OFFLINE"
    SECURITY_EVENT = "SECURITY_EVENT"


class Severity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True)
class KindSpec:
    threshold: float
    duration_seconds: int
    severity: Severity
    margin: float  # the hysteresis band, in the threshold's unit
    min_threshold: float
    max_threshold: float
    unit: str
    auto_resolve: bool = True

    @property
    def has_threshold(self) -> bool:
        return self.min_threshold < self.max_threshold


SPECS: dict[AlertKind, KindSpec] = {
    AlertKind.OVERHEATING: KindSpec(70.0, 120, Severity.CRITICAL, 5.0, 20.0, 150.0, "°C"),
    AlertKind.LOW_EFFICIENCY: KindSpec(70.0, 900, Severity.INFO, 5.0, 1.0, 100.0, "%"),
    AlertKind.VOLTAGE_OUT_OF_RANGE: KindSpec(10.0, 60, Severity.WARNING, 2.0, 1.0, 50.0, "%"),
    AlertKind.PHASE_IMBALANCE: KindSpec(25.0, 300, Severity.WARNING, 5.0, 5.0, 100.0, "%"),
    AlertKind.NO_ENERGY_FLOW: KindSpec(100.0, 300, Severity.WARNING, 100.0, 0.0, 5000.0, "W"),
    AlertKind.ENERGY_REGISTER_BACKWARDS: KindSpec(
        0.0, 0, Severity.WARNING, 0.0, 0.0, 100_000.0, "Wh", auto_resolve=False
    ),
    AlertKind.FAULTED: KindSpec(0.0, 0, Severity.CRITICAL, 0.0, 0.0, 0.0, ""),
    AlertKind.OFFLINE: KindSpec(600.0, 300, Severity.CRITICAL, 0.0, 30.0, 86_400.0, "s"),
    AlertKind.SECURITY_EVENT: KindSpec(
        0.0, 0, Severity.CRITICAL, 0.0, 0.0, 0.0, "", auto_resolve=False
    ),
}

# Kinds evaluated on a connector's samples (the others are about the station as a whole).
SAMPLE_KINDS: tuple[AlertKind, ...] = (
    AlertKind.OVERHEATING,
    AlertKind.LOW_EFFICIENCY,
    AlertKind.VOLTAGE_OUT_OF_RANGE,
    AlertKind.PHASE_IMBALANCE,
    AlertKind.NO_ENERGY_FLOW,
    AlertKind.ENERGY_REGISTER_BACKWARDS,
    AlertKind.FAULTED,
)


@dataclass(frozen=True)
class Rule:
    """The rule in force for one kind: what an operator set, or the default."""

    kind: AlertKind
    threshold: float
    duration_seconds: int
    severity: Severity
    enabled: bool = True

    @property
    def spec(self) -> KindSpec:
        return SPECS[self.kind]

    @property
    def margin(self) -> float:
        return self.spec.margin

    @property
    def clear_seconds(self) -> int:
        """How long the clear condition must hold before the alert resolves by itself."""
        return self.duration_seconds

    @property
    def auto_resolve(self) -> bool:
        return self.spec.auto_resolve


def default_rule(kind: AlertKind) -> Rule:
    spec = SPECS[kind]
    return Rule(kind, spec.threshold, spec.duration_seconds, spec.severity, True)


def parse_kind(kind: str) -> AlertKind:
    try:
        return AlertKind(kind.upper())
    except ValueError:
        raise InvalidInput(
            f"unknown alert kind {kind!r}; one of " + ", ".join(k.value for k in AlertKind),
            field="kind",
        ) from None


def parse_severity(severity: str) -> Severity:
    try:
        return Severity(severity.upper())
    except ValueError:
        raise InvalidInput(
            f"unknown severity {severity!r}; one of " + ", ".join(s.value for s in Severity),
            field="severity",
        ) from None


def validate_rule(
    kind: str,
    *,
    threshold: float | None,
    duration_seconds: int | None,
    severity: str | None,
    enabled: bool = True,
) -> Rule:
    """A rule from operator input; anything left out takes the kind's default. Raises InvalidInput."""
    k = parse_kind(kind)
    spec = SPECS[k]
    if threshold is None:
        value = spec.threshold
    else:
        value = float(threshold)
        if not math.isfinite(value):
            raise InvalidInput("threshold must be a finite number", field="threshold")
        if not spec.has_threshold:
            if value != spec.threshold:
                raise InvalidInput(f"{k.value} has no threshold; leave it out", field="threshold")
        elif not spec.min_threshold <= value <= spec.max_threshold:
            raise InvalidInput(
                f"threshold for {k.value} must be between {spec.min_threshold:g} and "
                f"{spec.max_threshold:g} {spec.unit}".rstrip(),
                field="threshold",
            )
    if duration_seconds is None:
        duration = spec.duration_seconds
    else:
        if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int):
            raise InvalidInput("durationSeconds must be a whole number", field="durationSeconds")
        if not 0 <= duration_seconds <= MAX_DURATION_SECONDS:
            raise InvalidInput(
                f"durationSeconds must be between 0 and {MAX_DURATION_SECONDS}",
                field="durationSeconds",
            )
        duration = duration_seconds
    sev = spec.severity if severity is None else parse_severity(severity)
    return Rule(k, value, duration, sev, enabled)


@dataclass(frozen=True)
class ConfiguredRule:
    """A stored rule as the resolution sees it: ``site_id`` None means organisation-wide."""

    site_id: str | None
    rule: Rule


def offline_floor(heartbeat_interval: float) -> float:
    """The shortest silence that means OFFLINE: two heartbeat intervals (one may be missed)."""
    return 2.0 * heartbeat_interval


def effective_rules(
    configured: Iterable[ConfiguredRule],
    site_id: str | None,
    *,
    heartbeat_interval: float | None = None,
) -> dict[AlertKind, Rule]:
    """Per kind: the site's rule, else the organisation's, else the default; OFFLINE's threshold
    raised to ``offline_floor(heartbeat_interval)`` where it is lower."""
    org: dict[AlertKind, Rule] = {}
    site: dict[AlertKind, Rule] = {}
    for c in configured:
        if c.site_id is None:
            org[c.rule.kind] = c.rule
        elif site_id is not None and c.site_id == site_id:
            site[c.rule.kind] = c.rule
    rules = {k: site.get(k) or org.get(k) or default_rule(k) for k in AlertKind}
    offline = rules[AlertKind.OFFLINE]
    if heartbeat_interval and offline.threshold < offline_floor(heartbeat_interval):
        rules[AlertKind.OFFLINE] = replace(offline, threshold=offline_floor(heartbeat_interval))
    return rules
