"""The throttles' rules, with a clock in hand: what blocks, what still gets in, and that no
number of clients grows them past their bound."""

from __future__ import annotations

from domain.common.throttle import FailureThrottle, LoginThrottle, _account_key
from domain.identity.ratelimit import SlidingWindowLimit


def test_a_failure_throttle_blocks_until_the_window_has_passed() -> None:
    throttle = FailureThrottle(limit=3, window=60)
    for t in (0.0, 10.0, 20.0):
        assert not throttle.blocked("k", t)
        throttle.fail("k", t)
    assert throttle.blocked("k", 30.0)
    assert throttle.retry_after("k", 30.0) == 30.0
    assert not throttle.blocked("k", 60.0)
    assert throttle.size == 0  # its window passed: pruned


def test_a_failure_throttle_is_bounded_and_prunes_what_expired() -> None:
    throttle = FailureThrottle(limit=3, window=60, capacity=100)
    for i in range(10_000):
        throttle.fail(f"one-off-{i}", i / 1000)
    assert throttle.size == 100
    assert throttle.failures("one-off-9999", 10.0) == 1  # the newest are the ones kept
    throttle.fail("late", 100.0)
    assert throttle.size == 1


def test_a_station_gets_in_from_its_own_address_whatever_others_send() -> None:
    throttle = LoginThrottle(limit=3, window=60)
    for i in range(100):
        source = f"10.0.0.{i % 50}"
        if not throttle.check(source, "CP-1", 1.0):
            throttle.fail(source, "CP-1", 1.0)
    assert throttle.accounts.blocked(_account_key("CP-1"), 1.0)
    assert throttle.check("192.0.2.7", "CP-1", 2.0) == 0  # clean address: heard
    assert throttle.check("10.0.0.1", "CP-1", 2.0) > 0  # a guesser: not heard again
    throttle.succeed("192.0.2.7", "CP-1")
    throttle.fail("192.0.2.7", "CP-2", 3.0)  # its address is dirty now, but it signed in before
    assert throttle.check("192.0.2.7", "CP-1", 3.0) == 0


def test_a_source_past_its_limit_keeps_only_the_accounts_it_signed_in_to() -> None:
    throttle = LoginThrottle(limit=2, window=60, source_factor=4)
    throttle.succeed("nat", "CP-OURS")
    for i in range(8):
        throttle.fail("nat", f"CP-{i}", 1.0)
    assert throttle.check("nat", "CP-OTHER", 2.0) > 0
    assert throttle.check("nat", "CP-OURS", 2.0) == 0
    throttle.fail("nat", "CP-OURS", 2.0)
    throttle.fail("nat", "CP-OURS", 2.0)
    assert throttle.check("nat", "CP-OURS", 3.0) > 0  # the pair's own limit still holds
    assert throttle.check("nat", "CP-OURS", 63.0) == 0


def test_login_throttle_maps_are_bounded_with_long_account_names() -> None:
    throttle = LoginThrottle(limit=3, window=60, capacity=50)
    for i in range(5_000):
        throttle.fail(f"10.1.{i >> 8}.{i & 255}", "x" * 5000 + str(i), 1.0)
        throttle.succeed(f"10.2.{i >> 8}.{i & 255}", "y" * 5000 + str(i))
    assert max(throttle.sizes().values()) == 50


def test_sign_up_limit_is_bounded_and_forgets_stale_clients() -> None:
    limit = SlidingWindowLimit(limit=2, window=60, capacity=100)
    for i in range(5_000):
        assert limit.hit(f"client-{i}", 1.0) == 0
    assert limit.size == 100
    assert limit.hit("again", 100.0) == 0
    assert limit.size == 1
