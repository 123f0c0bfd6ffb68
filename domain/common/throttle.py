"""A sliding-window failure counter per client key: pure rule, in memory, no I/O."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class FailureThrottle:
    """``limit`` failures within ``window`` seconds blocks the key until the window has passed."""

    limit: int
    window: float
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        if not q:
            self._failures.pop(key, None)
        return q

    def blocked(self, key: str, now: float) -> bool:
        return len(self._prune(key, now)) >= self.limit

    def retry_after(self, key: str, now: float) -> float:
        q = self._prune(key, now)
        return max(0.0, self.window - (now - q[0])) if len(q) >= self.limit else 0.0

    def fail(self, key: str, now: float) -> None:
        self._prune(key, now)
        self._failures.setdefault(key, deque()).append(now)

    def succeed(self, key: str) -> None:
        self._failures.pop(key, None)
