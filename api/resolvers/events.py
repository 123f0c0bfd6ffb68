"""stationEvents: the caller's organisation's station events, optionally one site's, as they happen."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.context import Info
from api.errors import coded_errors
from api.types.events import STATION_EVENTS, StationEvent, station_event_from_domain
from domain.common.events import DomainEvent, EventFilter
from domain.network.service import parse_id


def scoped_filter(
    kinds: type[DomainEvent] | tuple[type[DomainEvent], ...], org_id: str, site_id: str | None
) -> EventFilter:
    """Events of ``kinds`` in one organisation, optionally one of its sites."""

    def accept(event: DomainEvent) -> bool:
        return (
            isinstance(event, kinds)
            and event.org_id == org_id
            and (site_id is None or event.site_id == site_id)
        )

    return accept


def station_event_filter(org_id: str, site_id: str | None) -> EventFilter:
    return scoped_filter(STATION_EVENTS, org_id, site_id)


async def operator_scope(info: Info, site_id: strawberry.ID | None) -> tuple[str, str | None]:
    """The reading operator's organisation and, when asked, one of its sites (else NOT_FOUND)."""
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        if site_id is None:
            return str(org), None
        found = await ctx.deps.network.site_for_org(
            org, parse_id(site_id, field="siteId", what="site")
        )
        return str(org), str(found.id)


async def station_events(
    info: Info, site_id: strawberry.ID | None = None
) -> AsyncGenerator[StationEvent, None]:
    org, site = await operator_scope(info, site_id)
    async with info.context.deps.events.subscribe(station_event_filter(org, site)) as stream:
        async for event in stream:
            yield station_event_from_domain(event)
