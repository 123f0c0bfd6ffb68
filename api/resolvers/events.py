"""stationEvents: the caller's organisation's station events, optionally one site's, as they happen."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.context import Info
from api.errors import coded_errors
from api.types.events import STATION_EVENTS, StationEvent, station_event_from_domain
from domain.common.events import DomainEvent, EventFilter
from domain.network.service import parse_id


def station_event_filter(org_id: str, site_id: str | None) -> EventFilter:
    def accept(event: DomainEvent) -> bool:
        return (
            isinstance(event, STATION_EVENTS)
            and event.org_id == org_id
            and (site_id is None or event.site_id == site_id)
        )

    return accept


async def station_events(
    info: Info, site_id: strawberry.ID | None = None
) -> AsyncGenerator[StationEvent, None]:
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        site: str | None = None
        if site_id is not None:
            found = await ctx.deps.network.site_for_org(
                org, parse_id(site_id, field="siteId", what="site")
            )
            site = str(found.id)
    async with ctx.deps.events.subscribe(station_event_filter(str(org), site)) as stream:
        async for event in stream:
            yield station_event_from_domain(event)
