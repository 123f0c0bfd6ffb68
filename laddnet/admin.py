"""Shell administration: ``laddnet operator create`` and ``laddnet station add``.

Each works on the same data whether or not ``laddnet serve`` runs: it joins the running embedded
MongoDB, or starts it for the moment it needs it.
"""

from __future__ import annotations

import argparse

from beanie import PydanticObjectId

from domain.common.errors import NotFound
from domain.identity import repository as identity_repo
from domain.network.models import Site
from domain.network.service import ConnectorSpec, NetworkService
from laddnet.container import build_container
from laddnet.database import open_database
from laddnet.settings import Settings


async def create_operator(settings: Settings, org: str, email: str, password: str) -> int:
    async with open_database(settings) as database:
        container = build_container(settings, database)
        organisation, operator = await container.identity.create_organisation_with_admin(
            org, email, password
        )
    print(f"created organisation {organisation.name!r} ({organisation.id})")
    print(f"created admin operator {operator.email} ({operator.id}); sign in with signIn")
    return 0


async def add_station(settings: Settings, args: argparse.Namespace, password: str) -> int:
    async with open_database(settings) as database:
        container = build_container(settings, database)
        org = await identity_repo.organisation_by_name(args.org)
        if org is None or org.id is None:
            raise NotFound(f"no organisation named {args.org!r}", field="org")
        site = await ensure_site(
            container.network, org.id, args.site, args.lat, args.lon, args.timezone, args.address
        )
        connectors = [
            ConnectorSpec(cid, standard, round(kw * 1000))
            for cid, standard, kw in (args.connector or [(1, "TYPE2", 22.0)])
        ]
        station = await container.network.register_station(
            org.id,
            site_id=site.id,  # type: ignore[arg-type]
            charge_point_id=args.charge_point_id,
            name=args.name or args.charge_point_id,
            password=password,
            connectors=connectors,
            latitude=args.lat,
            longitude=args.lon,
        )
    print(f"registered station {station.charge_point_id} ({station.id}) at site {site.name!r}")
    print(
        f"it connects to ws://{settings.ocpp_host}:{settings.ocpp_port}/ocpp/"
        f"{station.charge_point_id} with HTTP Basic auth"
    )
    return 0


async def ensure_site(
    network: NetworkService,
    org_id: PydanticObjectId,
    name: str,
    lat: float | None,
    lon: float | None,
    timezone: str,
    address: str,
) -> Site:
    for site in await network.sites(org_id):
        if site.name == name:
            return site
    if lat is None or lon is None:
        raise NotFound(f"no site named {name!r}: give --lat and --lon to create it", field="site")
    return await network.create_site(
        org_id, name=name, address=address, latitude=lat, longitude=lon, timezone=timezone
    )
