"""``SampleRecorder``: a station's meter samples kept once each and published as telemetry.

Each sample gets its deterministic key (``metering.sample_key``): a retried message stores nothing
twice. ``unsent`` drops the ones stored lately; ``keep`` stores the rest before it returns and
returns them (the new samples); ``publish`` turns new samples into charging's
``StationTelemetrySampled`` event. (MeterValues stores its samples with the session's update in
one group-committed write: ``recorder.py``.)
"""

from __future__ import annotations

from datetime import datetime

from beanie import PydanticObjectId

from domain.charging import metering
from domain.charging.results import station_oid
from domain.charging.store import ChargingStore
from domain.charging.telemetry_event import telemetry_event
from domain.common.events import EventBus
from domain.network.models import Station


class SampleRecorder:
    def __init__(self, store: ChargingStore, events: EventBus) -> None:
        self.store = store
        self.events = events

    def unsent(
        self,
        station_id: PydanticObjectId,
        connector_id: int,
        transaction_id: str | None,
        samples: list[metering.SampledValue],
    ) -> list[tuple[str, metering.SampledValue]]:
        """The samples (keyed) neither repeated in the message nor stored lately."""
        if not samples:
            return []
        keyed = keyed_samples(station_id, connector_id, transaction_id, samples)
        recent = self.store.samples.seen([k for k, _ in keyed])
        return [(k, s) for k, s in dict(keyed).items() if k not in recent]

    async def keep(
        self,
        station: Station,
        connector_id: int,
        transaction_id: str | None,
        samples: list[metering.SampledValue],
    ) -> list[metering.SampledValue]:
        """Store the samples not stored yet; return those (the new ones)."""
        sid = station_oid(station)
        keyed = self.unsent(sid, connector_id, transaction_id, samples)
        if not keyed:
            return []
        return await self.store.store_samples(
            station.org_id, sid, connector_id, transaction_id, keyed
        )

    def publish(
        self,
        station: Station,
        connector_id: int,
        samples: list[metering.SampledValue],
        now: datetime,
    ) -> None:
        event = telemetry_event(
            org_id=str(station.org_id),
            site_id=str(station.site_id),
            station_id=str(station.id),
            connector_id=connector_id,
            samples=samples,
        )
        if event is not None:
            self.events.publish(event)


def keyed_samples(
    station_id: PydanticObjectId,
    connector_id: int,
    transaction_id: str | None,
    samples: list[metering.SampledValue],
) -> list[tuple[str, metering.SampledValue]]:
    """Each sample with its deterministic key: what makes a retried message store nothing twice."""
    return [
        (metering.sample_key(str(station_id), connector_id, transaction_id, s), s) for s in samples
    ]
