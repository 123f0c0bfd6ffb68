"""The keys of the samples this process stored lately (part of ``ChargingStore``): a retried
MeterValues is recognised without a query. A retry older than what is remembered is still caught:
every write asks the store which keys it holds already."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence


class RecentSampleKeys:
    def __init__(self, *, remember: int = 20_000) -> None:
        """``remember``: how many recent sample keys are kept (~180 bytes each). 20,000 covers
        about ten seconds of 10,000 stations' meter values (the 200,000 kept before grew a soak's
        memory for half an hour)."""
        self.remember = remember
        self._recent: OrderedDict[str, None] = OrderedDict()

    def seen(self, keys: Sequence[str]) -> set[str]:
        """The keys among ``keys`` stored by this process lately."""
        return {k for k in keys if k in self._recent}

    def remember_keys(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._recent[key] = None
            self._recent.move_to_end(key)
        while len(self._recent) > self.remember:
            self._recent.popitem(last=False)
