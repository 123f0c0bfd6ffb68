"""Who may connect: security profile 1 before the upgrade, subprotocols, reconnects."""

from __future__ import annotations

import asyncio
import logging

import pytest
from ocpp.v16 import call
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from domain.charging import commands as c
from domain.network import repository as network_repo
from tests.factories.charging import basic_auth, connect_charge_point
from tests.factories.network import STATION_KEY, create_station
from tests.ocpp_server.conftest import Csms


async def _status_of(csms: Csms, cp_id: str, **kw: object) -> int:
    headers = kw.pop("headers", basic_auth(cp_id, STATION_KEY))
    path = kw.pop("path", f"/ocpp/{cp_id}")
    subprotocols = kw.pop("subprotocols", ["ocpp1.6"])
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"ws://127.0.0.1:{csms.port}{path}",
            subprotocols=subprotocols,  # type: ignore[arg-type]
            additional_headers=headers,  # type: ignore[arg-type]
        ):
            pass
    return refused.value.response.status_code


async def test_bad_credentials_are_refused_before_the_upgrade_logged_and_throttled(
    csms: Csms, caplog: pytest.LogCaptureFixture
) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    cp_id = station.charge_point_id
    with caplog.at_level(logging.WARNING):
        assert await _status_of(csms, "CP-NOBODY-AT-ALL") == 401
        # a request without credentials, or for another id, guesses nothing: not counted
        assert await _status_of(csms, cp_id, headers={}) == 401
        assert await _status_of(csms, cp_id, headers=basic_auth("someone-else", STATION_KEY)) == 401
        for _ in range(3):
            assert (
                await _status_of(csms, cp_id, headers=basic_auth(cp_id, "wrong-password-12345"))
                == 401
            )
        # three wrong keys for this id from this address: even the right one waits now (from
        # elsewhere it gets in: test_auth_throttle.py)
        assert await _status_of(csms, cp_id) == 429
    assert await _status_of(csms, "x" * 49) == 404  # no station has so long an id
    assert f"refused station '{cp_id}'" in caplog.text and "throttled" in caplog.text
    stored = await network_repo.get_station(station.id)
    assert stored is not None and not stored.online
    assert await _status_of(csms, cp_id, path="/somewhere/else") == 404


async def test_a_station_offering_no_ocpp_subprotocol_gets_no_session(csms: Csms) -> None:
    """OCPP-J: complete the handshake without Sec-WebSocket-Protocol, then close (before: 400)."""
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    cp_id = station.charge_point_id
    for offered in (["ocpp2.1", "mqtt"], None):
        async with connect(
            f"ws://127.0.0.1:{csms.port}/ocpp/{cp_id}",
            subprotocols=offered,  # type: ignore[arg-type]
            additional_headers=basic_auth(cp_id, STATION_KEY),
        ) as ws:
            assert ws.response is not None and ws.response.status_code == 101
            assert "Sec-WebSocket-Protocol" not in ws.response.headers
            assert ws.subprotocol is None
            await asyncio.wait_for(ws.wait_closed(), 2)
            assert ws.close_code == 1002
            assert (
                ws.close_reason == "no supported OCPP subprotocol offered: use ocpp2.0.1 or ocpp1.6"
            )
    assert csms.server.registry.get(cp_id) is None
    stored = await network_repo.get_station(station.id)
    assert stored is not None and not stored.online and stored.connected_at is None


async def test_a_reconnect_replaces_the_old_connection_cleanly(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    cp_id = station.charge_point_id
    async with (
        connect_charge_point(csms.port, cp_id, "1.6") as old,
        connect_charge_point(csms.port, cp_id, "1.6") as new,
    ):
        await asyncio.wait_for(old.websocket.wait_closed(), 2)
        assert old.websocket.close_code == 1000
        assert old.websocket.close_reason == "replaced by a new connection"
        await asyncio.sleep(0.05)  # let the old connection's handler finish
        stored = await network_repo.get_station(station.id)
        assert stored is not None and stored.online  # the old exit did not mark it offline
        assert (await new.call(call.Heartbeat())).current_time
        result = await csms.commands.send(cp_id, c.Reset())
        assert result.accepted and new.received[-1][0] == "Reset" and old.received == []
    for _ in range(50):
        stored = await network_repo.get_station(station.id)
        if stored is not None and not stored.online:
            break
        await asyncio.sleep(0.02)
    assert stored is not None and not stored.online
    assert csms.server.registry.get(cp_id) is None
