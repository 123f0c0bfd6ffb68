"""The sample-recording methods ``StationReports`` provides and its mixins (``Notices``,
``TransactionEvents``) call, declared once for the type checker."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain.charging import metering
from domain.network.models import Station


class RecordsSamples:
    if TYPE_CHECKING:

        async def _store_samples(
            self,
            station: Station,
            connector_id: int,
            transaction_id: str | None,
            samples: list[metering.Sample],
        ) -> list[metering.Sample]: ...

        def _publish_telemetry(
            self,
            station: Station,
            connector_id: int,
            samples: list[metering.Sample],
            now: datetime,
        ) -> None: ...
