"""Rule validation, defaults and which rule applies."""

from __future__ import annotations

import math

import pytest

from domain.common.errors import InvalidInput
from domain.diagnostics.rules import (
    SPECS,
    AlertKind,
    ConfiguredRule,
    Rule,
    Severity,
    default_rule,
    effective_rules,
    validate_rule,
)


def test_every_kind_has_a_sensible_default() -> None:
    for kind in AlertKind:
        rule = default_rule(kind)
        spec = SPECS[kind]
        assert rule.enabled
        assert rule.threshold == spec.threshold
        if spec.has_threshold:
            assert spec.min_threshold <= rule.threshold <= spec.max_threshold
    assert default_rule(AlertKind.OVERHEATING).threshold == 70.0
    assert default_rule(AlertKind.OVERHEATING).severity is Severity.CRITICAL
    assert default_rule(AlertKind.FAULTED).duration_seconds == 0


def test_left_out_fields_take_the_default() -> None:
    rule = validate_rule("overheating", threshold=None, duration_seconds=None, severity=None)
    assert rule == default_rule(AlertKind.OVERHEATING)
    rule = validate_rule("OVERHEATING", threshold=60, duration_seconds=30, severity="warning")
    assert rule == Rule(AlertKind.OVERHEATING, 60.0, 30, Severity.WARNING, True)


@pytest.mark.parametrize(
    ("kind", "threshold", "duration", "severity", "field"),
    [
        ("TOO_HOT", 60, 30, None, "kind"),
        ("OVERHEATING", 500, 30, None, "threshold"),
        ("OVERHEATING", math.nan, 30, None, "threshold"),
        ("OVERHEATING", math.inf, 30, None, "threshold"),
        ("OVERHEATING", 60, -1, None, "durationSeconds"),
        ("OVERHEATING", 60, 86_401, None, "durationSeconds"),
        ("OVERHEATING", 60, 30, "URGENT", "severity"),
        ("FAULTED", 3, 0, None, "threshold"),
        ("LOW_EFFICIENCY", 0, 30, None, "threshold"),
    ],
)
def test_bad_input_is_rejected_naming_the_field(
    kind: str, threshold: float, duration: int, severity: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_rule(kind, threshold=threshold, duration_seconds=duration, severity=severity)
    assert caught.value.field == field
    assert caught.value.code == "INVALID_INPUT"


def test_site_rule_beats_org_rule_beats_default() -> None:
    org_rule = Rule(AlertKind.OVERHEATING, 60.0, 60, Severity.WARNING)
    site_rule = Rule(AlertKind.OVERHEATING, 50.0, 10, Severity.CRITICAL)
    other_site = Rule(AlertKind.OVERHEATING, 40.0, 10, Severity.INFO)
    configured = [
        ConfiguredRule(None, org_rule),
        ConfiguredRule("site-a", site_rule),
        ConfiguredRule("site-b", other_site),
    ]
    assert effective_rules(configured, "site-a")[AlertKind.OVERHEATING] == site_rule
    assert effective_rules(configured, "site-c")[AlertKind.OVERHEATING] == org_rule
    assert effective_rules(configured, None)[AlertKind.OVERHEATING] == org_rule
    assert effective_rules([], "site-a")[AlertKind.OVERHEATING] == default_rule(
        AlertKind.OVERHEATING
    )
    # kinds nobody configured keep their default next to configured ones
    assert effective_rules(configured, "site-a")[AlertKind.FAULTED] == default_rule(
        AlertKind.FAULTED
    )


def test_hysteresis_period_is_the_duration_and_moments_never_self_resolve() -> None:
    rule = Rule(AlertKind.OVERHEATING, 70.0, 90, Severity.CRITICAL)
    assert rule.clear_seconds == 90
    assert rule.auto_resolve
    assert not default_rule(AlertKind.SECURITY_EVENT).auto_resolve
    assert not default_rule(AlertKind.ENERGY_REGISTER_BACKWARDS).auto_resolve


def test_offline_silence_is_never_shorter_than_two_heartbeat_intervals() -> None:
    """A station heartbeating on the interval laddnet handed it is not silent (issue 11)."""
    tight = Rule(AlertKind.OFFLINE, 120.0, 300, Severity.CRITICAL)
    configured = [ConfiguredRule(None, tight)]
    assert effective_rules([], None, heartbeat_interval=900)[AlertKind.OFFLINE].threshold == 1800
    assert effective_rules(configured, None, heartbeat_interval=300)[AlertKind.OFFLINE] == Rule(
        AlertKind.OFFLINE, 600.0, 300, Severity.CRITICAL
    )
    # a threshold above the floor is the operator's, as set; without an interval nothing changes
    assert effective_rules([], None, heartbeat_interval=60)[AlertKind.OFFLINE].threshold == 600
    assert effective_rules(configured, None)[AlertKind.OFFLINE] == tight
    # the other kinds are untouched
    assert effective_rules([], None, heartbeat_interval=900)[AlertKind.OVERHEATING] == (
        default_rule(AlertKind.OVERHEATING)
    )
