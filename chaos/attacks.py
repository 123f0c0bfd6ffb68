"""The misbehaving clients: a poison station (schema-valid values no store can keep), huge request
bodies to ``POST /graphql`` and floods of unauthenticated websocket handshakes."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

import httpx
from ocpp.exceptions import OCPPError
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from chaos.station import ENERGY, basic_auth, iso, now_utc

BIG = 2**63  # one past BSON's int64 and OCPP's (unbounded) integer
NAN = float("nan")
FAR = "9999-12-31T23:59:59.999Z"
HUGE = "9" * 200_000


def poison_16(id_tag: str) -> list[Callable[[], Any]]:
    """Schema-valid OCPP 1.6 messages that carry values nobody can store."""
    at = iso(now_utc())

    def sampled(value: str) -> list[dict[str, Any]]:
        return [{"timestamp": at, "sampled_value": [{"value": value, "measurand": ENERGY}]}]

    return [
        lambda: call16.MeterValues(connector_id=BIG, meter_value=sampled("1000")),
        lambda: call16.MeterValues(connector_id=1, transaction_id=BIG, meter_value=sampled("1")),
        lambda: call16.MeterValues(connector_id=1, meter_value=sampled("NaN")),
        lambda: call16.MeterValues(connector_id=1, meter_value=sampled("1e999")),
        lambda: call16.MeterValues(connector_id=1, meter_value=sampled(HUGE)),
        lambda: call16.MeterValues(
            connector_id=1,
            meter_value=[
                {"timestamp": FAR, "sampled_value": [{"value": "5", "measurand": ENERGY}]}
            ],
        ),
        lambda: call16.StatusNotification(
            connector_id=BIG, error_code="NoError", status="Available"
        ),
        lambda: call16.StartTransaction(
            connector_id=BIG, id_tag=id_tag, meter_start=0, timestamp=at
        ),
        lambda: call16.StartTransaction(
            connector_id=1, id_tag=id_tag, meter_start=BIG, timestamp=FAR
        ),
        lambda: call16.StopTransaction(meter_stop=BIG, timestamp=at, transaction_id=BIG),
        lambda: call16.DataTransfer(vendor_id="chaos", data=HUGE),
    ]


def poison_201(id_tag: str) -> list[Callable[[], Any]]:
    """Schema-valid OCPP 2.0.1 messages: numbers where NaN and 2**63 are allowed."""
    at = iso(now_utc())

    def meter(value: float) -> list[dict[str, Any]]:
        return [
            {
                "timestamp": at,
                "sampled_value": [
                    {"value": value, "measurand": ENERGY, "unit_of_measure": {"unit": "Wh"}}
                ],
            }
        ]

    tx = os.urandom(18).hex()
    return [
        lambda: call201.TransactionEvent(
            event_type="Started",
            timestamp=at,
            trigger_reason="Authorized",
            seq_no=BIG,
            transaction_info={"transaction_id": tx},
            id_token={"id_token": id_tag, "type": "ISO14443"},
            evse={"id": BIG, "connector_id": BIG},
            meter_value=meter(NAN),
        ),
        lambda: call201.TransactionEvent(
            event_type="Updated",
            timestamp=FAR,
            trigger_reason="MeterValuePeriodic",
            seq_no=1,
            transaction_info={"transaction_id": tx},
            evse={"id": 1, "connector_id": 1},
            meter_value=meter(float("inf")),
        ),
        lambda: call201.MeterValues(evse_id=BIG, meter_value=meter(NAN)),
        lambda: call201.MeterValues(evse_id=1, meter_value=meter(1e308 * 10)),
        lambda: call201.StatusNotification(
            timestamp=at, connector_status="Available", evse_id=BIG, connector_id=BIG
        ),
        lambda: call201.TransactionEvent(
            event_type="Ended",
            timestamp=at,
            trigger_reason="StopAuthorized",
            seq_no=BIG,
            transaction_info={"transaction_id": tx, "stopped_reason": "Local"},
            meter_value=meter(NAN),
        ),
        lambda: call201.DataTransfer(vendor_id="chaos", data=HUGE),
    ]


async def run_poison_station(
    port: int, cp_id: str, version: str, password: str, id_tag: str, seconds: float
) -> collections.Counter[str]:
    """Send the poison again and again for ``seconds`` (reconnecting when thrown out); what it
    was answered, by message kind."""
    outcomes: collections.Counter[str] = collections.Counter()
    deadline = time.monotonic() + seconds
    make = poison_16 if version == "1.6" else poison_201
    while time.monotonic() < deadline:
        try:
            async with connect(
                f"ws://127.0.0.1:{port}/ocpp/{cp_id}",
                subprotocols=[f"ocpp{version}"],  # type: ignore[list-item]
                additional_headers=basic_auth(cp_id, password),
                open_timeout=10,
                close_timeout=1,
                max_size=None,
            ) as ws:
                cls = ChargePoint16 if version == "1.6" else ChargePoint201
                cp = cls(cp_id, ws, response_timeout=10)
                receiver = asyncio.create_task(cp.start())
                try:
                    boot = (
                        call16.BootNotification(charge_point_vendor="Chaos", charge_point_model="P")
                        if version == "1.6"
                        else call201.BootNotification(
                            charging_station={"model": "P", "vendor_name": "Chaos"},
                            reason="PowerUp",
                        )
                    )
                    await cp.call(boot, suppress=False)
                    while time.monotonic() < deadline:
                        for build in make(id_tag):
                            payload = build()
                            name = type(payload).__name__
                            try:
                                await cp.call(payload, suppress=False, skip_schema_validation=True)
                                outcomes[f"{name} answered"] += 1
                            except OCPPError as exc:
                                outcomes[f"{name} CALLERROR {exc.code}"] += 1
                            except TimeoutError:
                                outcomes[f"{name} timeout"] += 1
                            if time.monotonic() >= deadline:
                                break
                        await asyncio.sleep(0.2)
                finally:
                    receiver.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await receiver
        except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, OCPPError) as exc:
            outcomes[f"connection {type(exc).__name__}"] += 1
            await asyncio.sleep(0.5)
    return outcomes


async def huge_bodies(api_base: str, megabytes: int, count: int) -> list[str]:
    """``count`` concurrent unauthenticated POST /graphql of ``megabytes`` MB each: the status
    and seconds each took ("error" when the connection failed)."""
    body = b'{"query": "' + b"a" * (megabytes * 1_000_000) + b'"}'

    async def one(client: httpx.AsyncClient) -> str:
        started = time.monotonic()
        try:
            response = await client.post(
                "/graphql", content=body, headers={"Content-Type": "application/json"}
            )
            status = str(response.status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        return f"{status} in {time.monotonic() - started:.1f}s"

    async with httpx.AsyncClient(base_url=api_base, timeout=120) as client:
        return list(await asyncio.gather(*(one(client) for _ in range(count))))


async def handshake_flood(
    port: int, total: int, concurrency: int, real_ids: list[str]
) -> collections.Counter[str]:
    """``total`` websocket handshakes, ``concurrency`` at a time: most for unknown ids without
    credentials, one in four naming a real station with a wrong password (as an attacker who
    knows the ids would). Counts of the HTTP status each got."""
    results: collections.Counter[str] = collections.Counter()
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            if real_ids and i % 4 == 0:
                cp_id = real_ids[i // 4 % len(real_ids)]
                wrong = base64.b64encode(f"{cp_id}:wrong-password-{i:08d}".encode()).decode()
                auth = f"Authorization: Basic {wrong}\r\n"
            else:
                cp_id, auth = f"FLOOD-{i:06d}", ""
            key = base64.b64encode(os.urandom(16)).decode()
            request = (
                f"GET /ocpp/{cp_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: ocpp1.6\r\n{auth}\r\n"
            )
            writer = None
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), 10
                )
                writer.write(request.encode())
                await writer.drain()
                line = await asyncio.wait_for(reader.readline(), 10)
                parts = line.decode(errors="replace").split()
                results[parts[1] if len(parts) > 1 else "closed"] += 1
            except (OSError, TimeoutError) as exc:
                results[type(exc).__name__] += 1
            finally:
                if writer is not None:
                    writer.close()

    await asyncio.gather(*(one(i) for i in range(total)))
    return results
