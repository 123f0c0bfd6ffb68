"""The running cost shown in sessionProgress: the bill's pricing, with the session's pricing
context remembered between updates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.billing import repository as billing_repo
from domain.charging.models import ChargingSession
from tests.domain.billing.conftest import World
from tests.domain.billing.test_payments import T0, _charge, _setup


async def test_the_live_cost_is_the_bills_and_its_context_is_read_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver_id, station = await _setup(world)  # SEK 3.50/kWh
    await world.charging.link_id_token(driver_id, "APP-TAG")
    await _charge(world, station, 10, stop=False)  # 5 kWh so far
    [(_, session)] = (
        await world.charging.sessions_for_org(station.org_id, station_id=station.id)
    ).items
    assert session.id is not None
    sid = session.id
    loads: list[int] = []

    async def load() -> ChargingSession:
        loads.append(1)
        return await world.charging.get_session(sid)

    reads: list[object] = []
    real = billing_repo.payment_for_session

    async def counted(session_id: object) -> object:
        reads.append(session_id)
        return await real(session_id)  # type: ignore[arg-type]

    monkeypatch.setattr(billing_repo, "payment_for_session", counted)
    when = T0 + timedelta(minutes=10)
    live = await world.billing.live_cost(sid, load, now=when)
    priced = await world.billing.cost_of(await world.charging.get_session(sid), now=when)
    assert priced is not None and live == priced.total_money
    assert live is not None and live.amount == 1750
    again = await world.billing.live_cost(sid, load, now=when)
    assert again == live
    assert len(reads) == 2  # one for the first live cost, one for cost_of; none for the second
    assert len(loads) == 2  # the session itself is read each time (its meter values move)


async def test_a_session_without_tariff_costs_no_reads_after_the_first(world: World) -> None:
    station = await world.station()  # no tariff assigned
    await world.charging.start_transaction(
        station, connector_id=1, id_tag="ANY-TAG", meter_start_wh=0, timestamp=T0
    )
    [(_, session)] = (
        await world.charging.sessions_for_org(station.org_id, station_id=station.id)
    ).items
    assert session.id is not None
    sid = session.id
    loads: list[int] = []

    async def load() -> ChargingSession:
        loads.append(1)
        return await world.charging.get_session(sid)

    for _ in range(5):
        assert await world.billing.live_cost(sid, load) is None
    assert loads == [1]
