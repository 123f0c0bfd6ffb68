"""The contract's billing, tariff and membership operations, sent verbatim (``OPS[...]``) to laddnet
in its production wiring, with Stripe played by localstripe and an OCPP 1.6 charge point answering.

An operator prices a station and offers a plan; a driver saves a card, sees it in ``Me``, charges
(the station answers the remote start and reports the transaction), and finds the session priced,
captured and receipted in ``MySessions``; the operator refunds part of it (not more than was
captured) and reads the revenue; the driver subscribes to the plan and cancels it."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ocpp.v16 import call as call16

from domain.common.clock import utcnow
from tests.contract import PENDING
from tests.e2e.conftest import Laddnet
from tests.e2e.ops import OPS, create_site, register_station, ts
from tests.factories.charging import connect_charge_point

TARIFF = {
    "currency": "SEK",
    "vatPercent": "25",
    "energyPricePerKwh": "3.50",
    "preAuthorizationAmount": "300.00",
}


def sek(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "SEK"}


async def session_until(app: Laddnet, driver: str, payment_status: str) -> dict[str, Any]:
    """The driver's latest session, once its payment has reached this status."""
    node: dict[str, Any] = {}
    for _ in range(100):
        mine = await app.data(OPS["MySessions"], {"first": 5}, driver)
        node = mine["mySessions"]["edges"][0]["node"]
        if node["payment"] and node["payment"]["status"] == payment_status:
            return node
        await asyncio.sleep(0.05)
    raise AssertionError(f"payment never became {payment_status}: {node}")


