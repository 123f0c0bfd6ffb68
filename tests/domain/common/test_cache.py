"""ExpiringCache: entries are trusted for their own lifetime, and a full cache drops the oldest."""

from __future__ import annotations

import math

import pytest

from domain.common.cache import ExpiringCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_trusted_for_its_lifetime_then_forgotten() -> None:
    clock = Clock()
    cache: ExpiringCache[str, int] = ExpiringCache("t", 10, clock=clock)
    cache.put("a", 1, 5.0)
    cache.put("b", 2, math.inf)
    clock.now += 5.0
    assert cache.get("a") == 1 and "a" in cache
    clock.now += 0.001
    assert cache.get("a") is None and "a" not in cache
    assert len(cache) == 1  # the expired entry is gone, not just hidden
    clock.now += 1e9
    assert cache.get("b") == 2  # math.inf: until evicted


def test_a_full_cache_drops_the_entry_stored_longest_ago() -> None:
    cache: ExpiringCache[int, str] = ExpiringCache("t", 3, clock=Clock())
    for key in range(3):
        cache.put(key, str(key), 60.0)
    cache.put(0, "again", 60.0)  # storing again makes it the newest
    cache.put(3, "3", 60.0)
    assert len(cache) == 3
    assert cache.get(1) is None
    assert [cache.get(k) for k in (0, 2, 3)] == ["again", "2", "3"]
    cache.pop(2)
    cache.pop(42)  # absent: nothing happens
    assert cache.get(2) is None and len(cache) == 2
    cache.clear()
    assert len(cache) == 0


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError):
        ExpiringCache("t", 0)
