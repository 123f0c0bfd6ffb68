"""DataLoaders, built fresh for every request (or websocket connection): one query per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from beanie import PydanticObjectId
from bson.errors import InvalidId
from strawberry.dataloader import DataLoader

from domain.network import repository as network_repo
from domain.network.models import Site, Station


def _ids(keys: Sequence[str]) -> list[PydanticObjectId]:
    out = []
    for key in keys:
        try:
            out.append(PydanticObjectId(key))
        except (InvalidId, TypeError, ValueError):
            continue
    return out


async def load_sites(keys: list[str]) -> list[Site | None]:
    found = {str(s.id): s for s in await network_repo.get_sites(_ids(keys))}
    return [found.get(k) for k in keys]


async def load_stations(keys: list[str]) -> list[Station | None]:
    found = {str(s.id): s for s in await network_repo.get_stations(_ids(keys))}
    return [found.get(k) for k in keys]


@dataclass
class Loaders:
    sites: DataLoader[str, Site | None] = field(
        default_factory=lambda: DataLoader(load_fn=load_sites)
    )
    stations: DataLoader[str, Station | None] = field(
        default_factory=lambda: DataLoader(load_fn=load_stations)
    )
    # loaders other areas build on first use (they need the caller's organisation), by name
    extra: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)
