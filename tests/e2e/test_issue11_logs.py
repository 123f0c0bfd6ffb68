"""Issue 11: the log says what happened, one structured event per line: a session started and
ended, a payment captured, an alert raised; per-call detail (Stripe's HTTP requests) only at DEBUG.
A 1.6 charge point charges with a driver's RFID tag on a priced station against the production
wiring; the RFID session is charged to the driver's card after it ends."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import pytest
from beanie import PydanticObjectId
from ocpp.v16 import call as call16

from domain.common.clock import utcnow
from laddnet import logs
from tests.e2e.conftest import Laddnet
from tests.e2e.ops import OPS, create_site, register_station, ts
from tests.factories.charging import connect_charge_point
from tests.factories.tariffs import create_tariff

EVENTS = {"session.started", "session.ended", "payment.captured", "alert.raised"}


async def records_for(
    caplog: pytest.LogCaptureFixture, within: float = 15.0
) -> dict[str, logging.LogRecord]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = {r.getMessage(): r for r in caplog.records if r.getMessage() in EVENTS}
        if set(found) == EVENTS or loop.time() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_sessions_payments_and_alerts_are_one_structured_line_each(
    laddnet: Laddnet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    org_id, admin = await laddnet.operator()
    site_id = await create_site(laddnet, admin)
    cp_id = f"LOG-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(laddnet, admin, site_id, cp_id)
    c = laddnet.container
    tariff = await create_tariff(c.tariffs, PydanticObjectId(org_id), currency="SEK")
    await c.network.assign_tariff(await c.network.station(PydanticObjectId(station_id)), tariff.id)
    driver = await laddnet.driver()
    await laddnet.data(OPS["SetDefaultPaymentMethod"], {"paymentMethodId": "pm_card_visa"}, driver)
    tag = f"TAG{uuid.uuid4().hex[:8].upper()}"
    await laddnet.data(OPS["LinkIdToken"], {"idTag": tag}, driver)

    async with connect_charge_point(laddnet.ocpp_port, cp_id, "1.6") as cp:
        await cp.call(
            call16.BootNotification(charge_point_vendor="Laddco", charge_point_model="L50")
        )
        await cp.call(call16.StatusNotification(connector_id=1, error_code="NoError",
                                                status="Available", timestamp=ts(utcnow())))  # fmt: skip
        started = await cp.call(call16.StartTransaction(connector_id=1, id_tag=tag, meter_start=0,
                                                        timestamp=ts(utcnow())))  # fmt: skip
        await cp.call(call16.StopTransaction(transaction_id=started.transaction_id,
                                             meter_stop=5_000, timestamp=ts(utcnow())))  # fmt: skip
        await cp.call(call16.StatusNotification(connector_id=2, error_code="GroundFailure",
                                                status="Faulted", timestamp=ts(utcnow())))  # fmt: skip
        found = await records_for(caplog)
    assert set(found) == EVENTS, sorted(found)

    start, end = found["session.started"], found["session.ended"]
    assert start.fields["station"] == cp_id and start.fields["connector"] == 1  # type: ignore[attr-defined]
    session_id = start.fields["session_id"]  # type: ignore[attr-defined]
    assert end.fields["session_id"] == session_id and end.fields["energy_wh"] == 5_000  # type: ignore[attr-defined]
    paid = found["payment.captured"].fields  # type: ignore[attr-defined]
    assert paid["session_id"] == session_id and paid["currency"] == "SEK"
    assert paid["amount"] == 1_750  # 5 kWh at SEK 3.50
    alert = found["alert.raised"]
    assert alert.levelno == logging.WARNING and alert.fields["kind"] == "FAULTED"  # type: ignore[attr-defined]

    # One line each, as text and as JSON.
    text = logs.KeyValueFormatter().format(start)
    assert "\n" not in text and f"session.started session_id={session_id} station={cp_id}" in text
    doc = json.loads(logs.JsonFormatter().format(found["payment.captured"]))
    assert (doc["event"], doc["amount"], doc["currency"]) == ("payment.captured", 1_750, "SEK")


def test_per_call_noise_is_debug_only() -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure("INFO")
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)  # Stripe's HTTP calls
        assert not logging.getLogger("laddnet.demo").isEnabledFor(logging.DEBUG)  # fleet progress
        logs.configure("DEBUG")
        assert logging.getLogger("httpx").isEnabledFor(logging.DEBUG)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name in (
            "pymongo",
            "websockets",
            "uvicorn.access",
            "stripe",
            "ocpp",
            "httpx",
            "httpcore",
            "urllib3",
        ):
            logging.getLogger(name).setLevel(logging.NOTSET)
