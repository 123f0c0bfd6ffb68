"""A sliding-window rate limit per client key: pure rule, in memory, no I/O, bounded."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field


@dataclass
class SlidingWindowLimit:
    """At most ``limit`` hits per ``window`` seconds per key.

    At most ``capacity`` keys are kept, most recently hit last: keys whose last hit is older than
    the window are pruned from the front as others arrive, and past capacity the least recently
    hit is forgotten, so many one-off clients cost bounded memory."""

    limit: int
    window: float
    capacity: int = 10_000
    _hits: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict, repr=False)

    @property
    def size(self) -> int:
        """Keys remembered (not ``__len__``: an empty throttle must not be falsy)."""
        return len(self._hits)

    def _prune_stale(self, now: float) -> None:
        hits = self._hits
        while hits:
            key, q = next(iter(hits.items()))
            if q and now - q[-1] < self.window:
                return
            del hits[key]

    def hit(self, key: str, now: float) -> float:
        """Count a hit. Returns 0 when allowed, else the seconds until the next one would be."""
        self._prune_stale(now)
        q = self._hits.get(key)
        if q is None:
            q = self._hits[key] = deque()
        while q and now - q[0] >= self.window:
            q.popleft()
        if len(q) >= self.limit:
            return max(0.001, self.window - (now - q[0]))
        q.append(now)
        self._hits.move_to_end(key)
        while len(self._hits) > self.capacity:
            self._hits.popitem(last=False)
        return 0.0
