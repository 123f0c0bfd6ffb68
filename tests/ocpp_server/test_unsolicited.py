"""Answers to calls the CSMS never made (or stopped waiting for) are dropped: they cannot grow the
server's memory, and cannot be taken for the answer to a later call. A real websocket client sends
them; commands go to an ``ocpp`` charge point."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from typing import Any

from ocpp.routing import on
from ocpp.v16 import call_result as r16
from websockets.asyncio.client import connect

from domain.charging import commands as c
from domain.charging.commands import CommandStatus
from tests.factories.charging import TestChargePoint16, basic_auth, connect_charge_point
from tests.factories.network import STATION_KEY, create_station
from tests.ocpp_server.conftest import Csms


async def test_unsolicited_answers_are_dropped_without_growing_memory(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    cp_id = station.charge_point_id
    filler = "x" * 1000
    async with connect(
        f"ws://127.0.0.1:{csms.port}/ocpp/{cp_id}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic_auth(cp_id, STATION_KEY),
    ) as ws:

        async def flood(n: int) -> None:
            for i in range(n):
                await ws.send(json.dumps([3, f"never-asked-{i}", {"data": filler}]))
                await ws.send(json.dumps([4, f"never-asked-{i}", "GenericError", filler, {}]))
            await ws.send(json.dumps([2, "sync", "Heartbeat", {}]))
            while json.loads(await ws.recv())[1] != "sync":
                pass

        await flood(200)  # warm up: what every connection allocates once
        handler = csms.server.registry.get(cp_id).handler  # type: ignore[union-attr]
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            await flood(2_000)
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert handler._response_queue.qsize() == 0  # before: 4,200 kept
        assert grown < 1_000_000, f"{grown / 1e6:.1f} MB held after 4,000 unsolicited answers"


class StrayAnswers(TestChargePoint16):
    """Before answering a Reset, sends an answer to a call that was never made."""

    @on("Reset")
    async def on_reset(self, **kw: Any) -> Any:
        await self._connection.send(json.dumps([3, "not-a-call-of-yours", {"status": "Rejected"}]))
        return r16.Reset(status="Accepted")


async def test_a_stray_answer_is_never_taken_for_the_answer_to_a_call(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    cp_id = station.charge_point_id
    async with connect_charge_point(csms.port, cp_id, cls=StrayAnswers) as cp:
        first = await csms.commands.send(cp_id, c.Reset())
        assert first.status is CommandStatus.ACCEPTED
        # a stray answer between calls: the next call still gets its own answer
        await cp._connection.send(json.dumps([3, "not-a-call-of-yours", {"status": "Rejected"}]))
        await asyncio.sleep(0.05)
        second = await csms.commands.send(cp_id, c.Reset())
        assert second.status is CommandStatus.ACCEPTED
        handler = csms.server.registry.get(cp_id).handler  # type: ignore[union-attr]
        assert handler._response_queue.qsize() == 0
