"""Listing stations costs a fixed number of MongoDB round trips per page, not one per station."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from beanie import init_beanie
from pymongo import AsyncMongoClient, monitoring

from domain.common.passwords import hash_station_key
from domain.documents import DOCUMENT_MODELS
from domain.network.models import Connector, ConnectorStandard, Station
from laddnet.database import Database
from tests.api.conftest import Api, start_api
from tests.factories.network import STATION_KEY, create_site

LIST = """query($first: Int, $after: String) {
  stations(first: $first, after: $after) {
    totalCount
    edges { node { id name online connectors { connectorId status } site { id name timezone } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[tuple[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture(scope="module")
async def counter(database: Database) -> AsyncIterator[CommandCounter]:
    """Bind the documents to a client that reports every command it sends, for this module."""
    counted = CommandCounter()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        database.uri, tz_aware=True, event_listeners=[counted]
    )
    await init_beanie(database=client[database.db.name], document_models=DOCUMENT_MODELS)
    try:
        yield counted
    finally:
        await init_beanie(database=database.db, document_models=DOCUMENT_MODELS)
        await client.close()


async def test_listing_1000_stations_costs_a_fixed_number_of_round_trips(
    counter: CommandCounter,
) -> None:
    async with start_api() as api:
        org, token = await api.operator()
        sites = [await create_site(api.deps.network, org.id, name=f"Site {i}") for i in range(25)]
        key_hash = hash_station_key(STATION_KEY)  # one hash: 1,000 argon2 runs would be slow
        await Station.insert_many(
            [
                Station(
                    org_id=org.id,
                    site_id=sites[i % len(sites)].id,
                    charge_point_id=f"DL-{i:04d}",
                    name=f"Station {i:04d}",
                    password_hash=key_hash,
                    location=sites[i % len(sites)].location,
                    connectors=[Connector(connector_id=1, standard=ConnectorStandard.CCS2)],
                )
                for i in range(1000)
            ]
        )
        pages, seen = await _walk(api, token, counter, first=200)

    assert len(seen) == len(set(seen)) == 1000
    assert len(pages) == 5
    for commands in pages:
        site_reads = [c for c in commands if c == ("find", "sites")]
        assert site_reads == [("find", "sites")], commands  # 25 sites, 200 stations: one query
        assert len(commands) <= 5, commands  # count + find (+ getMore) + sites
    assert sum(len(c) for c in pages) <= 25  # not ~1,000 (one site lookup per station)


async def _walk(
    api: Api, token: str, counter: CommandCounter, *, first: int
) -> tuple[list[list[tuple[str, Any]]], list[str]]:
    pages: list[list[tuple[str, Any]]] = []
    seen: list[str] = []
    after: str | None = None
    while True:
        counter.commands.clear()
        body = await api.gql(LIST, {"first": first, "after": after}, token)
        pages.append(list(counter.commands))
        data = body["data"]["stations"]
        assert data["totalCount"] == 1000
        for edge in data["edges"]:
            seen.append(edge["node"]["id"])
            assert edge["node"]["site"]["timezone"] == "Europe/Stockholm"
        if not data["pageInfo"]["hasNextPage"]:
            return pages, seen
        after = data["pageInfo"]["endCursor"]
