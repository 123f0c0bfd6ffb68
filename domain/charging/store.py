"""``ChargingStore``: the one owner of charging's write paths and of read-your-writes.

What it holds together:
- ``meter_writes``: MeterValues (new samples and the session's running update) stored before their
  answer, group-committed across stations (``meter_writes.py``);
- ``samples`` (``RecentSampleKeys``): the keys of the samples stored lately (a replayed message
  stores nothing twice);
- ``running`` (``RunningSessions``): this process's copy of the running sessions, what MeterValues
  updates instead of reading the session each time;
- ``inserts``: started sessions' inserts, group-committed across concurrent starts.

Every write is stored before the call that made it returns, so whatever a station was answered
for is stored. A read of a session or of samples waits for the meter writes still in flight for
it (a station that sends before its previous answer came), then reads through the repositories.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId

from domain.charging import sample_repository as sample_repo
from domain.charging import session_repository as session_repo
from domain.charging.meter_writes import MeterWrite, write_meter_batch
from domain.charging.metering import SampledValue, TelemetryRow
from domain.charging.models import ChargingSession, MeterSample
from domain.charging.results import lock_key
from domain.charging.running import RunningSessions
from domain.charging.sample_keys import RecentSampleKeys, Stream
from domain.common.batching import GroupCommit, about_the_data


class ChargingStore:
    def __init__(
        self,
        *,
        samples: RecentSampleKeys | None = None,
        running: RunningSessions | None = None,
        max_batch: int = 1000,
    ) -> None:
        self.samples = samples or RecentSampleKeys()
        self.running = running or RunningSessions()
        self.inserts: GroupCommit[ChargingSession, str | None] = GroupCommit(
            session_repo.insert_sessions,
            max_batch=500,
            name="session inserts",
            wrap=False,
            isolate=about_the_data,
        )
        self.meter_writes: GroupCommit[MeterWrite, None] = GroupCommit(
            write_meter_batch, max_batch=max_batch, name="meter values", isolate=about_the_data
        )
        self._in_flight: Counter[PydanticObjectId] = Counter()  # stations and sessions
        self._keys_in_flight: set[str] = set()  # sample keys being written

    async def flush(self) -> None:
        """Wait until every write submitted so far is stored (or has failed)."""
        await self.meter_writes.drain()
        await self.inserts.drain()

    async def close(self) -> None:
        """On shutdown: every caller awaited its own write; wait for the ones still running."""
        await self.flush()

    # -- meter values ---------------------------------------------------------------------------

    async def record_meter_values(self, write: MeterWrite) -> None:
        """Store the samples and the session update of one MeterValues, with the concurrent
        ones; returns once they are stored (raises when they are not)."""
        streams: dict[Stream, list[datetime]] = {}
        for row in write.samples:
            stream = (row.station_id, row.connector_id, row.transaction_id)
            streams.setdefault(stream, []).append(row.sample.at)
        keys = {r.key for r in write.samples}
        if keys & self._keys_in_flight:  # the same samples resent before their first answer
            await self.meter_writes.settled()  # then checked against what that one stored
        elif all(self.samples.all_newer(s, times) for s, times in streams.items()):
            write = replace(write, check_stored=False)
        held = [write.station_id] + ([write.update.session_id] if write.update else [])
        for key in held:
            self._in_flight[key] += 1
        self._keys_in_flight |= keys
        try:
            await self.meter_writes.submit(write)
        finally:
            self._keys_in_flight -= keys
            for key in held:
                self._in_flight[key] -= 1
                if self._in_flight[key] <= 0:
                    del self._in_flight[key]
        self.samples.remember_keys([r.key for r in write.samples])
        for stream, times in streams.items():
            self.samples.stored(stream, times)

    # -- sessions: reads that see every answered write ----------------------------------------

    async def _settle(
        self,
        session_id: PydanticObjectId | None = None,
        station_id: PydanticObjectId | None = None,
    ) -> None:
        """Wait for the meter writes in flight for that session (or station; neither: any)."""
        key = session_id if session_id is not None else station_id
        if (key is None and self._in_flight) or (key is not None and key in self._in_flight):
            await self.meter_writes.settled()

    async def session(self, session_id: PydanticObjectId) -> ChargingSession | None:
        await self._settle(session_id=session_id)
        return await session_repo.get_session(session_id)

    async def session_by_transaction(
        self, station_id: PydanticObjectId, transaction_id: str
    ) -> ChargingSession | None:
        await self._settle(station_id=station_id)
        return await session_repo.session_by_transaction(station_id, transaction_id)

    async def session_by_start_key(
        self, station_id: PydanticObjectId, start_key: str
    ) -> ChargingSession | None:
        await self._settle(station_id=station_id)
        return await session_repo.session_by_start_key(start_key)

    async def final_sessions_since(
        self,
        stored_since: datetime,
        *,
        after: tuple[datetime, PydanticObjectId] | None,
        limit: int,
        org_id: PydanticObjectId | None = None,
    ) -> list[ChargingSession]:
        """ENDED and FAILED sessions written since ``stored_since`` (billing's reconciler)."""
        await self._settle()
        return await session_repo.final_sessions_since(
            stored_since, after=after, limit=limit, org_id=org_id
        )

    async def session_holding(
        self, station_id: PydanticObjectId, connector_id: int
    ) -> ChargingSession | None:
        """The session holding the connector (its ``connector_lock``), if any."""
        await self._settle(station_id=station_id)
        return await session_repo.session_holding(lock_key(station_id, connector_id))

    async def running_on_connector(
        self, station_id: PydanticObjectId, connector_id: int
    ) -> ChargingSession | None:
        await self._settle(station_id=station_id)
        return await session_repo.running_on_connector(station_id, connector_id)

    async def find_pending(
        self,
        station_id: PydanticObjectId,
        connector_id: int | None,
        id_tag: str | None,
        remote_start_id: int | None,
    ) -> ChargingSession | None:
        """A PENDING remote start (it has no meter updates to wait for)."""
        return await session_repo.find_pending(station_id, connector_id, id_tag, remote_start_id)

    async def sessions_for_driver(
        self, driver_id: PydanticObjectId, after: PydanticObjectId | None, limit: int
    ) -> list[ChargingSession]:
        await self._settle()
        return await session_repo.sessions_for_driver(driver_id, after, limit)

    async def active_for_driver(self, driver_id: PydanticObjectId) -> ChargingSession | None:
        await self._settle()
        return await session_repo.active_for_driver(driver_id)

    async def sessions_for_org(
        self,
        org_id: PydanticObjectId,
        *,
        station_id: PydanticObjectId | None,
        active: bool | None,
        after: PydanticObjectId | None,
        limit: int,
    ) -> tuple[list[ChargingSession], int]:
        await self._settle()
        return await session_repo.sessions_for_org(
            org_id, station_id=station_id, active=active, after=after, limit=limit
        )

    # -- sessions: writes ---------------------------------------------------------------------

    async def insert(self, session: ChargingSession) -> str | None:
        """Insert now (alone); on a unique-key clash say which key clashed."""
        return await session_repo.insert_session(session)

    async def insert_started(self, session: ChargingSession) -> str | None:
        """Insert a started session, sharing the round trip with concurrent starts."""
        return await self.inserts.submit(session)

    async def save(self, session: ChargingSession, now: datetime) -> None:
        """Replace the stored session with ``session`` (after the meter writes of it in flight,
        which ``session`` already holds or was read after) and keep the copy."""
        await self._settle(session_id=session.id)
        session.updated_at = now
        await session_repo.save_session(session)
        self.running.put(session)

    async def adopt_pending(
        self, session_id: PydanticObjectId, values: dict[str, Any]
    ) -> ChargingSession | str | None:
        return await session_repo.adopt_pending(session_id, values)

    async def fail_if_pending(self, session_id: PydanticObjectId, flag: str, at: datetime) -> None:
        await session_repo.fail_if_pending(session_id, flag, at)

    # -- samples --------------------------------------------------------------------------------

    async def store_samples(
        self,
        org_id: PydanticObjectId,
        station_id: PydanticObjectId,
        connector_id: int,
        transaction_id: str | None,
        keyed: Sequence[tuple[str, SampledValue]],
        *,
        check_stored: bool = True,
    ) -> list[SampledValue]:
        """Store now the samples not stored lately or (``check_stored``) before; return those
        (the new ones)."""
        recent = self.samples.seen([k for k, _ in keyed])
        unique = [(k, s) for k, s in dict(keyed).items() if k not in recent]
        if not unique:
            return []
        if check_stored:
            start = min(s.at for _, s in unique)
            end = max(s.at for _, s in unique)
            keys = [k for k, _ in unique]
            seen = await sample_repo.existing_sample_keys(station_id, keys, start, end)
            unique = [(k, s) for k, s in unique if k not in seen]
        await sample_repo.insert_samples(org_id, station_id, connector_id, transaction_id, unique)
        self.samples.remember_keys([k for k, _ in unique])
        return [s for _, s in unique]

    async def samples_for_transaction(
        self, station_id: PydanticObjectId, transaction_id: str
    ) -> list[MeterSample]:
        await self._settle(station_id=station_id)
        return await sample_repo.samples_for_transaction(station_id, transaction_id)

    async def telemetry(
        self, station_id: PydanticObjectId, start: datetime, end: datetime, limit: int
    ) -> list[TelemetryRow]:
        await self._settle(station_id=station_id)
        return await sample_repo.telemetry(station_id, start, end, limit)
