"""A session paid with a hold is stopped when its cost reaches the hold; running updates of
sessions that hold nothing stop costing a payment read once they are past the start."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.billing import holds as holds_module
from domain.billing import repository as billing_repo
from domain.charging.models import ChargingSession
from domain.charging.recording import session_event
from domain.common.clock import as_utc
from domain.network.models import Station
from tests.domain.billing.conftest import World
from tests.domain.billing.test_payments import T0, _charge, _setup
from tests.factories.billing import energy
from tests.factories.identity import create_driver


async def test_a_session_whose_cost_reaches_its_hold_is_stopped(world: World) -> None:
    stopped: list[ChargingSession] = []

    async def stop(session: ChargingSession) -> None:
        stopped.append(session)

    billing = world.make_billing(on_stop=stop)
    driver_id, station = await _setup(world)  # SEK 3.50/kWh, hold SEK 300
    assert station.id is not None
    session = await billing.start_paid_session(driver_id, station.id, 1, None)
    assert session.id is not None
    await _charge(world, station, 40, stop=False)  # 20 kWh so far: SEK 70 + VAT, under the hold
    running = await world.charging.get_session(session.id)
    await billing.on_session_updated(session_event(running, T0 + timedelta(minutes=10)))
    assert stopped == []
    await _charge_more(
        world, station, running, 120
    )  # 120 kWh: SEK 420 + VAT, over the SEK 300 hold
    running = await world.charging.get_session(session.id)
    await billing.on_session_updated(session_event(running, T0 + timedelta(minutes=30)))
    assert [s.id for s in stopped] == [session.id]


async def _charge_more(world: World, station: Station, session: ChargingSession, kwh: int) -> None:
    await world.charging.meter_values(
        station,
        connector_id=1,
        transaction_id=session.transaction_id,
        readings=[energy(T0 + timedelta(minutes=30), 1000 + kwh * 1000, power_w=50_000)],
    )


async def test_running_updates_of_a_session_without_hold_stop_reading_after_the_start(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def stop(session: ChargingSession) -> None:
        raise AssertionError("nothing to stop: the session holds nothing")

    billing = world.make_billing(on_stop=stop)
    driver, _ = await create_driver(world.identity)
    assert driver.id is not None
    station = await world.station()
    await world.charging.link_id_token(driver.id, "RFID-NOHOLD")
    await world.charging.start_transaction(
        station, connector_id=1, id_tag="RFID-NOHOLD", meter_start_wh=0, timestamp=T0
    )
    [(_, session)] = (
        await world.charging.sessions_for_org(station.org_id, station_id=station.id)
    ).items
    assert session.driver_id == driver.id

    reads: list[object] = []
    real = billing_repo.payment_for_session

    async def counted(session_id: object) -> object:
        reads.append(session_id)
        return await real(session_id)  # type: ignore[arg-type]

    monkeypatch.setattr(billing_repo, "payment_for_session", counted)
    young = session_event(session, as_of(session, seconds=30))
    for _ in range(3):  # its hold could still be being linked: asked again after a few seconds
        await billing.on_session_updated(young)
    assert len(reads) == 1
    monkeypatch.setattr(holds_module, "YOUNG_RECHECK_SECONDS", 0.0)
    assert billing.holds is not None
    billing.holds.without_hold.clear()
    for _ in range(3):
        await billing.on_session_updated(young)
    assert len(reads) == 4
    old = session_event(session, as_of(session, seconds=600))
    for _ in range(5):  # long past the start without a hold: read once, then remembered
        await billing.on_session_updated(old)
    assert len(reads) == 5


def as_of(session: ChargingSession, *, seconds: int) -> datetime:
    assert session.started_at is not None
    return as_utc(session.started_at) + timedelta(seconds=seconds)
