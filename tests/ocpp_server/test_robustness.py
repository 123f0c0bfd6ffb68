"""What a CSMS must survive: garbage frames, unknown actions, replays, retries, orphans, bad clocks,
oversized frames. Raw websocket frames where the ocpp library would not send them."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.v16 import call
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from domain.charging.models import ChargingSession, OrphanTransactionMessage
from domain.charging.state import SessionStatus
from domain.charging.timestamps import FLAG_OUT_OF_RANGE
from tests.factories.charging import basic_auth, connect_charge_point, link_tag
from tests.factories.network import STATION_KEY, create_station
from tests.ocpp_server.conftest import Csms


def ts(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@asynccontextmanager
async def raw(csms: Csms, version: str) -> AsyncIterator[ClientConnection]:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    async with connect(
        f"ws://127.0.0.1:{csms.port}/ocpp/{station.charge_point_id}",
        subprotocols=[f"ocpp{version}"],  # type: ignore[list-item]
        additional_headers=basic_auth(station.charge_point_id, STATION_KEY),
        max_size=None,
    ) as ws:
        yield ws


async def exchange(ws: ClientConnection, frame: str) -> list[Any]:
    await ws.send(frame)
    return list(json.loads(await ws.recv()))


@pytest.mark.parametrize(
    ("version", "bad_json", "not_rpc", "unknown_type"),
    [
        ("1.6", "FormationViolation", "FormationViolation", "GenericError"),
        ("2.0.1", "RpcFrameworkError", "RpcFrameworkError", "MessageTypeNotSupported"),
    ],
)
async def test_garbage_gets_a_callerror_and_the_connection_stays_usable(
    csms: Csms, version: str, bad_json: str, not_rpc: str, unknown_type: str
) -> None:
    async with raw(csms, version) as ws:
        answer = await exchange(ws, "this is {not json")
        assert answer[:3] == [4, "-1", bad_json]
        assert (await exchange(ws, '{"an": "object"}'))[:3] == [4, "-1", not_rpc]
        assert (await exchange(ws, '[2, "only-two"]'))[:3] == [4, "only-two", not_rpc]
        assert (await exchange(ws, '[7, "m-7", "Heartbeat", {}]'))[:3] == [4, "m-7", unknown_type]
        # an action nobody has heard of, and one OCPP knows but a CSMS does not take
        assert (await exchange(ws, '[2, "u-1", "MakeCoffee", {}]'))[:3] == [
            4,
            "u-1",
            "NotImplemented",
        ]
        assert (await exchange(ws, '[2, "u-2", "ReserveNow", {}]'))[:3] == [
            4,
            "u-2",
            "NotSupported",
        ]
        # a payload against the schema
        schema = await exchange(ws, '[2, "u-3", "Heartbeat", {"surprise": 1}]')
        assert schema[:2] == [4, "u-3"] and schema[2] in ("FormatViolation", "FormationViolation")
        # and the connection still works
        ok = await exchange(ws, '[2, "hb-1", "Heartbeat", {}]')
        assert ok[0] == 3 and ok[1] == "hb-1" and "currentTime" in ok[2]


async def test_a_frame_over_one_mebibyte_is_refused(csms: Csms) -> None:
    async with raw(csms, "1.6") as ws:
        await ws.send('[2,"big","DataTransfer",{"vendorId":"x","data":"' + "x" * (2**20) + '"}]')
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_replayed_start_gets_the_same_transaction_and_a_retried_stop_counts_once(
    csms: Csms,
) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    await link_tag(csms.charging, "TAG-REPLAY")
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    start = call.StartTransaction(
        connector_id=1, id_tag="TAG-REPLAY", meter_start=500, timestamp=ts(t0)
    )
    data = [
        {
            "timestamp": ts(t0 + timedelta(minutes=m)),
            "sampledValue": [
                {"value": str(500 + 1000 * m), "unit": "Wh"},
                {"value": "7000", "measurand": "Power.Active.Import"},
            ],
        }
        for m in (10, 20)
    ]
    stop = call.StopTransaction(
        meter_stop=20_500,
        timestamp=ts(t0 + timedelta(minutes=30)),
        transaction_id=0,
        transaction_data=data,
    )
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        first = await cp.call(start)
        again = await cp.call(start)  # the station's offline queue sends it once more
        assert again.transaction_id == first.transaction_id
        assert await ChargingSession.find({"station_id": station.id}).count() == 1
        stop.transaction_id = first.transaction_id
        await cp.call(stop)
        ended = await csms.charging.store.session_by_transaction(
            station.id, str(first.transaction_id)
        )
        assert ended is not None and ended.status is SessionStatus.ENDED
        await cp.call(stop)  # retried: no answer reached the station the first time
    again_ended = await csms.charging.store.session_by_transaction(
        station.id, str(first.transaction_id)
    )
    assert again_ended is not None
    assert (again_ended.ended_at, again_ended.energy_wh) == (ended.ended_at, 20_000)
    assert again_ended.updated_at == ended.updated_at  # nothing written twice
    samples = await csms.charging.store.samples_for_transaction(
        station.id, str(first.transaction_id)
    )
    assert len(samples) == 4


async def test_a_stop_for_an_unknown_transaction_is_confirmed_logged_and_recorded(
    csms: Csms, caplog: pytest.LogCaptureFixture
) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    now = ts(datetime.now(UTC))
    orphan = call.StopTransaction(
        meter_stop=1234, timestamp=now, transaction_id=987_654, id_tag="WHO"
    )
    with caplog.at_level(logging.WARNING):
        async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
            answer = await cp.call(orphan, suppress=False)
            await cp.call(orphan, suppress=False)
    assert answer.id_tag_info == {"status": "Invalid"}
    assert "unknown transaction 987654" in caplog.text
    record = await OrphanTransactionMessage.find_one({"station_id": station.id})
    assert record is not None
    assert (record.transaction_id, record.action, record.times_received) == (
        "987654",
        "StopTransaction",
        2,
    )
    assert record.data["meter_stop_wh"] == 1234


async def test_business_sanity_checks_never_cost_a_transaction(csms: Csms) -> None:
    """Unknown id tag, a connector the station was not registered with, a meter running
    backwards: all answered normally, all stored before the answer, all flagged."""
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    now = datetime.now(UTC).replace(microsecond=0)
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        start = await cp.call(
            call.StartTransaction(
                connector_id=9, id_tag="STRANGER", meter_start=5000, timestamp=ts(now)
            ),
            suppress=False,
        )
        assert start.id_tag_info["status"] == "Invalid" and start.transaction_id > 0
        stored = await csms.charging.store.session_by_transaction(
            station.id, str(start.transaction_id)
        )
        assert stored is not None and "id_tag_not_accepted" in stored.flags
        await cp.call(
            call.StopTransaction(
                meter_stop=4000, timestamp=ts(now), transaction_id=start.transaction_id
            ),
            suppress=False,
        )
    stopped = await csms.charging.store.session_by_transaction(
        station.id, str(start.transaction_id)
    )
    assert stopped is not None and stopped.status is SessionStatus.ENDED
    assert "meter_stop_below_start" in stopped.flags and stopped.energy_wh == 0


async def test_timestamps_far_ahead_or_before_2017_are_flagged_not_dropped(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    before = datetime.now(UTC)
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        start = await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag="CLOCK", meter_start=0, timestamp="2015-06-01T00:00:00Z"
            ),
            suppress=False,
        )
        tx = start.transaction_id
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=tx,
                meter_value=[
                    {"timestamp": "2099-01-01T00:00:00Z", "sampledValue": [{"value": "900"}]}
                ],
            ),
            suppress=False,
        )
    session = await csms.charging.store.session_by_transaction(station.id, str(tx))
    assert session is not None and FLAG_OUT_OF_RANGE in session.flags
    assert session.reported_started_at == datetime(2015, 6, 1, tzinfo=UTC)
    assert session.started_at is not None and session.started_at >= before.replace(microsecond=0)
    assert session.energy_wh == 900  # the reading itself is kept and counted
    (sample,) = await csms.charging.store.samples_for_transaction(station.id, str(tx))
    assert sample.reported_at == datetime(2099, 1, 1, tzinfo=UTC)
    assert sample.at < datetime(2098, 1, 1, tzinfo=UTC)
