"""``ExpiringCache``: a bounded in-memory map whose entries are trusted for a while. Pure, no I/O.

For facts a service remembers to save reads (e.g. "this session holds nothing", "this session's
pricing context"): each entry has its own lifetime (``math.inf``: until evicted), and when the cache
is full the entry stored longest ago makes room. Not shared between processes: a cache, never the
truth.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    def __init__(
        self, name: str, max_entries: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ValueError("a cache holds at least one entry")
        self.name = name
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value stored for ``key`` if it is still trusted; an expired entry is dropped."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def put(self, key: K, value: V, ttl: float) -> None:
        """Trust ``value`` for ``ttl`` seconds; the oldest entry makes room when full."""
        self._entries.pop(key, None)
        while len(self._entries) >= self.max_entries:
            self._entries.popitem(last=False)
        self._entries[key] = (self._clock() + ttl, value)

    def pop(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"ExpiringCache({self.name!r}, {len(self)}/{self.max_entries})"
