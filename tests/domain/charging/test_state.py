"""The session state machine and idle accounting: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.charging import state
from domain.charging.state import SessionStatus as S

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_session_runs_through_its_life() -> None:
    status = S.PENDING
    for reported, expected in [
        (S.STARTED, S.STARTED),
        (S.CHARGING, S.CHARGING),
        (S.SUSPENDED, S.SUSPENDED),
        (S.CHARGING, S.CHARGING),
        (S.IDLE, S.IDLE),
        (S.ENDED, S.ENDED),
    ]:
        status = state.transition(status, reported)
        assert status is expected


def test_impossible_moves_are_ignored_not_errors() -> None:
    assert state.transition(S.CHARGING, S.PENDING) is S.CHARGING
    assert state.transition(S.CHARGING, S.STARTED) is S.CHARGING  # no going back to "started"
    assert (
        state.transition(S.CHARGING, S.FAILED) is S.CHARGING
    )  # a started session ends, never fails
    assert state.transition(S.CHARGING, None) is S.CHARGING


@given(st.sampled_from(list(S)))
def test_final_states_never_change(target: S) -> None:
    assert state.transition(S.ENDED, target) is S.ENDED
    assert state.transition(S.FAILED, target) is S.FAILED


def test_what_stations_report_maps_onto_the_session() -> None:
    assert state.from_connector_status("Charging") is S.CHARGING
    assert state.from_connector_status("SuspendedEV") is S.SUSPENDED
    assert state.from_connector_status("Finishing") is S.IDLE
    assert state.from_connector_status("Available") is None  # the stop message ends a session
    assert state.from_charging_state("EVConnected") is S.STARTED
    assert state.from_charging_state("Idle") is S.IDLE
    assert state.from_charging_state(None) is None


def test_idle_time_counts_while_plugged_in_without_charging() -> None:
    since, total = state.idle_seconds_after(S.CHARGING, None, 0, S.SUSPENDED, T0)
    assert (since, total) == (T0, 0)
    since, total = state.idle_seconds_after(
        S.SUSPENDED, since, total, S.CHARGING, T0 + timedelta(minutes=5)
    )
    assert (since, total) == (None, 300)
    since, total = state.idle_seconds_after(
        S.CHARGING, since, total, S.IDLE, T0 + timedelta(minutes=10)
    )
    assert state.idle_seconds_now(since, total, T0 + timedelta(minutes=12)) == 420
    since, total = state.idle_seconds_after(
        S.IDLE, since, total, S.ENDED, T0 + timedelta(minutes=15)
    )
    assert (since, total) == (None, 600)


@given(st.lists(st.sampled_from(list(S)), max_size=30))
def test_any_report_sequence_ends_in_a_reachable_state(reports: list[S]) -> None:
    status = S.PENDING
    for r in reports:
        new = state.transition(status, r)
        assert new == status or state.can_transition(status, new)
        status = new
