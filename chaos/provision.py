"""Setting up the network through the product's own doors: the organisation's admin from the shell
(``laddnet operator create``), then over GraphQL: a site, the stations, a priced tariff, and a driver
who saves a card (on localstripe) and links the stations' RFID tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from chaos.processes import ServerUnderTest

STATION_KEY = "chaos-station-key-0123"  # 22 characters: a valid OCPP AuthorizationKey
ADMIN_EMAIL = "admin@chaos.laddnet.local"
DRIVER_EMAIL = "driver@chaos.laddnet.local"
PASSWORD = "chaos-account-password"
TARIFF = {
    "name": "Chaos standard",
    "currency": "SEK",
    "vatPercent": "25",
    "sessionFee": "5.00",
    "energyPricePerKwh": "3.50",
}


@dataclass
class StationSpec:
    cp_id: str
    version: str
    id_tag: str
    connectors: int = 2
    station_id: str = ""


@dataclass
class Network:
    admin_token: str = ""
    driver_token: str = ""
    driver_id: str = ""
    stations: list[StationSpec] = field(default_factory=list)


class GraphQLError(RuntimeError):
    pass


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, token: str = ""
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body = response.json()
    if body.get("errors"):
        raise GraphQLError(f"{query[:60]}…: {body['errors']}")
    data: dict[str, Any] = body["data"]
    for value in data.values():
        if isinstance(value, dict) and value.get("errors"):
            raise GraphQLError(f"{query[:60]}…: {value['errors']}")
    return data


async def provision(server: ServerUnderTest, specs: list[StationSpec]) -> Network:
    server.cli(
        "operator", "create", "--org", "Chaos", "--email", ADMIN_EMAIL, "--password", PASSWORD
    )
    net = Network(stations=specs)
    async with httpx.AsyncClient(base_url=server.api_base, timeout=60) as client:
        signed = await gql(
            client,
            "mutation($i: SignInInput!) { signIn(input: $i) { tokens { accessToken } "
            "errors { code message } } }",
            {"i": {"email": ADMIN_EMAIL, "password": PASSWORD}},
        )
        net.admin_token = admin = signed["signIn"]["tokens"]["accessToken"]
        site = await gql(
            client,
            "mutation($i: CreateSiteInput!) { createSite(input: $i) { site { id } "
            "errors { code message } } }",
            {
                "i": {
                    "name": "Chaos site",
                    "location": {"latitude": 59.33, "longitude": 18.07},
                    "timezone": "Europe/Stockholm",
                    "address": "Kaosgatan 1",
                }
            },
            admin,
        )
        site_id = site["createSite"]["site"]["id"]
        tariff = await gql(
            client,
            "mutation($i: TariffInput!) { createTariff(input: $i) { tariff { id } "
            "errors { code message } } }",
            {"i": TARIFF},
            admin,
        )
        tariff_id = tariff["createTariff"]["tariff"]["id"]
        for spec in specs:
            registered = await gql(
                client,
                "mutation($i: RegisterStationInput!) { registerStation(input: $i) "
                "{ station { id } errors { code message } } }",
                {
                    "i": {
                        "chargePointId": spec.cp_id,
                        "name": spec.cp_id,
                        "siteId": site_id,
                        "password": STATION_KEY,
                        "connectors": [
                            {"connectorId": c, "standard": "CCS2", "maxPowerKw": 150}
                            for c in range(1, spec.connectors + 1)
                        ],
                    }
                },
                admin,
            )
            spec.station_id = registered["registerStation"]["station"]["id"]
            await gql(
                client,
                "mutation($s: ID!, $t: ID!) { assignTariff(stationId: $s, tariffId: $t) "
                "{ errors { code message } } }",
                {"s": spec.station_id, "t": tariff_id},
                admin,
            )
        signed_up = await gql(
            client,
            "mutation($i: SignUpInput!) { signUp(input: $i) { tokens { accessToken } "
            "driver { id } errors { code message } } }",
            {"i": {"email": DRIVER_EMAIL, "password": PASSWORD, "name": "Chaos Driver"}},
        )
        net.driver_token = driver = signed_up["signUp"]["tokens"]["accessToken"]
        net.driver_id = signed_up["signUp"]["driver"]["id"]
        await gql(
            client,
            "mutation { setUpPaymentMethod { customerId errors { code message } } }",
            {},
            driver,
        )
        await gql(
            client,
            "mutation($pm: ID!) { setDefaultPaymentMethod(paymentMethodId: $pm) "
            "{ paymentMethod { id } errors { code message } } }",
            {"pm": "pm_card_visa"},
            driver,
        )
        for spec in specs:
            await gql(
                client,
                "mutation($t: String!) { linkIdToken(idTag: $t) { idToken { idTag } "
                "errors { code message } } }",
                {"t": spec.id_tag},
                driver,
            )
    return net
