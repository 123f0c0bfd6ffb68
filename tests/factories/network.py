"""create_<thing>(**overrides) factories for the network context."""

from __future__ import annotations

import itertools
from typing import Any

from beanie import PydanticObjectId

from domain.identity.models import Organisation
from domain.network.models import Site, Station
from domain.network.service import ConnectorSpec, NetworkService

_seq = itertools.count(1)

STATION_KEY = "correct-horse-battery"  # 21 chars: a valid OCPP AuthorizationKey


async def create_org(**overrides: Any) -> Organisation:
    org = Organisation(name=overrides.pop("name", f"Org {next(_seq)}"), **overrides)
    await org.insert()
    return org


async def create_site(network: NetworkService, org_id: PydanticObjectId, **overrides: Any) -> Site:
    args: dict[str, Any] = {
        "name": f"Site {next(_seq)}",
        "address": "Storgatan 1, Stockholm",
        "latitude": 59.3293,
        "longitude": 18.0686,
        "timezone": "Europe/Stockholm",
    }
    args.update(overrides)
    return await network.create_site(org_id, **args)


async def create_station(
    network: NetworkService, org_id: PydanticObjectId, site_id: PydanticObjectId, **overrides: Any
) -> Station:
    n = next(_seq)
    args: dict[str, Any] = {
        "site_id": site_id,
        "charge_point_id": f"CP-{n:05d}",
        "name": f"Station {n}",
        "password": STATION_KEY,
        "connectors": [ConnectorSpec(1, "CCS2", 150_000), ConnectorSpec(2, "TYPE2", 22_000)],
    }
    args.update(overrides)
    return await network.register_station(org_id, **args)
