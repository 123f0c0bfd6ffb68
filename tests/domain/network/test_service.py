from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.common.errors import AlreadyExists, InvalidInput
from domain.common.events import ConnectorStatusChanged, InProcessEventBus
from domain.network.errors import BadStationCredentials
from domain.network.service import NetworkService, StationFilter
from tests.factories.network import STATION_KEY, create_org, create_site, create_station


@pytest.fixture
def network(database: object) -> NetworkService:
    return NetworkService(InProcessEventBus())


async def test_register_station_stores_only_a_hash_and_authenticates(
    network: NetworkService,
) -> None:
    org = await create_org()
    site = await create_site(network, org.id)
    station = await create_station(network, org.id, site.id, charge_point_id="CP-AUTH-1")
    assert STATION_KEY not in station.password_hash
    assert station.location == site.location
    found = await network.authenticate_station("CP-AUTH-1", STATION_KEY)
    assert found.id == station.id
    with pytest.raises(BadStationCredentials):
        await network.authenticate_station("CP-AUTH-1", "wrong-password-123456")
    with pytest.raises(BadStationCredentials):
        await network.authenticate_station("CP-NOBODY", STATION_KEY)


async def test_duplicate_station_and_bad_input_are_refused_and_lose_nothing(
    network: NetworkService,
) -> None:
    org = await create_org()
    site = await create_site(network, org.id)
    await create_station(network, org.id, site.id, charge_point_id="CP-DUP")
    with pytest.raises(AlreadyExists):
        await create_station(network, org.id, site.id, charge_point_id="CP-DUP")
    with pytest.raises(InvalidInput) as bad_key:
        await create_station(network, org.id, site.id, password="short")
    assert bad_key.value.field == "password"
    with pytest.raises(InvalidInput):
        await create_station(network, org.id, site.id, charge_point_id="CP/../x")
    with pytest.raises(InvalidInput):
        await create_site(network, org.id, timezone="Mars/Olympus")
    page = await network.list_stations(org.id, StationFilter())
    assert [s.charge_point_id for _, s in page.items] == ["CP-DUP"]


async def test_status_history_is_kept_as_intervals_and_published(network: NetworkService) -> None:
    org = await create_org()
    site = await create_site(network, org.id)
    station = await create_station(network, org.id, site.id)
    t0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    async with network.events.subscribe(lambda e: isinstance(e, ConnectorStatusChanged)) as events:
        await network.connector_status(
            station, connector_id=1, status="Available", error_code="NoError", at=t0
        )
        await network.connector_status(
            station,
            connector_id=1,
            status="Charging",
            error_code="NoError",
            at=t0 + timedelta(minutes=5),
        )
        # a repeat changes nothing
        await network.connector_status(
            station,
            connector_id=1,
            status="Charging",
            error_code="NoError",
            at=t0 + timedelta(minutes=6),
        )
        first = await events.__anext__()
        second = await events.__anext__()
    assert (first.status, second.status) == ("Available", "Charging")  # type: ignore[attr-defined]
    history = await network.status_history(
        station, t0 - timedelta(hours=1), t0 + timedelta(hours=1)
    )
    assert [(h.status.value, h.start, h.end) for h in history] == [
        ("Available", t0, t0 + timedelta(minutes=5)),
        ("Charging", t0 + timedelta(minutes=5), None),
    ]
    fresh = await network.station(station.id)
    assert fresh.connector(1).status.value == "Charging"  # type: ignore[union-attr]


async def test_nearby_is_nearest_first_within_radius(network: NetworkService) -> None:
    org = await create_org()
    site = await create_site(network, org.id, latitude=59.0, longitude=18.0)
    near = await create_station(network, org.id, site.id, latitude=59.001, longitude=18.0)
    far = await create_station(network, org.id, site.id, latitude=59.05, longitude=18.0)
    await create_station(network, org.id, site.id, latitude=61.0, longitude=18.0)
    rows = await network.stations_nearby(latitude=59.0, longitude=18.0, radius_km=10, first=10)
    ids = [s.id for s, _ in rows]
    assert ids[:2] == [near.id, far.id] and len(ids) == 2
    assert 0.1 < rows[0][1] < 0.12
