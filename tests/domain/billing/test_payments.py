"""A session paid by card, against localstripe: hold before start, live cost, exact capture,
declined card, double start, outage and retry, refunds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from beanie import PydanticObjectId

from domain.billing.errors import GatewayUnavailable, RefundRefused
from domain.billing.models import PaymentStatus, SessionPayment
from domain.billing.service import BillingService
from domain.charging.models import ChargingSession
from domain.common.errors import ConnectorBusy, PaymentDeclined
from domain.network.models import Station
from tests.domain.billing.conftest import World
from tests.factories.billing import DEAD_API_BASE, energy, make_gateway
from tests.factories.identity import create_driver
from tests.factories.tariffs import create_tariff

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


async def _setup(world: World, card: str = "pm_card_visa") -> tuple[PydanticObjectId, Station]:
    driver, _ = await create_driver(world.identity)
    assert driver.id is not None
    await world.billing.set_default_payment_method(driver.id, card)
    station = await world.station()
    tariff = await create_tariff(
        world.tariffs,
        world.site.org_id,
        energy_price_per_kwh=350_000,  # SEK 3.50/kWh
        pre_authorization_amount=30_000,  # SEK 300
    )
    station = await world.network.assign_tariff(station, tariff.id)
    return driver.id, station


async def _start(
    world: World, billing: BillingService, driver_id: PydanticObjectId, station: Station
) -> ChargingSession:
    assert station.id is not None
    return await billing.start_paid_session(driver_id, station.id, 1, None)


async def _charge(world: World, station: Station, kwh: int, *, stop: bool = True) -> None:
    """The station starts at T0 with 1000 Wh on its register and delivers ``kwh`` in 20 minutes."""
    await world.charging.start_transaction(
        station, connector_id=1, id_tag="APP-TAG", meter_start_wh=1000, timestamp=T0
    )
    tx = (await world.charging.sessions_for_org(station.org_id, station_id=station.id)).items
    transaction_id = tx[0][1].transaction_id
    half = 1000 + kwh * 500
    await world.charging.meter_values(
        station,
        connector_id=1,
        transaction_id=transaction_id,
        readings=[energy(T0 + timedelta(minutes=10), half, power_w=kwh * 1500)],
    )
    if stop:
        await world.charging.stop_transaction(
            station,
            transaction_id=transaction_id or "",
            meter_stop_wh=1000 + kwh * 1000,
            timestamp=T0 + timedelta(minutes=20),
        )


async def test_setup_gives_the_sdk_what_it_needs_and_the_default_card_is_recorded(
    world: World,
) -> None:
    driver, _ = await create_driver(world.identity)
    assert driver.id is not None
    setup = await world.billing.set_up_payment_method(driver.id)
    assert setup.customer_id.startswith("cus_")
    assert setup.setup_intent_client_secret.startswith("seti_")
    assert setup.publishable_key == "pk_test_laddnet"
    assert setup.ephemeral_key_secret is None  # localstripe has no /v1/ephemeral_keys
    again = await world.billing.set_up_payment_method(driver.id)
    assert again.customer_id == setup.customer_id  # one customer per driver
    card = await world.billing.set_default_payment_method(driver.id, "pm_card_visa")
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2030)
    assert await world.billing.default_payment_method(driver.id) == card


async def test_a_card_declined_on_saving_is_refused(world: World) -> None:
    driver, _ = await create_driver(world.identity)
    assert driver.id is not None
    with pytest.raises(PaymentDeclined):
        await world.billing.set_default_payment_method(driver.id, "pm_card_visa_chargeDeclined")
    assert await world.billing.default_payment_method(driver.id) is None


async def test_hold_before_start_live_cost_and_exact_capture(world: World) -> None:
    driver_id, station = await _setup(world)
    seen: list[SessionPayment | None] = []

    async def before_start() -> None:
        seen.append(await SessionPayment.find_one({"start_lock": f"{station.id}:1"}))
        assert world.stations.sent == []  # the station has not been told yet

    billing = world.make_billing(before_start=before_start)
    assert station.id is not None
    session = await billing.start_paid_session(driver_id, station.id, 1, None)
    held = seen[0]
    assert held is not None and held.status is PaymentStatus.AUTHORIZED
    assert held.amount_authorized == 30_000 and held.intent_id
    intent = await world.gateway.retrieve_intent(held.intent_id)
    assert (intent.status, intent.amount) == ("requires_capture", 30_000)
    assert len(world.stations.sent) == 1  # then the remote start went out

    await _charge(world, station, 10, stop=False)
    assert session.id is not None
    live = await world.charging.get_session(session.id)
    cost = await world.billing.cost_of(live, now=T0 + timedelta(minutes=10))
    assert cost is not None and cost.total == 1750  # 5 kWh so far at SEK 3.50

    tx = live.transaction_id or ""
    await world.charging.stop_transaction(
        station, transaction_id=tx, meter_stop_wh=11_000, timestamp=T0 + timedelta(minutes=20)
    )
    ended = await world.charging.get_session(session.id)
    final = await world.billing.cost_of(ended)
    assert final is not None and final.total == 3500
    await world.billing.finalize(ended)
    payment = await world.billing.payment_for_session(session.id)
    assert payment is not None and payment.status is PaymentStatus.CAPTURED
    assert payment.amount_captured == 3500 and payment.amount_due == 3500
    assert payment.receipt is not None and payment.receipt.total == 3500
    assert payment.receipt.vat == 700 and payment.receipt.subtotal == 2800
    assert await world.billing.session_cost(ended) == final.total_money
    recorded = await world.gateway.retrieve_intent(held.intent_id)  # localstripe's own record
    assert (recorded.status, recorded.amount_captured) == ("succeeded", 3500)
    await world.billing.finalize(ended)  # again: nothing moves twice
    again = await world.billing.payment_for_session(session.id)
    assert again is not None and again.amount_captured == 3500
    assert again.receipt is not None and again.receipt.number == payment.receipt.number


async def test_a_declined_card_never_starts_the_station(world: World) -> None:
    driver_id, station = await _setup(world, card="pm_card_chargeCustomerFail")
    with pytest.raises(PaymentDeclined):
        await _start(world, world.billing, driver_id, station)
    assert world.stations.sent == []
    declined = await SessionPayment.find_one({"station_id": station.id})
    assert declined is not None and declined.status is PaymentStatus.DECLINED
    assert declined.start_lock is None  # the connector is free again


async def test_a_double_submitted_start_places_one_hold(world: World) -> None:
    driver_id, station = await _setup(world)
    results = await asyncio.gather(
        _start(world, world.billing, driver_id, station),
        _start(world, world.billing, driver_id, station),
        return_exceptions=True,
    )
    assert sum(isinstance(r, ChargingSession) for r in results) == 1
    assert sum(isinstance(r, ConnectorBusy) for r in results) == 1
    assert len(world.stations.sent) == 1
    holds = await SessionPayment.find({"station_id": station.id}).to_list()
    assert len([h for h in holds if h.intent_id]) == 1
    # and a third start after the first went through finds the connector taken, with no hold
    with pytest.raises(ConnectorBusy):
        await _start(world, world.billing, driver_id, station)
    holds = await SessionPayment.find({"station_id": station.id}).to_list()
    assert len([h for h in holds if h.intent_id]) == 1


async def test_an_outage_never_stops_charging_and_the_payment_is_retried(world: World) -> None:
    driver_id, station = await _setup(world)
    down = world.make_billing(make_gateway(DEAD_API_BASE))
    with pytest.raises(GatewayUnavailable):
        await down.gateway.retrieve_intent("pi_x")
    session = await _start(world, down, driver_id, station)  # starts despite the outage
    assert session.id is not None and len(world.stations.sent) == 1
    pending = await world.billing.payment_for_session(session.id)
    assert pending is not None and pending.status is PaymentStatus.PENDING
    await _charge(world, station, 4)
    ended = await world.charging.get_session(session.id)
    await down.finalize(ended)
    still = await world.billing.payment_for_session(session.id)
    assert still is not None and still.status is PaymentStatus.PENDING and still.attempts >= 1
    assert still.receipt is not None and still.receipt.total == 1400  # billed, not yet paid
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert await world.billing.retry_pending(now=later) >= 1
    paid = await world.billing.payment_for_session(session.id)
    assert paid is not None and paid.status is PaymentStatus.CAPTURED
    assert paid.amount_captured == 1400 and paid.intent_id
    assert (await world.gateway.retrieve_intent(paid.intent_id)).amount_captured == 1400


async def test_refunds_never_exceed_the_capture_and_repeat_safely(world: World) -> None:
    driver_id, station = await _setup(world)
    session = await _start(world, world.billing, driver_id, station)
    await _charge(world, station, 10)
    assert session.id is not None
    await world.billing.finalize(await world.charging.get_session(session.id))
    org = station.org_id
    with pytest.raises(RefundRefused):
        await world.billing.refund_session(org, session.id, 3501)
    payment, first = await world.billing.refund_session(org, session.id, 1000, "cable fault")
    assert first.status == "SUCCEEDED" and payment.status is PaymentStatus.PARTIALLY_REFUNDED
    _, repeat = await world.billing.refund_session(org, session.id, 1000, "cable fault")
    assert repeat.key == first.key  # a double submit is the same refund
    payment, rest = await world.billing.refund_session(org, session.id, None, "goodwill")
    assert rest.amount == 2500 and payment.status is PaymentStatus.REFUNDED
    assert payment.amount_refunded == 3500
    with pytest.raises(RefundRefused):
        await world.billing.refund_session(org, session.id, 1)
