"""A sliding-window rate limit per client key: pure rule, in memory, no I/O."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class SlidingWindowLimit:
    """At most ``limit`` hits per ``window`` seconds per key."""

    limit: int
    window: float
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._hits.setdefault(key, deque())
        while q and now - q[0] >= self.window:
            q.popleft()
        return q

    def hit(self, key: str, now: float) -> float:
        """Count a hit. Returns 0 when allowed, else the seconds until the next one would be."""
        if len(self._hits) > 10_000:  # many one-off clients: forget those whose window passed
            for stale in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window]:
                del self._hits[stale]
        q = self._prune(key, now)
        if len(q) >= self.limit:
            return max(0.001, self.window - (now - q[0]))
        q.append(now)
        return 0.0
