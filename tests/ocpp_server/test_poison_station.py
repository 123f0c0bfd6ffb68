"""One bad station harms only itself: schema-valid messages with a value OCPP-J cannot carry
(connectorId 2**63: the schemas say "integer", the specifications 32 bit, MongoDB 64 bit at most)
get the error the specification names, while every other station's messages, sent at the same
time, are answered and stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.exceptions import FormatViolationError, TypeConstraintViolationError
from ocpp.v16 import call
from ocpp.v201 import call as call201

from domain.charging.models import ChargingSession, MeterSample
from domain.charging.state import SessionStatus
from domain.network.models import StatusInterval
from tests.factories.charging import connect_charge_point, link_tag
from tests.factories.network import create_station
from tests.ocpp_server.conftest import Csms

POISON = 2**63


def ts(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def meter(at: datetime, wh: int, connector_id: int = 1, tx: int | None = None) -> call.MeterValues:
    return call.MeterValues(
        connector_id=connector_id,
        transaction_id=tx,
        meter_value=[{"timestamp": ts(at), "sampledValue": [{"value": str(wh), "unit": "Wh"}]}],
    )


async def poison_station(csms: Csms, t0: datetime) -> list[BaseException | Any]:
    """Each poisoned message, answered: the outcomes (the errors the station got)."""
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    messages = [
        meter(t0, 1000, connector_id=POISON),
        call.StatusNotification(connector_id=POISON, error_code="NoError", status="Available"),
        call.StartTransaction(
            connector_id=POISON, id_tag="GOOD-TAG", meter_start=0, timestamp=ts(t0)
        ),
        call.StartTransaction(
            connector_id=1, id_tag="GOOD-TAG", meter_start=POISON, timestamp=ts(t0)
        ),
    ]
    outcomes: list[BaseException | Any] = []
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        for message in messages:
            try:
                outcomes.append(await cp.call(message, suppress=False))
            except Exception as exc:
                outcomes.append(exc)
        outcomes.append(await cp.call(call.Heartbeat()))  # the connection is still fine
    return outcomes


async def good_station(csms: Csms, t0: datetime, n: int) -> tuple[int, str]:
    """A whole session: status, start, three MeterValues, stop. Returns (station, tx)."""
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing"),
            suppress=False,
        )
        start = await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag="GOOD-TAG", meter_start=1000, timestamp=ts(t0)
            ),
            suppress=False,
        )
        tx = start.transaction_id
        for minute in (1, 2, 3):
            at = t0 + timedelta(minutes=minute)
            await cp.call(meter(at, 1000 + 100 * n + 500 * minute, tx=tx), suppress=False)
        await cp.call(
            call.StopTransaction(
                meter_stop=3000 + 100 * n,
                timestamp=ts(t0 + timedelta(minutes=4)),
                transaction_id=tx,
            ),
            suppress=False,
        )
    return n, str(tx)


async def test_a_poison_station_gets_errors_and_every_other_station_is_stored(
    csms: Csms,
) -> None:
    await link_tag(csms.charging, "GOOD-TAG")
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    results = await asyncio.gather(
        poison_station(csms, t0),
        poison_station(csms, t0),
        *(good_station(csms, t0, n) for n in range(8)),
    )
    for outcomes in results[:2]:
        errors = outcomes[:4]
        assert all(isinstance(e, TypeConstraintViolationError) for e in errors), errors
        assert "connectorId" in str(errors[0]) or "connector_id" in str(errors[0])
        assert outcomes[4] is not None  # the Heartbeat after them: answered
    sessions = await ChargingSession.find(
        {"org_id": csms.site.org_id, "id_tag": "GOOD-TAG"}
    ).to_list()
    by_tx = {s.transaction_id: s for s in sessions}
    for n, tx in results[2:]:  # type: ignore[misc]
        session = by_tx[tx]
        assert session.status is SessionStatus.ENDED
        assert session.energy_wh == 2000 + 100 * n
        samples = await MeterSample.find(
            {"meta.station_id": session.station_id, "transaction_id": tx}
        ).to_list()
        assert sorted(s.value for s in samples) == [1000 + 100 * n + 500 * m for m in (1, 2, 3)]
        statuses = await StatusInterval.find({"station_id": session.station_id}).count()
        assert statuses >= 1
    assert await ChargingSession.find({"connector_id": {"$gt": 2**31}}).count() == 0


async def test_201_out_of_range_and_nan_get_the_201_errors(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    now = ts(datetime.now(UTC))
    async with connect_charge_point(csms.port, station.charge_point_id, "2.0.1") as cp:
        with pytest.raises(TypeConstraintViolationError):
            await cp.call(
                call201.StatusNotification(
                    timestamp=now, connector_status="Available", evse_id=POISON, connector_id=1
                ),
                suppress=False,
            )
        nan = call201.MeterValues(
            evse_id=1,
            meter_value=[{"timestamp": now, "sampledValue": [{"value": float("nan")}]}],
        )
        with pytest.raises(FormatViolationError):
            await cp.call(nan, suppress=False)
        await cp.call(call201.Heartbeat(), suppress=False)  # still connected, still answered
