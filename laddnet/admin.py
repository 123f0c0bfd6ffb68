"""Shell administration: ``laddnet operator create`` and ``laddnet station add``.

Each works on the same data whether or not ``laddnet serve`` runs: it joins the running embedded
MongoDB, or starts it for the moment it needs it.
"""

from __future__ import annotations

import argparse

from beanie import PydanticObjectId

from domain.common.errors import AlreadyExists, InvalidInput, NotFound
from domain.identity import repository as identity_repo
from domain.identity.models import Organisation
from domain.network import repository as network_repo
from domain.network.errors import BadStationCredentials
from domain.network.models import Site
from domain.network.service import ConnectorSpec, NetworkService
from laddnet import endpoints
from laddnet.container import build_container
from laddnet.database import open_database
from laddnet.settings import Settings
from simulator.config import build_station_configs


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
        f"it connects to {ocpp_base_url(settings)}/{station.charge_point_id} "
        "with HTTP Basic auth (username the id, password its key)"
    )
    return 0


def ocpp_base_url(settings: Settings) -> str:
    """Where stations connect: the running ``laddnet serve``'s OCPP address when one runs on this
    data dir (it may listen on another port than the default), else the configured one."""
    found = endpoints.running(settings.data_dir)
    if found is not None and found.ocpp_url:
        return found.ocpp_url
    return f"ws://{endpoints.reachable_host(settings.ocpp_host)}:{settings.ocpp_port}/ocpp"


async def organisation(selector: str | None) -> Organisation:
    """By name; with none given, the only organisation (else an error naming them all)."""
    if selector:
        org = await identity_repo.organisation_by_name(selector)
        if org is None:
            raise NotFound(f"no organisation named {selector!r}", field="org")
        return org
    orgs = await Organisation.find_all().sort("name").to_list()
    if not orgs:
        raise NotFound("there is no organisation yet: laddnet operator create", field="org")
    if len(orgs) > 1:
        names = ", ".join(repr(o.name) for o in orgs)
        raise InvalidInput(f"pass --org: there are {len(orgs)} organisations: {names}", field="org")
    return orgs[0]


async def prepare_simulation(settings: Settings, args: argparse.Namespace) -> None:
    """``laddnet simulate``: the URL defaults to the running server's; with ``--register`` the
    stations PREFIX0001… are registered first with the given password (those already registered
    with it are kept; one registered with another password is a clear error)."""
    if args.url is None:
        args.url = ocpp_base_url(settings)
    if not args.register:
        return
    configs = build_station_configs(
        args.stations,
        args.prefix,
        args.password,
        connectors=args.connectors,
        id_tag=args.id_tag,
        dc_every=args.dc_every,
    )
    async with open_database(settings) as database:
        container = build_container(settings, database)
        org = await organisation(args.org)
        assert org.id is not None
        site = await ensure_site(
            container.network, org.id, args.site, 59.3326, 18.0649, args.timezone, ""
        )
        made = kept = 0
        for cfg in configs:
            existing = await network_repo.get_station_by_cp_id(cfg.charge_point_id)
            if existing is not None:
                if existing.org_id != org.id:
                    raise AlreadyExists(
                        f"{cfg.charge_point_id} belongs to another organisation: "
                        "choose another --prefix",
                        field="prefix",
                    )
                try:
                    await container.network.authenticate_station(cfg.charge_point_id, args.password)
                except BadStationCredentials:
                    raise InvalidInput(
                        f"{cfg.charge_point_id} is registered with another password: "
                        "pass that --password, or choose another --prefix",
                        field="password",
                    ) from None
                kept += 1
                continue
            await container.network.register_station(
                org.id,
                site_id=site.id,  # type: ignore[arg-type]
                charge_point_id=cfg.charge_point_id,
                name=f"Simulated {cfg.charge_point_id}",
                password=args.password,
                connectors=[
                    ConnectorSpec(c, cfg.connector_standard, cfg.max_power_w)
                    for c in range(1, cfg.connectors + 1)
                ],
            )
            made += 1
    print(
        f"registered {made} stations ({configs[0].charge_point_id}…"
        f"{configs[-1].charge_point_id}) at site {site.name!r} of {org.name!r}"
        + (f"; {kept} were already registered with this password" if kept else ""),
        flush=True,
    )


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
