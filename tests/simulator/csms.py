"""A minimal central system for the simulator tests, built on the ``ocpp`` library's CSMS side.

It checks Basic auth before the upgrade, negotiates ocpp1.6 / ocpp2.0.1, answers what stations
send, and records every message as (action, snake_case payload) per charge point.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call_result as r16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call_result as r201
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

ACCEPTED_TAGS = {"SIMTAG0001", "TAG-OK"}


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Recorder:
    received: list[tuple[str, dict[str, Any]]]
    boots: int
    csms: TestCsms

    def record(self, action: str, payload: dict[str, Any]) -> None:
        self.received.append((action, payload))

    def of(self, action: str) -> list[dict[str, Any]]:
        return [p for a, p in self.received if a == action]

    def boot_answer(self) -> tuple[str, int]:
        self.boots += 1
        if self.boots <= self.csms.pending_boots:
            return "Pending", 1
        return "Accepted", self.csms.heartbeat_interval


class Central16(Recorder, Cp16):
    def __init__(self, cp_id: str, ws: Any, csms: TestCsms) -> None:
        super().__init__(cp_id, ws, response_timeout=5)
        self.received, self.boots, self.csms = [], 0, csms
        self._tx = itertools.count(100)

    @on("BootNotification")
    def on_boot(self, **kw: Any) -> Any:
        self.record("BootNotification", kw)
        status, interval = self.boot_answer()
        return r16.BootNotification(current_time=now(), interval=interval, status=status)

    @on("Heartbeat")
    def on_heartbeat(self, **kw: Any) -> Any:
        self.record("Heartbeat", kw)
        return r16.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, **kw: Any) -> Any:
        self.record("StatusNotification", kw)
        return r16.StatusNotification()

    @on("Authorize")
    def on_authorize(self, id_tag: str, **kw: Any) -> Any:
        self.record("Authorize", {"id_tag": id_tag})
        ok = "Accepted" if id_tag in ACCEPTED_TAGS else "Invalid"
        return r16.Authorize(id_tag_info={"status": ok})

    @on("StartTransaction")
    def on_start(self, **kw: Any) -> Any:
        tx = next(self._tx)
        self.record("StartTransaction", {**kw, "transaction_id": tx})
        ok = "Accepted" if kw["id_tag"] in ACCEPTED_TAGS else "Invalid"
        return r16.StartTransaction(transaction_id=tx, id_tag_info={"status": ok})

    @on("MeterValues")
    def on_meter(self, **kw: Any) -> Any:
        self.record("MeterValues", kw)
        return r16.MeterValues()

    @on("StopTransaction")
    def on_stop(self, **kw: Any) -> Any:
        self.record("StopTransaction", kw)
        return r16.StopTransaction(id_tag_info={"status": "Accepted"})

    @on("DiagnosticsStatusNotification")
    def on_diag(self, **kw: Any) -> Any:
        self.record("DiagnosticsStatusNotification", kw)
        return r16.DiagnosticsStatusNotification()

    @on("FirmwareStatusNotification")
    def on_firmware(self, **kw: Any) -> Any:
        self.record("FirmwareStatusNotification", kw)
        return r16.FirmwareStatusNotification()


class Central201(Recorder, Cp201):
    def __init__(self, cp_id: str, ws: Any, csms: TestCsms) -> None:
        super().__init__(cp_id, ws, response_timeout=5)
        self.received, self.boots, self.csms = [], 0, csms

    @on("BootNotification")
    def on_boot(self, **kw: Any) -> Any:
        self.record("BootNotification", kw)
        status, interval = self.boot_answer()
        return r201.BootNotification(current_time=now(), interval=interval, status=status)

    @on("Heartbeat")
    def on_heartbeat(self, **kw: Any) -> Any:
        self.record("Heartbeat", kw)
        return r201.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, **kw: Any) -> Any:
        self.record("StatusNotification", kw)
        return r201.StatusNotification()

    @on("Authorize")
    def on_authorize(self, id_token: dict[str, Any], **kw: Any) -> Any:
        self.record("Authorize", {"id_token": id_token})
        ok = "Accepted" if id_token["id_token"] in ACCEPTED_TAGS else "Invalid"
        return r201.Authorize(id_token_info={"status": ok})

    @on("TransactionEvent")
    def on_transaction(self, **kw: Any) -> Any:
        self.record("TransactionEvent", kw)
        token = kw.get("id_token")
        if token is None:
            return r201.TransactionEvent()
        ok = "Accepted" if token["id_token"] in ACCEPTED_TAGS else "Invalid"
        return r201.TransactionEvent(id_token_info={"status": ok})

    @on("MeterValues")
    def on_meter(self, **kw: Any) -> Any:
        self.record("MeterValues", kw)
        return r201.MeterValues()

    @on("LogStatusNotification")
    def on_log_status(self, **kw: Any) -> Any:
        self.record("LogStatusNotification", kw)
        return r201.LogStatusNotification()

    @on("FirmwareStatusNotification")
    def on_firmware(self, **kw: Any) -> Any:
        self.record("FirmwareStatusNotification", kw)
        return r201.FirmwareStatusNotification()

    @on("NotifyEvent")
    def on_notify_event(self, **kw: Any) -> Any:
        self.record("NotifyEvent", kw)
        return r201.NotifyEvent()

    @on("NotifyReport")
    def on_notify_report(self, **kw: Any) -> Any:
        self.record("NotifyReport", kw)
        return r201.NotifyReport()


class TestCsms:
    """``async with TestCsms(password) as csms:`` then point a Fleet at ``csms.url``."""

    __test__ = False  # not a pytest test class

    def __init__(
        self, password: str, *, pending_boots: int = 0, heartbeat_interval: int = 60
    ) -> None:
        self.password = password
        self.pending_boots = pending_boots
        self.heartbeat_interval = heartbeat_interval
        self.cps: dict[str, Central16 | Central201] = {}
        self.connections = 0
        self.refused = 0
        self._server: Any = None

    @property
    def url(self) -> str:
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/ocpp"

    async def __aenter__(self) -> TestCsms:
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            subprotocols=["ocpp1.6", "ocpp2.0.1"],  # type: ignore[list-item]
            process_request=self._auth,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    def _auth(self, connection: ServerConnection, request: Request) -> Response | None:
        cp_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        expected = base64.b64encode(f"{cp_id}:{self.password}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            self.refused += 1
            return connection.respond(HTTPStatus.UNAUTHORIZED, "bad credentials\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        cp_id = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        cls = Central16 if ws.subprotocol == "ocpp1.6" else Central201
        previous = self.cps.get(cp_id)
        cp = cls(cp_id, ws, self)
        if previous is not None:  # a reconnect keeps the history
            cp.received, cp.boots = previous.received, previous.boots
        self.cps[cp_id] = cp
        self.connections += 1
        with contextlib.suppress(ConnectionClosed):
            await cp.start()

    async def wait_for(
        self, predicate: Callable[[], Any], limit_s: float = 5.0, what: str = "condition"
    ) -> Any:
        """Poll until ``predicate()`` is truthy; return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)