async def test_a_priced_paid_receipted_refunded_session_and_a_membership(
    laddnet: Laddnet,
) -> None:
    app = laddnet
    _, admin = await app.operator()
    site_id = await create_site(app, admin)
    cp_id = f"E2EPAY-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)
    t_begin = utcnow()

    # the operator prices the station
    created = await app.data(
        OPS["CreateTariff"], {"input": {**TARIFF, "name": f"Standard {cp_id}"}}, admin
    )
    tariff = created["createTariff"]["tariff"]
    assert (tariff["name"], tariff["currency"]) == (f"Standard {cp_id}", "SEK")
    assert tariff["summary"].startswith("SEK 3.50/kWh")
    assigned = await app.data(
        OPS["AssignTariff"], {"stationId": station_id, "tariffId": tariff["id"]}, admin
    )
    assert assigned["assignTariff"]["station"] == {
        "id": station_id,
        "tariff": {"id": tariff["id"], "name": tariff["name"]},
    }
    bad = await app.gql(
        OPS["CreateTariff"], {"input": {**TARIFF, "name": "Bad", "vatPercent": "125"}}, admin
    )
    assert bad["data"]["createTariff"]["tariff"] is None
    assert bad["data"]["createTariff"]["errors"][0]["code"] == "INVALID_INPUT"

    # a driver saves a card (on localstripe) and sees it in Me
    driver = await app.driver()
    setup = (await app.data(OPS["SetUpPaymentMethod"], None, driver))["setUpPaymentMethod"]
    assert setup["customerId"].startswith("cus_")
    assert setup["setupIntentClientSecret"] and setup["publishableKey"] == "pk_test_laddnet"
    saved = await app.data(
        OPS["SetDefaultPaymentMethod"], {"paymentMethodId": "pm_card_visa"}, driver
    )
    card = saved["setDefaultPaymentMethod"]["paymentMethod"]
    assert (card["brand"], card["last4"]) == ("visa", "4242")
    me = (await app.data(OPS["Me"], None, driver))["me"]
    assert me["defaultPaymentMethod"] == card
    assert (me["membership"], me["idTokens"], me["activeSession"]) == (None, [], None)

    async with connect_charge_point(app.ocpp_port, cp_id, "1.6") as cp:
        boot = await cp.call(
            call16.BootNotification(charge_point_vendor="Laddco", charge_point_model="L50")
        )
        assert boot.status == "Accepted"
        await cp.call(
            call16.StatusNotification(
                connector_id=1, error_code="NoError", status="Available", timestamp=ts(utcnow())
            )
        )
        started = await app.data(
            OPS["StartCharging"],
            {"input": {"stationId": station_id, "connectorId": 1, "paymentMethodId": card["id"]}},
            driver,
        )
        sid = started["startCharging"]["session"]["id"]
        action, remote = cp.received[-1]
        assert (action, remote["connector_id"]) == ("RemoteStartTransaction", 1)
        id_tag = remote["id_tag"]
        t0 = utcnow() - timedelta(minutes=20)
        start = await cp.call(
            call16.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=0, timestamp=ts(t0))
        )
        assert start.id_tag_info["status"] == "Accepted"
        tx = start.transaction_id
        await cp.call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=tx,
                meter_value=[
                    {
                        "timestamp": ts(t0 + timedelta(minutes=10)),
                        "sampled_value": [
                            {
                                "value": "4000",
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "Wh",
                            }
                        ],
                    }
                ],
            )
        )
        me = (await app.data(OPS["Me"], None, driver))["me"]
        assert me["activeSession"]["id"] == sid
        await cp.call(
            call16.StopTransaction(
                meter_stop=10_000, timestamp=ts(utcnow()), transaction_id=tx, id_tag=id_tag
            )
        )

        # 10 kWh at SEK 3.50 incl. 25 % VAT: 35.00 captured of the 300.00 held
        node = await session_until(app, driver, "CAPTURED")
        assert (node["id"], node["status"], node["energyKwh"]) == (sid, "ENDED", 10.0)
        assert node["cost"] == sek("35.00")
        assert node["payment"] == {
            "status": "CAPTURED",
            "amountAuthorized": sek("300.00"),
            "amountCaptured": sek("35.00"),
            "amountRefunded": sek("0.00"),
        }
        receipt = node["receipt"]
        assert receipt["total"] == node["payment"]["amountCaptured"]
        assert (receipt["subtotal"], receipt["vat"]) == (sek("28.00"), sek("7.00"))
        [line] = receipt["lines"]
        assert (line["kind"], line["quantity"], line["unit"]) == ("ENERGY", 10.0, "kWh")
        assert Decimal(line["unitPrice"]["amount"]) == Decimal("3.50")  # unit prices keep sub-öre
        assert line["amount"] == sek("35.00")  # lines include VAT
        assert receipt["number"]
        assert (await app.data(OPS["Me"], None, driver))["me"]["activeSession"] is None

    # the operator refunds: never more than was captured, and the driver sees the rest
    too_much = await app.gql(OPS["RefundSession"], {"sessionId": sid, "amount": "35.01"}, admin)
    assert too_much["data"]["refundSession"]["refund"] is None
    assert too_much["data"]["refundSession"]["errors"][0]["code"] == "INVALID_INPUT"
    refunded = await app.data(
        OPS["RefundSession"], {"sessionId": sid, "amount": "5.00", "reason": "slow charge"}, admin
    )
    refund = refunded["refundSession"]["refund"]
    assert (refund["status"], refund["amount"]) == ("SUCCEEDED", sek("5.00"))
    node = await session_until(app, driver, "PARTIALLY_REFUNDED")
    assert node["payment"]["amountRefunded"] == sek("5.00")
    forbidden = await app.gql(OPS["RefundSession"], {"sessionId": sid, "amount": "1.00"}, driver)
    assert forbidden["data"]["refundSession"]["errors"][0]["code"] in {
        "FORBIDDEN",
        "UNAUTHENTICATED",
    }

    # revenue: gross is what was captured less what was refunded, net + VAT is gross
    window = {"from": ts(t_begin - timedelta(hours=1)), "to": ts(utcnow() + timedelta(minutes=1))}
    report = await app.data(OPS["RevenueReport"], {"range": window, "groupBy": "STATION"}, admin)
    [row] = report["revenueReport"]["rows"]
    assert (row["key"], row["sessions"]) == (station_id, 1)
    assert (row["energyRevenue"], row["refunds"]) == (sek("35.00"), sek("5.00"))
    assert (row["gross"], row["net"], row["vat"]) == (sek("30.00"), sek("24.00"), sek("6.00"))
    totals = report["revenueReport"]["totals"]
    assert (totals["gross"], totals["net"], totals["vat"]) == (row["gross"], row["net"], row["vat"])

    # usage, peak hours and bottlenecks count the same session
    usage = await app.data(
        OPS["UsageReport"], {"range": window, "groupBy": "STATION", "siteId": site_id}, admin
    )
    [used] = usage["usageReport"]["rows"]
    assert (used["key"], used["label"]) == (station_id, f"Station {cp_id}")
    assert (used["sessions"], used["energyKwh"]) == (1, 10.0)
    assert used["revenue"] == row["gross"]  # captured less refunded, as in the revenue report
    assert usage["usageReport"]["totals"]["revenue"] == row["gross"]
    peak = await app.data(OPS["PeakHours"], {"range": window, "stationId": station_id}, admin)
    assert peak["peakHours"]["timezone"] == "Europe/Stockholm"
    local = t0.astimezone(ZoneInfo("Europe/Stockholm"))
    busy = [c for c in peak["peakHours"]["cells"] if c["sessionsStarted"]]
    assert [(c["weekday"], c["hour"], c["sessionsStarted"]) for c in busy] == [
        (local.isoweekday(), local.hour, 1)
    ]
    found = await app.data(OPS["Bottlenecks"], {"range": window}, admin)
    assert found["bottlenecks"] == []  # one short session never filled the site

    # a plan: offered by the operator, listed to the driver, subscribed to and cancelled
    plan = (
        await app.data(
            OPS["CreatePlan"],
            {
                "input": {
                    "name": f"Plus {cp_id}",
                    "description": "20 % off energy",
                    "monthlyFee": "99.00",
                    "energyDiscountPercent": 20,
                    "includedKwh": "10",
                }
            },
            admin,
        )
    )["createPlan"]["plan"]
    assert (plan["name"], plan["monthlyFee"]) == (f"Plus {cp_id}", sek("99.00"))
    plans = (await app.data(OPS["Plans"], None, driver))["plans"]
    listed = next(p for p in plans if p["id"] == plan["id"])
    assert (listed["monthlyFee"], listed["energyDiscountPercent"], listed["includedKwh"]) == (
        sek("99.00"),
        20,
        10.0,
    )
    subscribed = (await app.data(OPS["Subscribe"], {"planId": plan["id"]}, driver))["subscribe"]
    assert subscribed["membership"]["status"] == "ACTIVE"
    assert subscribed["membership"]["plan"] == {"id": plan["id"], "name": plan["name"]}
    me = (await app.data(OPS["Me"], None, driver))["me"]
    assert me["defaultPaymentMethod"] == card
    assert me["membership"] == subscribed["membership"]
    assert me["membership"]["currentPeriodEnd"] > ts(utcnow())
    cancelled = (await app.data(OPS["CancelMembership"], None, driver))["cancelMembership"]
    assert cancelled["membership"] == {
        "status": "CANCELING",
        "currentPeriodEnd": subscribed["membership"]["currentPeriodEnd"],
    }
    assert (await app.data(OPS["Me"], None, driver))["me"]["membership"]["status"] == "CANCELING"


def test_every_contract_operation_is_sent_verbatim_somewhere_in_e2e() -> None:
    sources = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    sources += (Path(__file__).parent / "ops.py").read_text()
    sent = set(re.findall(r'OPS\["(\w+)"\]', sources))
    assert sorted(set(OPS) - sent - set(PENDING)) == []
