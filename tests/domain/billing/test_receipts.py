"""Receipt numbers are gap-free per organisation: the number and the receipt are stored in one
transaction, so a failure between them spends no number, and concurrent finalisations get
consecutive numbers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from beanie import PydanticObjectId

from domain.billing import repository as billing_repo
from domain.billing.models import SessionPayment
from domain.billing.service import BillingService
from domain.charging.commands import StationCommandService
from domain.charging.models import ChargingSession
from domain.charging.service import ChargingService
from domain.charging.state import SessionStatus
from domain.common.events import InProcessEventBus
from domain.network.models import Station
from domain.network.service import NetworkService
from domain.tariffs.service import TariffService
from tests.domain.billing.conftest import FakeStations
from tests.factories.billing import DEAD_API_BASE, make_billing, make_gateway
from tests.factories.network import create_org, create_site, create_station
from tests.factories.tariffs import create_tariff

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class DiskFull(Exception):
    pass


@pytest.fixture
def billing(database: object) -> BillingService:
    # sessions without a driver are billed UNPAID: the payment provider is never called
    events = InProcessEventBus()
    network = NetworkService(events)
    charging = ChargingService(events, network, StationCommandService(FakeStations()))
    return make_billing(make_gateway(DEAD_API_BASE), charging, network)


async def _station() -> Station:
    network = NetworkService(InProcessEventBus())
    org = await create_org()
    assert org.id is not None
    site = await create_site(network, org.id)
    assert site.id is not None
    station = await create_station(network, org.id, site.id)
    tariff = await create_tariff(TariffService(), org.id, energy_price_per_kwh=350_000)
    return await network.assign_tariff(station, tariff.id)


async def _ended_session(station: Station, kwh: int, minutes: int = 0) -> ChargingSession:
    start = T0 + timedelta(minutes=minutes)
    session = ChargingSession(
        org_id=station.org_id,
        site_id=station.site_id,
        station_id=station.id,  # type: ignore[arg-type]
        charge_point_id=station.charge_point_id,
        connector_id=1,
        ocpp_version="1.6",
        status=SessionStatus.ENDED,
        started_at=start,
        ended_at=start + timedelta(minutes=30),
        meter_start_wh=1_000,
        last_meter_wh=1_000 + kwh * 1_000,
        energy_wh=kwh * 1_000,
    )
    await session.insert()
    return session


async def _payment(session: ChargingSession) -> SessionPayment:
    assert session.id is not None
    found = await billing_repo.payment_for_session(session.id)
    assert found is not None
    return found


async def test_a_failure_between_number_and_receipt_spends_no_number(
    billing: BillingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = await _station()
    org_id: PydanticObjectId = station.org_id
    first = await _ended_session(station, 4)
    await billing.finalize(first, now=T0 + timedelta(hours=1))
    assert (await _payment(first)).receipt.number == 1  # type: ignore[union-attr]
    assert await billing_repo.receipt_counter(org_id) == 1

    # the receipt write fails after the counter was incremented in the same transaction
    calls: list[int] = []

    async def failing_write(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        raise DiskFull("no space left on device")

    monkeypatch.setattr(billing_repo, "_write_receipt", failing_write)
    second = await _ended_session(station, 2, minutes=60)
    with pytest.raises(DiskFull):
        await billing.finalize(second, now=T0 + timedelta(hours=2))
    assert calls == [1]
    assert await billing_repo.receipt_counter(org_id) == 1  # rolled back with the receipt
    stored = await _payment(second)
    assert stored.receipt is None and stored.amount_due is None
    assert stored.settling_until is None  # released for the retry

    # the retry numbers it next: no gap
    monkeypatch.undo()
    await billing.finalize(second, now=T0 + timedelta(hours=3))
    paid = await _payment(second)
    assert paid.receipt is not None and paid.receipt.number == 2
    assert paid.receipt.total == 700 and paid.amount_due == 700  # 2 kWh at 3.50
    assert await billing_repo.receipt_counter(org_id) == 2
    # finalising again changes nothing
    await billing.finalize(second, now=T0 + timedelta(hours=4))
    assert (await _payment(second)).receipt.number == 2  # type: ignore[union-attr]
    assert await billing_repo.receipt_counter(org_id) == 2


async def test_concurrent_finalisations_get_consecutive_numbers(billing: BillingService) -> None:
    """Two organisations finalising at once, their first receipts included (the counter's
    creation races too): each gets 1..n, no duplicates, no gaps."""
    a, b = await _station(), await _station()
    sessions = [await _ended_session(a, 1 + i % 3, minutes=i) for i in range(8)]
    sessions += [await _ended_session(b, 1, minutes=i) for i in range(5)]
    await asyncio.gather(*(billing.finalize(s, now=T0 + timedelta(hours=2)) for s in sessions))
    numbers_a = sorted([(await _payment(s)).receipt.number for s in sessions[:8]])  # type: ignore[union-attr]
    numbers_b = sorted([(await _payment(s)).receipt.number for s in sessions[8:]])  # type: ignore[union-attr]
    assert numbers_a == list(range(1, 9))
    assert numbers_b == list(range(1, 6))
    assert await billing_repo.receipt_counter(a.org_id) == 8
    assert await billing_repo.receipt_counter(b.org_id) == 5


async def test_a_payment_numbered_already_keeps_its_number_and_spends_none(
    billing: BillingService,
) -> None:
    """Two issuers of the same payment's receipt (a settlement claim that expired): one number."""
    station = await _station()
    session = await _ended_session(station, 3)
    await billing.finalize(session, now=T0 + timedelta(hours=1))
    payment = await _payment(session)
    assert payment.receipt is not None and payment.receipt.number == 1
    stale = payment.model_copy(update={"receipt": None})
    issued = await billing_repo.save_numbered_receipt(stale, lambda n: payment.receipt)  # type: ignore[arg-type, return-value]
    assert issued is None
    assert await billing_repo.receipt_counter(station.org_id) == 1
