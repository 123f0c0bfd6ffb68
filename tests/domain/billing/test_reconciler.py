"""Every ended session is settled exactly once from what is stored, whatever happened to the
events: sessions that ended while billing was away (a crash between the end and the capture), a
provider that stalls or loses its answers and comes back. Counted at localstripe: one charge each.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId

from domain.billing.models import SETTLED, PaymentStatus, SessionPayment
from domain.billing.service import BillingService
from domain.billing.stripe_gateway import StripeGateway
from domain.charging.models import ChargingSession
from domain.network.models import Station
from laddnet.localstripe import LocalStripe
from tests.domain.billing.conftest import APP_TAG, World
from tests.factories.billing import energy, make_gateway
from tests.factories.identity import create_driver
from tests.factories.stall import StallingProxy
from tests.factories.tariffs import create_tariff

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


async def _driver(world: World, billing: BillingService) -> PydanticObjectId:
    driver, _ = await create_driver(world.identity)
    assert driver.id is not None
    await billing.set_default_payment_method(driver.id, "pm_card_visa")
    return driver.id


async def _priced_station(world: World, *, hold: int = 0) -> Station:
    station = await world.station()
    tariff = await create_tariff(
        world.tariffs,
        world.site.org_id,
        energy_price_per_kwh=350_000,  # SEK 3.50/kWh
        pre_authorization_amount=hold,
    )
    return await world.network.assign_tariff(station, tariff.id)


async def _session(
    world: World, station: Station, id_tag: str, kwh: int, *, minutes: int = 0
) -> ChargingSession:
    """A session of ``kwh`` on connector 1 that ends: billing follows no events meanwhile."""
    start = T0 + timedelta(minutes=minutes)
    await world.charging.start_transaction(
        station, connector_id=1, id_tag=id_tag, meter_start_wh=1000, timestamp=start
    )
    page = await world.charging.sessions_for_org(station.org_id, station_id=station.id)
    [session] = [s for _, s in page.items if s.status.value != "ENDED"]
    tx = session.transaction_id or ""
    await world.charging.meter_values(
        station,
        connector_id=1,
        transaction_id=tx,
        readings=[energy(start + timedelta(minutes=10), 1000 + kwh * 500, power_w=kwh * 1500)],
    )
    await world.charging.stop_transaction(
        station,
        transaction_id=tx,
        meter_stop_wh=1000 + kwh * 1000,
        timestamp=start + timedelta(minutes=20),
    )
    assert session.id is not None
    return await world.charging.get_session(session.id)


async def _rfid_session(
    world: World, billing: BillingService, tag: str, kwh: int
) -> tuple[ChargingSession, PydanticObjectId]:
    driver_id = await _driver(world, billing)
    await world.charging.link_id_token(driver_id, tag)
    return await _session(world, await _priced_station(world), tag, kwh), driver_id


async def _charges(gateway: StripeGateway, driver_id: PydanticObjectId) -> list[dict[str, Any]]:
    """The money localstripe took from the driver: captured charges, with what they took."""
    payment = await SessionPayment.find_one({"driver_id": driver_id})
    assert payment is not None and payment.customer_id is not None
    listed = await gateway.client.v1.charges.list_async(
        {"customer": payment.customer_id, "limit": 100}
    )
    return [
        c.to_dict()
        for c in listed.data
        if c.status == "succeeded" and c.captured and c.amount > c.amount_refunded
    ]


async def _payment(session: ChargingSession) -> SessionPayment:
    assert session.id is not None
    found = await SessionPayment.find_one({"session_id": session.id})
    assert found is not None
    return found


async def test_sessions_that_ended_while_billing_was_away_are_settled_exactly_once(
    world: World,
) -> None:
    ended = [await _rfid_session(world, world.billing, f"RFID-AWAY-{i}", 2 + i) for i in range(4)]
    org = world.site.org_id
    assert await SessionPayment.find({"session_id": {"$in": [s.id for s, _ in ended]}}).count() == 0

    waiting = await world.billing.unsettled_sessions(org)
    assert {u.session.id for u in waiting} >= {s.id for s, _ in ended}
    assert all(u.payment is None and "not settled yet" in u.reason for u in waiting)

    other_node = world.make_billing()  # two reconcilers at once: still once each
    rounds = await asyncio.gather(world.billing.reconcile(), other_node.reconcile())
    assert sum(r.sessions_settled for r in rounds) >= len(ended)
    again = await world.billing.reconcile()
    assert again.sessions_settled == 0 and again.payments_retried == 0

    for (session, driver_id), kwh in zip(ended, range(2, 6), strict=True):
        payment = await _payment(session)
        assert payment.status is PaymentStatus.CAPTURED
        assert payment.receipt is not None and payment.amount_captured == payment.receipt.total
        assert payment.amount_captured == kwh * 350  # SEK 3.50/kWh, VAT included
        charges = await _charges(world.gateway, driver_id)
        assert [c["amount"] for c in charges] == [payment.amount_captured]
    assert await world.billing.unsettled_sessions(org) == []


async def test_a_stalled_provider_that_comes_back_settles_each_session_once(
    world: World, localstripe: LocalStripe
) -> None:
    async with StallingProxy(localstripe.port).running() as proxy:
        gateway = make_gateway(proxy.api_base, timeout=1.0)
        billing = world.make_billing(gateway)
        rfid = [await _rfid_session(world, billing, f"RFID-STALL-{i}", 4) for i in range(3)]
        # and an app start with a hold, ended: its capture is what gets lost
        driver_id = await _driver(world, billing)
        station = await _priced_station(world, hold=30_000)
        assert station.id is not None
        started = await billing.start_paid_session(driver_id, station.id, 1, None)
        held = await _payment(started)
        assert held.status is PaymentStatus.AUTHORIZED
        app = await _session(world, station, APP_TAG, 10)
        assert app.id == started.id
        sessions = [s for s, _ in rfid] + [app]
        drivers = [d for _, d in rfid] + [driver_id]

        # the provider acts on every request but its answers never arrive
        proxy.mode = "drop_answers"
        for session in sessions:
            await billing.finalize(session)
        for session in sessions:
            payment = await _payment(session)
            assert payment.status is PaymentStatus.PENDING, payment
            assert payment.next_attempt_at is not None and payment.attempts == 1
        waiting = await billing.unsettled_sessions(world.site.org_id)
        assert {u.session.id for u in waiting} >= {s.id for s in sessions}
        assert all(u.payment is not None and u.payment.attempts >= 1 for u in waiting)

        # then it takes nothing at all for a while
        proxy.mode = "blackhole"
        later = datetime.now(UTC) + timedelta(minutes=1)
        stalled = await billing.reconcile(now=later)
        assert stalled.still_open >= len(sessions)
        for session in sessions:
            assert (await _payment(session)).status not in SETTLED

        # and comes back
        proxy.mode = "forward"
        back = await billing.reconcile(now=later + timedelta(minutes=10))
        assert back.payments_retried >= len(sessions)
        await billing.reconcile(now=later + timedelta(minutes=30))  # nothing moves twice

        for session, driver in zip(sessions, drivers, strict=True):
            payment = await _payment(session)
            assert payment.status is PaymentStatus.CAPTURED, payment
            assert payment.receipt is not None
            assert payment.amount_captured == payment.receipt.total > 0
            charges = await _charges(world.gateway, driver)
            assert [c["amount"] - c["amount_refunded"] for c in charges] == [
                payment.amount_captured
            ]
        hold = await world.gateway.retrieve_intent(held.intent_id or "")
        assert hold.status == "succeeded" and hold.amount_captured == 3500
