"""The driver's and operator's payment operations over real HTTP, against localstripe, with billing
following session events as in production."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from domain.billing.models import PaymentStatus, SessionPayment
from domain.billing.service import BillingService
from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    RemoteStart,
    StationCommand,
    StationCommandService,
)
from domain.charging.models import ChargingSession as DomainSession
from domain.charging.service import ChargingService
from domain.charging.state import SessionStatus as DomainStatus
from domain.common.clock import utcnow
from domain.common.events import InProcessEventBus
from domain.network.models import Station
from domain.network.service import NetworkService
from domain.tariffs.service import TariffService
from laddnet.localstripe import LocalStripe
from tests.api.conftest import Api, start_api
from tests.factories.billing import energy, event_body, make_billing, make_gateway, sign
from tests.factories.network import create_site, create_station


@dataclass
class Stations:
    """The station side: records each command and whether the payment was held when it went out."""

    sent: list[tuple[StationCommand, bool]] = field(default_factory=list)

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        held = await SessionPayment.find_one({"status": PaymentStatus.AUTHORIZED.value}) is not None
        self.sent.append((command, held))
        return CommandResult(CommandStatus.ACCEPTED)


@dataclass
class World:
    api: Api
    charging: ChargingService
    billing: BillingService
    stations: Stations


@pytest.fixture(scope="module", name="w")
async def billing_api(database: object) -> AsyncIterator[World]:
    with LocalStripe() as stripe:
        events = InProcessEventBus()
        network = NetworkService(events)
        stations = Stations()
        charging = ChargingService(events, network, StationCommandService(stations))
        billing = make_billing(make_gateway(stripe.api_base), charging, network, stop_at_hold=True)
        async with start_api(events=events, network=network, charging=charging) as api:
            api.deps.billing = billing
            api.deps.tariffs = TariffService()
            follower = asyncio.create_task(billing.run(events))
            try:
                yield World(api, charging, billing, stations)
            finally:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower


def ok(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    if "errors" in result:
        assert result["errors"] == [], result
    return result


TARIFF = {
    "name": "Standard",
    "currency": "SEK",
    "vatPercent": "25",
    "energyPricePerKwh": "3.50",
    "preAuthorizationAmount": "300.00",
    "cap": "500.00",
}


async def operator_station(w: World, tariff: dict[str, Any] = TARIFF) -> tuple[str, Station]:
    org, token = await w.api.operator()
    site = await create_site(w.api.deps.network, org.id)  # type: ignore[arg-type]
    station = await create_station(w.api.deps.network, org.id, site.id)  # type: ignore[arg-type]
    await w.api.deps.network.station_connected(station, node_id="node-1")
    created = ok(
        await w.api.gql(
            "mutation($i: TariffInput!) { createTariff(input: $i) "
            "{ tariff { id name currency summary } errors { code field message } } }",
            {"i": {**tariff, "name": f"{tariff['name']} {station.id}"}},
            token,
        ),
        "createTariff",
    )
    assert created["tariff"]["summary"].startswith("SEK 3.50/kWh")
    assigned = ok(
        await w.api.gql(
            "mutation($s: ID!, $t: ID!) { assignTariff(stationId: $s, tariffId: $t) "
            "{ station { id tariff { id name } } errors { code field message } } }",
            {"s": str(station.id), "t": created["tariff"]["id"]},
            token,
        ),
        "assignTariff",
    )
    assert assigned["station"]["tariff"]["id"] == created["tariff"]["id"]
    return token, station


async def driver_with_card(w: World, card: str = "pm_card_visa") -> str:
    driver = await w.api.driver()
    setup = ok(
        await w.api.gql(
            "mutation { setUpPaymentMethod { customerId setupIntentClientSecret publishableKey "
            "ephemeralKeySecret errors { code field message } } }",
            token=driver,
        ),
        "setUpPaymentMethod",
    )
    assert setup["customerId"].startswith("cus_") and setup["publishableKey"] == "pk_test_laddnet"
    assert setup["ephemeralKeySecret"] is None  # localstripe has no ephemeral keys
    saved = await w.api.gql(
        "mutation($pm: ID!) { setDefaultPaymentMethod(paymentMethodId: $pm) "
        "{ paymentMethod { id brand last4 expMonth expYear } errors { code field message } } }",
        {"pm": card},
        driver,
    )
    assert saved["data"]["setDefaultPaymentMethod"]["errors"] == [], saved
    return driver


START = """mutation($input: StartChargingInput!) {
  startCharging(input: $input) { session { id status } errors { code field message } }
}"""
MY_SESSIONS = """query { mySessions(first: 5) { edges { node { id status cost { amount currency }
  payment { status amountAuthorized { amount } amountCaptured { amount } amountRefunded { amount } }
  receipt { number lines { kind description quantity unit unitPrice { amount } amount { amount } }
            subtotal { amount } vat { amount } total { amount currency } } } } } }"""


async def wait_for(w: World, driver: str, status: str) -> dict[str, Any]:
    for _ in range(100):
        body = await w.api.gql(MY_SESSIONS, token=driver)
        node: dict[str, Any] = body["data"]["mySessions"]["edges"][0]["node"]
        if node["payment"] and node["payment"]["status"] == status:
            return node
        await asyncio.sleep(0.05)
    raise AssertionError(f"payment never became {status}: {node}")


async def test_save_card_start_follow_cost_stop_and_exactly_the_price_is_captured(w: World) -> None:
    operator, station = await operator_station(w)
    driver = await driver_with_card(w)
    me = await w.api.gql("query { me { defaultPaymentMethod { brand last4 } } }", token=driver)
    assert me["data"]["me"]["defaultPaymentMethod"] == {"brand": "visa", "last4": "4242"}

    started = ok(
        await w.api.gql(START, {"input": {"stationId": str(station.id), "connectorId": 1}}, driver),
        "startCharging",
    )
    command, held = w.stations.sent[-1]
    assert isinstance(command, RemoteStart) and held  # authorised before the station was told
    session_id = started["session"]["id"]
    t0 = utcnow() - timedelta(minutes=20)
    tx = await w.charging.start_transaction(
        station, connector_id=1, id_tag=command.id_tag, meter_start_wh=0, timestamp=t0
    )
    transaction_id = tx.session.transaction_id or ""
    progress = (
        "subscription($id: ID!) { sessionProgress(sessionId: $id) { status cost { amount } } }"
    )
    async with w.api.subscribe(progress, {"id": session_id}, driver) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 2))
        assert first["payload"]["data"]["sessionProgress"]["cost"]["amount"] == "0.00"
        await w.charging.meter_values(
            station,
            connector_id=1,
            transaction_id=transaction_id,
            readings=[energy(t0 + timedelta(minutes=10), 4000, power_w=24_000)],
        )
        update = json.loads(await asyncio.wait_for(ws.recv(), 2))
        assert update["payload"]["data"]["sessionProgress"]["cost"]["amount"] == "14.00"
    await w.charging.stop_transaction(
        station, transaction_id=transaction_id, meter_stop_wh=10_000, timestamp=utcnow()
    )
    node = await wait_for(w, driver, "CAPTURED")
    assert node["cost"] == {"amount": "35.00", "currency": "SEK"}
    assert node["payment"]["amountAuthorized"]["amount"] == "300.00"
    assert node["payment"]["amountCaptured"]["amount"] == "35.00"
    receipt = node["receipt"]
    assert receipt["total"] == {"amount": "35.00", "currency": "SEK"}
    assert receipt["vat"]["amount"] == "7.00" and receipt["subtotal"]["amount"] == "28.00"
    assert receipt["lines"][0]["kind"] == "ENERGY" and receipt["lines"][0]["quantity"] == 10.0
    payment = await SessionPayment.find_one({"station_id": station.id})
    assert payment is not None and payment.intent_id
    recorded = await w.billing.gateway.retrieve_intent(payment.intent_id)  # localstripe's record
    assert (recorded.status, recorded.amount_captured) == ("succeeded", 3500)

    refund = """mutation($s: ID!, $a: Decimal) { refundSession(sessionId: $s, amount: $a) {
      refund { id status amount { amount } } errors { code field message } } }"""
    too_much = await w.api.gql(refund, {"s": session_id, "a": "35.01"}, operator)
    assert too_much["data"]["refundSession"]["errors"][0]["code"] == "INVALID_INPUT"
    part = ok(await w.api.gql(refund, {"s": session_id, "a": "5.00"}, operator), "refundSession")
    assert part["refund"]["status"] == "SUCCEEDED" and part["refund"]["amount"]["amount"] == "5.00"
    node = await wait_for(w, driver, "PARTIALLY_REFUNDED")
    assert node["payment"]["amountRefunded"]["amount"] == "5.00"

    report = await w.api.gql(
        "query($r: DateRangeInput!) { revenueReport(range: $r, groupBy: STATION) { rows { key "
        "sessions energyRevenue { amount } refunds { amount } vat { amount } net { amount } "
        "gross { amount } } totals { gross { amount } net { amount } vat { amount } } } }",
        {
            "r": {
                "from": (utcnow() - timedelta(days=1)).isoformat(),
                "to": (utcnow() + timedelta(days=1)).isoformat(),
            }
        },
        operator,
    )
    rows = report["data"]["revenueReport"]["rows"]
    assert rows == [
        {
            "key": str(station.id),
            "sessions": 1,
            "energyRevenue": {"amount": "35.00"},
            "refunds": {"amount": "5.00"},
            "vat": {"amount": "6.00"},
            "net": {"amount": "24.00"},
            "gross": {"amount": "30.00"},
        }
    ]


async def test_a_declined_card_is_payment_declined_and_nothing_starts(w: World) -> None:
    _, station = await operator_station(w)
    driver = await driver_with_card(w, "pm_card_chargeCustomerFail")
    before = len(w.stations.sent)
    body = await w.api.gql(
        START, {"input": {"stationId": str(station.id), "connectorId": 1}}, driver
    )
    result = body["data"]["startCharging"]
    assert result["session"] is None and result["errors"][0]["code"] == "PAYMENT_DECLINED"
    assert len(w.stations.sent) == before


async def test_a_start_without_a_card_is_refused_before_the_station(w: World) -> None:
    _, station = await operator_station(w)
    driver = await w.api.driver()
    before = len(w.stations.sent)
    body = await w.api.gql(
        START, {"input": {"stationId": str(station.id), "connectorId": 1}}, driver
    )
    assert body["data"]["startCharging"]["errors"][0]["code"] == "NO_PAYMENT_METHOD"
    assert len(w.stations.sent) == before


async def test_plans_subscribe_and_cancel(w: World) -> None:
    operator, _ = await operator_station(w)
    plan = ok(
        await w.api.gql(
            "mutation($i: PlanInput!) { createPlan(input: $i) "
            "{ plan { id name monthlyFee { amount currency } } errors { code field message } } }",
            {
                "i": {
                    "name": f"Plus {operator[-6:]}",
                    "description": "20 % off",
                    "monthlyFee": "99.00",
                    "energyDiscountPercent": 20,
                    "includedKwh": "10",
                }
            },
            operator,
        ),
        "createPlan",
    )["plan"]
    assert plan["monthlyFee"] == {"amount": "99.00", "currency": "SEK"}
    driver = await driver_with_card(w)
    plans = await w.api.gql(
        "query { plans { id includedKwh energyDiscountPercent } }", token=driver
    )
    assert {"id": plan["id"], "includedKwh": 10.0, "energyDiscountPercent": 20} in plans["data"][
        "plans"
    ]
    sub = ok(
        await w.api.gql(
            "mutation($p: ID!) { subscribe(planId: $p) { membership { status currentPeriodEnd "
            "plan { id name } } errors { code field message } } }",
            {"p": plan["id"]},
            driver,
        ),
        "subscribe",
    )
    assert sub["membership"]["status"] == "ACTIVE" and sub["membership"]["plan"]["id"] == plan["id"]
    me = await w.api.gql("query { me { membership { status plan { name } } } }", token=driver)
    assert me["data"]["me"]["membership"]["status"] == "ACTIVE"
    cancelled = ok(
        await w.api.gql(
            "mutation { cancelMembership { membership { status currentPeriodEnd } "
            "errors { code field message } } }",
            token=driver,
        ),
        "cancelMembership",
    )
    assert cancelled["membership"]["status"] == "CANCELING"


async def test_webhooks_need_a_valid_signature_and_are_handled_once(w: World) -> None:
    body = event_body("evt_api_1", "payment_intent.succeeded", {"id": "pi_unknown"})
    unsigned = await w.api.http.post("/webhooks/stripe", content=body)
    assert unsigned.status_code == 400
    stale = await w.api.http.post(
        "/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body, at=1_600_000_000)}
    )
    assert stale.status_code == 400
    first = await w.api.http.post(
        "/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)}
    )
    assert first.status_code == 200 and first.json()["outcome"] == "ignored"
    again = await w.api.http.post(
        "/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)}
    )
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"


async def test_operators_see_ended_sessions_not_settled_yet_and_why(w: World) -> None:
    token, station = await operator_station(w)
    # a session that ended while billing was away (its event never reached billing)
    ended = DomainSession(
        org_id=station.org_id,
        site_id=station.site_id,
        station_id=station.id,  # type: ignore[arg-type]
        charge_point_id=station.charge_point_id,
        connector_id=1,
        ocpp_version="1.6",
        status=DomainStatus.ENDED,
        started_at=utcnow() - timedelta(minutes=30),
        ended_at=utcnow() - timedelta(minutes=5),
        meter_start_wh=0,
        last_meter_wh=2_000,
        energy_wh=2_000,
    )
    await ended.insert()
    query = (
        "query { unsettledSessions { session { id status } paymentStatus reason attempts "
        "nextAttemptAt } }"
    )
    body = await w.api.gql(query, token=token)
    assert "errors" not in body, body
    [row] = [r for r in body["data"]["unsettledSessions"] if r["session"]["id"] == str(ended.id)]
    assert row["session"]["status"] == "ENDED" and row["paymentStatus"] is None
    assert "not settled yet" in row["reason"] and row["attempts"] == 0

    await w.billing.reconcile()  # what runs at start-up and every LADDNET_SETTLEMENT_INTERVAL
    body = await w.api.gql(query, token=token)
    assert str(ended.id) not in {r["session"]["id"] for r in body["data"]["unsettledSessions"]}
    payment = await SessionPayment.find_one({"session_id": ended.id})
    assert payment is not None and payment.status is PaymentStatus.UNPAID  # nobody to charge
    assert payment.receipt is not None and payment.receipt.total == 700

    anonymous = await w.api.gql(query)
    assert anonymous["data"] is None and anonymous["errors"]
