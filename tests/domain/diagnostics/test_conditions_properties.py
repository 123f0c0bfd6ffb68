"""Properties of the overheating rule over arbitrary temperature series."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.diagnostics.conditions import Condition, evaluate
from domain.diagnostics.rules import AlertKind, Rule, Severity
from tests.factories.diagnostics import T0, series

RULE = Rule(AlertKind.OVERHEATING, 70.0, 60, Severity.CRITICAL)

temps = st.lists(st.floats(min_value=0, max_value=120, allow_nan=False), min_size=1, max_size=40)


@given(temps, st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=600))
def test_active_only_when_every_reading_since_is_hot_for_the_duration(
    values: list[float], every: int, extra: int
) -> None:
    samples = series(every, [{"temperature_c": t} for t in values])
    now = samples[-1].at + timedelta(seconds=extra)
    found, _ = evaluate(RULE, samples, now)
    if found.condition is Condition.ACTIVE:
        assert found.since is not None and now - found.since >= timedelta(seconds=60)
        assert all(s.temperature_c > 70.0 for s in samples if s.at >= found.since)  # type: ignore[operator]
    if found.condition is Condition.CLEAR:
        assert found.since is not None
        assert all(s.temperature_c < 65.0 for s in samples if s.at >= found.since)  # type: ignore[operator]
    # and conversely: a series hot from its start for the duration is active
    if all(t > 70.0 for t in values) and now - T0 >= timedelta(seconds=60):
        assert found.condition is Condition.ACTIVE
