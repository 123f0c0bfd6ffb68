"""This process's copy of the sessions running on its stations (part of ``ChargingStore``)."""

from __future__ import annotations

import time
from collections import OrderedDict

from beanie import PydanticObjectId

from domain.charging.models import ChargingSession
from domain.charging.state import RUNNING


class RunningSessions:
    """This process's copy of the sessions running on its stations, by transaction and by
    connector: what MeterValues updates in memory instead of reading the session each time.

    Every write the service makes to a session also updates the copy (or drops it once the
    session is final). A copy is read again from the database after ``refresh`` seconds, so one
    changed elsewhere (e.g. the station was connected to another node meanwhile) is not trusted
    for longer; at most ``capacity`` are kept (the least recently used go first)."""

    def __init__(self, *, refresh: float = 300.0, capacity: int = 50_000) -> None:
        self.refresh = refresh
        self.capacity = capacity
        self._by_tx: OrderedDict[tuple[PydanticObjectId, str], tuple[ChargingSession, float]] = (
            OrderedDict()
        )
        self._by_connector: dict[tuple[PydanticObjectId, int], str] = {}

    def __len__(self) -> int:
        return len(self._by_tx)

    def by_transaction(
        self, station_id: PydanticObjectId, transaction_id: str
    ) -> ChargingSession | None:
        key = (station_id, transaction_id)
        entry = self._by_tx.get(key)
        if entry is None:
            return None
        session, loaded = entry
        if time.monotonic() - loaded > self.refresh:
            self.drop(session)
            return None
        self._by_tx.move_to_end(key)
        return session

    def on_connector(
        self, station_id: PydanticObjectId, connector_id: int
    ) -> ChargingSession | None:
        tx = self._by_connector.get((station_id, connector_id))
        return self.by_transaction(station_id, tx) if tx is not None else None

    def put(self, session: ChargingSession) -> None:
        """Keep ``session`` (as just read or written) while it runs; drop it once it does not."""
        if session.transaction_id is None:
            return
        if session.status not in RUNNING:
            self.drop(session)
            return
        key = (session.station_id, session.transaction_id)
        self._by_tx[key] = (session, time.monotonic())
        self._by_tx.move_to_end(key)
        self._by_connector[(session.station_id, session.connector_id)] = session.transaction_id
        while len(self._by_tx) > self.capacity:
            (_, _), (old, _) = self._by_tx.popitem(last=False)
            self._unlink(old)

    def drop(self, session: ChargingSession) -> None:
        if session.transaction_id is None:
            return
        entry = self._by_tx.pop((session.station_id, session.transaction_id), None)
        self._unlink(entry[0] if entry is not None else session)

    def _unlink(self, session: ChargingSession) -> None:
        key = (session.station_id, session.connector_id)
        if self._by_connector.get(key) == session.transaction_id:
            del self._by_connector[key]
