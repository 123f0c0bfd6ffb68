"""Report arithmetic on plain values: calendar buckets in a time zone, the peak-hours denominator,
percentages and the bottleneck recommendation. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class GroupBy(StrEnum):
    STATION = "STATION"
    SITE = "SITE"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"

    @property
    def calendar_unit(self) -> str | None:
        """The MongoDB date unit of a calendar grouping; None for STATION and SITE."""
        return {"DAY": "day", "WEEK": "week", "MONTH": "month"}.get(self.value)


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    start: datetime  # UTC, clipped to the range
    end: datetime
    period_start: datetime  # UTC, the period's own start (before clipping)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def _local_floor(at: datetime, unit: str, tz: ZoneInfo) -> datetime:
    local = at.astimezone(tz)
    day = datetime(local.year, local.month, local.day, tzinfo=tz)
    if unit == "week":
        day -= timedelta(days=local.weekday())
    elif unit == "month":
        day = datetime(local.year, local.month, 1, tzinfo=tz)
    return day


def _local_next(start: datetime, unit: str, tz: ZoneInfo) -> datetime:
    """The next calendar boundary after a local boundary ``start`` (wall-clock arithmetic)."""
    if unit == "day":
        naive = start.replace(tzinfo=None) + timedelta(days=1)
    elif unit == "week":
        naive = start.replace(tzinfo=None) + timedelta(days=7)
    else:
        y, m = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        naive = datetime(y, m, 1)
    return naive.replace(tzinfo=tz)


def bucket_key(start_local: datetime, unit: str) -> tuple[str, str]:
    """(key, label) of a calendar bucket from its local start."""
    if unit == "day":
        return start_local.strftime("%Y-%m-%d"), start_local.strftime("%a %d %b %Y")
    if unit == "week":
        year, week, _ = start_local.isocalendar()
        return f"{year}-W{week:02d}", f"Week {week} {year} (from {start_local:%d %b})"
    return start_local.strftime("%Y-%m"), start_local.strftime("%B %Y")


def calendar_buckets(start: datetime, end: datetime, unit: str, timezone: str) -> list[Bucket]:
    """Days, weeks (Monday first) or months of ``[start, end)`` in ``timezone``, clipped to it."""
    tz = ZoneInfo(timezone)
    out: list[Bucket] = []
    local = _local_floor(start, unit, tz)
    while local.astimezone(UTC) < end:
        nxt = _local_next(local, unit, tz)
        key, label = bucket_key(local, unit)
        b0 = max(local.astimezone(UTC), start)
        b1 = min(nxt.astimezone(UTC), end)
        if b1 > b0:
            out.append(Bucket(key, label, b0, b1, local.astimezone(UTC)))
        local = nxt
    return out


def hour_cell_seconds(
    start: datetime, end: datetime, timezone: str
) -> dict[tuple[int, int], float]:
    """Seconds of ``[start, end)`` falling in each local (ISO weekday 1-7, hour 0-23) cell. A DST
    change gives its doubled hour twice the seconds and its skipped hour none."""
    tz = ZoneInfo(timezone)
    cells: dict[tuple[int, int], float] = {}
    local = start.astimezone(tz)
    at = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    while at < end:
        nxt = at + HOUR
        piece = (min(nxt, end) - max(at, start)).total_seconds()
        if piece > 0:
            lt = at.astimezone(tz)
            key = (lt.isoweekday(), lt.hour)
            cells[key] = cells.get(key, 0.0) + piece
        at = nxt
    return cells


def percent(part: float, whole: float) -> float:
    """part / whole x 100, rounded to 0.1; 0 when there is no whole."""
    if whole <= 0:
        return 0.0
    return round(100.0 * part / whole, 1)


def hours(seconds: float) -> float:
    return round(seconds / 3600.0, 2)


def share(total: float, piece_seconds: float, duration_seconds: float) -> float:
    """The part of ``total`` belonging to a piece of a span, by time (all of it for a zero span)."""
    if duration_seconds <= 0:
        return total
    return total * piece_seconds / duration_seconds


def _day_phrase(days: Iterable[int]) -> str:
    wanted = sorted(set(days))
    if wanted and set(wanted) <= {1, 2, 3, 4, 5} and len(wanted) >= 3:
        return "weekdays"
    if set(wanted) == {6, 7}:
        return "weekends"
    if len(wanted) == 7:
        return "every day"
    return ", ".join(WEEKDAYS[d - 1] for d in wanted)


def busiest_window(cells: Mapping[tuple[int, int], float], cover: float = 0.6) -> str:
    """Where most of the time at capacity falls, e.g. "weekdays 17\u201319": the fewest busiest cells
    covering ``cover`` of the total, described by their days and their span of hours."""
    total = sum(cells.values())
    if total <= 0:
        return ""
    chosen: list[tuple[int, int]] = []
    acc = 0.0
    for cell, secs in sorted(cells.items(), key=lambda kv: (-kv[1], kv[0])):
        chosen.append(cell)
        acc += secs
        if acc >= cover * total:
            break
    days = _day_phrase(d for d, _ in chosen)
    first = min(h for _, h in chosen)
    last = max(h for _, h in chosen) + 1
    return f"{days} {first:02d}\u2013{last:02d}"


def recommendation(
    name: str, hours_at_capacity: float, cells: Mapping[tuple[int, int], float], period_days: float
) -> str:
    """A plain-language recommendation for a site or station that was full."""
    window = busiest_window(cells)
    when = f", mostly {window}" if window else ""
    share_of_period = hours_at_capacity / (period_days * 24) if period_days > 0 else 0.0
    if share_of_period >= 0.25 or hours_at_capacity >= 4 * max(period_days, 1.0):
        action = "add capacity (more connectors or a second site nearby)"
    elif hours_at_capacity >= max(period_days, 1.0):
        action = "add capacity, or steer drivers to nearby free stations at those times"
    else:
        action = "watch it: full at times, not yet often enough to add capacity"
    return f"{name} was full {hours_at_capacity:.0f} h in the period{when}: {action}."


def parse_bound(value: str, timezone: str, field: str) -> datetime:
    """A report's ``from`` or ``to`` as typed by a person: an ISO 8601 date-time with an offset is
    that instant; a date (``2026-12-01``) is that day's local midnight in ``timezone`` (the site's
    day, not UTC's), and a date-time without an offset is that wall-clock time there. Raises
    ``ValueError`` naming ``field`` when it is neither."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} must be an ISO 8601 date or date-time, got {value!r}") from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return parsed.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
