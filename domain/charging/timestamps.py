"""Sanity of the clocks stations report: pure rule.

A station's clock may be unset (1970), off by years, or far ahead. Such a timestamp is kept for the
record but flagged, and the server's receive time is used where a time is needed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.common.clock import as_utc

EARLIEST = datetime(2017, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)

FLAG_OUT_OF_RANGE = "timestamp_out_of_range"
FLAG_UNPARSEABLE = "timestamp_unparseable"


def check(reported: datetime | None, received_at: datetime) -> tuple[datetime, str | None]:
    """(the time to use, a flag or None). ``reported`` None means the station's value did not parse."""
    if reported is None:
        return received_at, FLAG_UNPARSEABLE
    reported = as_utc(reported)
    if reported < EARLIEST or reported > received_at + MAX_AHEAD:
        return received_at, FLAG_OUT_OF_RANGE
    return reported, None


def parse(value: object) -> datetime | None:
    """An OCPP dateTime string as aware UTC, or None if it is not one."""
    if isinstance(value, datetime):
        return as_utc(value)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        return None
