"""Time-of-day windows in the site's timezone: where they begin and end in UTC. Pure.

A window's clock times are the site's wall clock. Each occurrence is turned into a UTC range once,
DST-correctly: a wall-clock time that happens twice (clocks going back) is its first occurrence; a
wall-clock time that never happens (the spring-forward gap) is the moment the clocks jump. Both
mappings keep wall-clock order, so windows that do not overlap on the wall clock never overlap in
UTC, and an interval is split exactly at the occurrences' boundaries.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from domain.tariffs.models import MINUTES_PER_DAY, TimeWindow


@dataclass(frozen=True, slots=True)
class Piece:
    """A part of an interval lying wholly inside one window (or outside all of them)."""

    start: datetime
    end: datetime
    window: TimeWindow | None


def local_to_utc(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """Wall-clock ``minute`` after midnight of ``day`` at the site → the UTC instant (see module)."""
    extra_days, minute = divmod(minute, MINUTES_PER_DAY)
    naive = datetime.combine(day + timedelta(days=extra_days), time(minute // 60, minute % 60))
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first  # exists (for a repeated time, its first occurrence)
    # In the gap: fold=0 reads it with the offset before the jump, fold=1 with the one after, and the
    # jump lies between the two readings. Find it to the second.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)  # before the jump
    high = first  # after the jump
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(tz).utcoffset() == before:
            low = mid
        else:
            high = mid
    return high.replace(microsecond=0)  # transitions fall on whole seconds


def occurrences(
    window: TimeWindow, start: datetime, end: datetime, tz: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """The window's UTC ranges that overlap ``[start, end)``."""
    day = start.astimezone(tz).date() - timedelta(days=1)  # a window lasts at most a day
    last = end.astimezone(tz).date()
    length = window.end_minute - window.start_minute
    if length <= 0:
        length += MINUTES_PER_DAY
    while day <= last:
        if day.isoweekday() in window.days_of_week:
            begin = local_to_utc(day, window.start_minute, tz)
            finish = local_to_utc(day, window.start_minute + length, tz)
            if begin < end and finish > start and finish > begin:
                yield begin, finish
        day += timedelta(days=1)


def split(
    start: datetime, end: datetime, windows: Sequence[TimeWindow], tz: ZoneInfo
) -> list[Piece]:
    """``[start, end)`` cut at every window boundary inside it, each piece with its window.

    If windows overlap after all (validation refuses that), the first one in the tariff wins.
    An empty interval (``start == end``) is one piece, in the window holding ``start``.
    """
    ranges: list[tuple[datetime, datetime, TimeWindow]] = [
        (b, e, w) for w in windows for b, e in occurrences(w, start, end + _TICK, tz)
    ]
    cuts = {start, end}
    for b, e, _ in ranges:
        cuts.update(t for t in (b, e) if start < t < end)
    ordered = sorted(cuts)
    pairs = list(pairwise(ordered)) or [(start, end)]
    return [Piece(a, b, _holding(a, ranges)) for a, b in pairs]


def _holding(
    at: datetime, ranges: list[tuple[datetime, datetime, TimeWindow]]
) -> TimeWindow | None:
    for b, e, window in ranges:
        if b <= at < e:
            return window
    return None


_TICK = timedelta(microseconds=1)
