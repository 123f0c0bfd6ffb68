"""What this process knows it stored lately (part of ``ChargingStore``), so a MeterValues costs no
query to tell a replay from new samples:

- the keys of the samples stored lately: a retried message is recognised at once;
- per stream (station, connector, transaction) the time of the latest sample stored: samples all
  later than it cannot be stored already, so their write skips the check of the keys the store
  holds (a transaction this process started has none stored). Anything else (a stream this process
  has not seen, an offline backlog sent late, a replay after a restart) is checked against the
  store before it is inserted."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from beanie import PydanticObjectId

Stream = tuple[PydanticObjectId, int, str | None]


class RecentSampleKeys:
    def __init__(self, *, remember: int = 20_000) -> None:
        """``remember``: how many recent sample keys are kept (~180 bytes each). 20,000 covers
        about ten seconds of 10,000 stations' meter values (the 200,000 kept before grew a soak's
        memory for half an hour)."""
        self.remember = remember
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._latest: OrderedDict[Stream, datetime] = OrderedDict()

    def seen(self, keys: Sequence[str]) -> set[str]:
        """The keys among ``keys`` stored by this process lately."""
        return {k for k in keys if k in self._recent}

    def remember_keys(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._recent[key] = None
            self._recent.move_to_end(key)
        while len(self._recent) > self.remember:
            self._recent.popitem(last=False)

    def all_newer(self, stream: Stream, times: Iterable[datetime]) -> bool:
        """Whether every sample time is later than the latest this process stored for the
        stream (False when it stored none lately: the store is asked)."""
        latest = self._latest.get(stream)
        return latest is not None and all(at > latest for at in times)

    def opened(self, stream: Stream) -> None:
        """A transaction this process just started: none of its samples can be stored yet."""
        self.stored(stream, [datetime.min.replace(tzinfo=UTC)])

    def stored(self, stream: Stream, times: Iterable[datetime]) -> None:
        top = max(times, default=None)
        if top is None:
            return
        known = self._latest.get(stream)
        self._latest[stream] = top if known is None else max(known, top)
        self._latest.move_to_end(stream)
        while len(self._latest) > self.remember:
            self._latest.popitem(last=False)
