"""Failed-attempt throttling: pure rules, in memory, no I/O, bounded whatever clients send.

``FailureThrottle`` counts failures per key. ``LoginThrottle`` combines three of them so that
failed logins cannot be turned against the account they name: an attacker's failures block the
attacker's source, and a budget per account bounds guessing from many sources, while the
account's owner (a source that is not failing, or one it signed in from before) still gets in.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

DEFAULT_CAPACITY = 10_000


@dataclass
class FailureThrottle:
    """``limit`` failures within ``window`` seconds of a key's first one block the key until that
    window has passed.

    Bounded: at most ``capacity`` keys are kept (about 200 bytes each). Keys are kept in order of
    their first failure, so those whose window has passed are pruned from the front as others
    arrive; past capacity the oldest is forgotten (a flood of one-off keys costs no more)."""

    limit: int
    window: float
    capacity: int = DEFAULT_CAPACITY
    _entries: dict[Hashable, tuple[int, float]] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        """Keys remembered (not ``__len__``: an empty throttle must not be falsy)."""
        return len(self._entries)

    def prune(self, now: float) -> None:
        entries = self._entries
        while entries:
            key = next(iter(entries))
            if now - entries[key][1] < self.window:
                return
            del entries[key]

    def failures(self, key: Hashable, now: float) -> int:
        """Failures of ``key`` in its current window."""
        self.prune(now)
        entry = self._entries.get(key)
        return entry[0] if entry is not None else 0

    def blocked(self, key: Hashable, now: float) -> bool:
        return self.failures(key, now) >= self.limit

    def retry_after(self, key: Hashable, now: float) -> float:
        if not self.blocked(key, now):
            return 0.0
        return max(0.0, self.window - (now - self._entries[key][1]))

    def fail(self, key: Hashable, now: float) -> None:
        self.prune(now)
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = (1, now)
            while len(self._entries) > self.capacity:
                del self._entries[next(iter(self._entries))]
        else:
            self._entries[key] = (entry[0] + 1, entry[1])  # keeps its place: same first failure

    def succeed(self, key: Hashable) -> None:
        self._entries.pop(key, None)


def _account_key(account: str) -> bytes:
    """A short fixed-size key: account names come from clients and may be long."""
    return hashlib.blake2b(account.encode(), digest_size=12).digest()


@dataclass
class LoginThrottle:
    """Failed logins by (source address, account), where the account is a station id or an email.

    - **pair**: ``limit`` failures from one source for one account block that pair (its own
      retries with a stale key, or one source guessing one account);
    - **source**: ``limit`` x ``source_factor`` failures from one source, over any accounts, block
      the source for every account it has not signed in to before (one source spraying ids);
    - **account**: ``limit`` x ``account_factor`` failures for one account from all sources spend
      its budget: then only sources that have no failures of their own in the window, or that
      signed in to it before, are still heard (many sources guessing one account).

    So a station presenting the right key from its own address gets in whatever others send; only
    a source that shares the attacker's address (a proxy not declared trusted, a shared NAT) can
    be held back, and then only if it never signed in from there. Every map is bounded."""

    limit: int
    window: float
    source_factor: int = 4
    account_factor: int = 10
    capacity: int = DEFAULT_CAPACITY
    pairs: FailureThrottle = field(init=False)
    sources: FailureThrottle = field(init=False)
    accounts: FailureThrottle = field(init=False)
    _known: OrderedDict[tuple[str, bytes], None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pairs = FailureThrottle(self.limit, self.window, self.capacity)
        self.sources = FailureThrottle(self.limit * self.source_factor, self.window, self.capacity)
        self.accounts = FailureThrottle(
            self.limit * self.account_factor, self.window, self.capacity
        )
        self._known = OrderedDict()

    def check(self, source: str, account: str, now: float) -> float:
        """0 when this attempt may be checked; else the seconds until it may be."""
        key = _account_key(account)
        pair = (source, key)
        if self.pairs.blocked(pair, now):
            return self.pairs.retry_after(pair, now)
        if pair in self._known:
            return 0.0
        if self.sources.blocked(source, now):
            return self.sources.retry_after(source, now)
        if self.accounts.blocked(key, now) and self.sources.failures(source, now) > 0:
            return self.accounts.retry_after(key, now)
        return 0.0

    def fail(self, source: str, account: str, now: float) -> None:
        key = _account_key(account)
        self.pairs.fail((source, key), now)
        self.sources.fail(source, now)
        self.accounts.fail(key, now)

    def succeed(self, source: str, account: str) -> None:
        """The pair's own failures are forgiven and the pair remembered. The source's and the
        account's counts stay: signing in to one's own account must not clear a source that
        guesses others."""
        pair = (source, _account_key(account))
        self.pairs.succeed(pair)
        self._known[pair] = None
        self._known.move_to_end(pair)
        while len(self._known) > self.capacity:
            self._known.popitem(last=False)

    def sizes(self) -> dict[str, int]:
        return {
            "pairs": self.pairs.size,
            "sources": self.sources.size,
            "accounts": self.accounts.size,
            "known": len(self._known),
        }
