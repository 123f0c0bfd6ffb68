"""Health snapshots written behind, coalesced per station (a ``WriteBehind`` keyed by station).

Every telemetry or status event refreshes the station's health snapshot. Writing each one at once
cost a MongoDB write per MeterValues (the largest write left on that path); a snapshot is a read
model rebuilt from the station's next samples, so only the latest per station matters. The writer
keeps the latest snapshot per station; a flush writes all waiting ones in one unordered
``bulk_write`` at most every ``interval`` seconds. Readers in this process call ``flush`` first, so
they never see an older snapshot than the one computed; another node's readers see it at most
``interval`` (plus one write) late, and a crash loses at most that much of a read model the next
sample rebuilds.
"""

from __future__ import annotations

from domain.common.batching import WriteBehind, about_the_data
from domain.diagnostics import repository as repo
from domain.diagnostics.models import StationHealth

HealthWriter = WriteBehind[StationHealth]


def health_writer(*, interval: float = 0.5) -> HealthWriter:
    return WriteBehind(
        _save,
        interval=interval,
        key=lambda h: h.station_id,
        name="health snapshots",
        isolate=about_the_data,
    )


async def _save(batch: list[StationHealth]) -> None:
    await repo.save_healths(batch)
