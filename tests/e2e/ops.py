"""The contract's operations as the clients send them (from ../shared/clients), and the steps the
end-to-end tests share: an operator sets up a station, the station connects and boots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphql import OperationDefinitionNode, parse, print_ast
from graphql.language import DocumentNode

from tests.contract import client_files
from tests.e2e.conftest import Laddnet, Subscription
from tests.factories.network import STATION_KEY


def _operations() -> dict[str, str]:
    """Every operation of the client contract by name, exactly as the clients send it (pending
    ones included: they are sent once they leave ``tests.contract.PENDING``)."""
    found: dict[str, str] = {}
    for path in client_files():
        for definition in parse(path.read_text()).definitions:
            assert isinstance(definition, OperationDefinitionNode) and definition.name
            found[definition.name.value] = print_ast(DocumentNode(definitions=(definition,)))
    return found


OPS = _operations()

LAT, LON = 59.3326, 18.0649  # Stockholm


def ts(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def create_site(app: Laddnet, token: str) -> str:
    data = await app.data(
        OPS["CreateSite"],
        {
            "input": {
                "name": "Hötorget garage",
                "address": "Hötorget 1, Stockholm",
                "location": {"latitude": LAT, "longitude": LON},
                "timezone": "Europe/Stockholm",
            }
        },
        token,
    )
    site_id: str = data["createSite"]["site"]["id"]
    return site_id


async def register_station(app: Laddnet, token: str, site_id: str, cp_id: str) -> str:
    data = await app.data(
        OPS["RegisterStation"],
        {
            "input": {
                "chargePointId": cp_id,
                "name": f"Station {cp_id}",
                "siteId": site_id,
                "password": STATION_KEY,
                "connectors": [
                    {"connectorId": 1, "standard": "CCS2", "maxPowerKw": 50.0},
                    {"connectorId": 2, "standard": "TYPE2", "maxPowerKw": 22.0},
                ],
            }
        },
        token,
    )
    station = data["registerStation"]["station"]
    assert station["chargePointId"] == cp_id
    station_id: str = station["id"]
    return station_id


def kind(name: str, **fields: Any) -> Any:
    """A stationEvents matcher: this __typename with these field values."""

    def matches(event: dict[str, Any]) -> bool:
        return event["__typename"] == name and all(event.get(k) == v for k, v in fields.items())

    return matches


async def progress_until(sub: Subscription, status: str, within: float = 1.0) -> dict[str, Any]:
    return await sub.until(lambda p: p["status"] == status, within)
