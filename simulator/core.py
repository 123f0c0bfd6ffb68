"""One simulated charge point's state and connection lifecycle: boot, heartbeat, meter values.

The version-specific wire format lives in ``v16.py`` / ``v201.py`` (a *link*: the ``ocpp``
library's ChargePoint for that version, bound to one websocket). The station keeps the state
that outlives a connection (connectors, sessions, configuration) and talks to whichever link is
current. Commands from the CSMS are decided synchronously in ``commands.py`` and any follow-up
messages run as tasks after the CALLRESULT has gone out: never inside an ``@on`` handler.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from simulator.commands import StationCommands
from simulator.config import SimStationConfig
from simulator.errors import (
    NotConnected,
    SimulatorError,
    UnknownConnector,
)
from simulator.model import ConnectorModel, MeterSample
from simulator.profiles import ProfileStore
from simulator.stats import FleetStats
from simulator.variables import DeviceConfig, default_variables

if TYPE_CHECKING:
    from simulator.link import Link
    from simulator.station import SimStation

log = logging.getLogger("simulator")

VERSIONS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
DEFAULT_HEARTBEAT_S = 300.0
BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 30.0
REBOOT_DELAY_S = 0.05


class StationCore:
    def __init__(
        self,
        config: SimStationConfig,
        url: str,
        ocpp_version: str,
        *,
        meter_interval: float = 10.0,
        heartbeat_interval: float | None = None,
        stats: FleetStats | None = None,
        seed: int = 0,
        validate: bool = True,
        step_delay: float = 0.5,
        response_timeout: float = 15.0,
    ) -> None:
        if ocpp_version not in VERSIONS:
            raise ValueError(f"unsupported OCPP version {ocpp_version!r} (1.6 or 2.0.1)")
        if meter_interval <= 0:
            raise ValueError("meter_interval must be positive")
        if heartbeat_interval is not None and heartbeat_interval <= 0:
            raise ValueError("heartbeat_interval must be positive")
        self.config: SimStationConfig = config
        self.id: str = config.charge_point_id
        self.ocpp_version = ocpp_version
        self.url = url.rstrip("/") + "/" + config.charge_point_id
        self.meter_interval: float = meter_interval
        self.heartbeat_interval: float = heartbeat_interval or DEFAULT_HEARTBEAT_S
        self._heartbeat_override: float | None = heartbeat_interval
        self.stats: FleetStats = stats if stats is not None else FleetStats()
        self.rng: random.Random = random.Random(seed)
        self.validate: bool = validate
        self.step_delay: float = step_delay
        self.response_timeout: float = response_timeout
        tau = max(0.5, 3.0 * meter_interval)
        self.connectors: dict[int, ConnectorModel] = {
            i: ConnectorModel(i, config.dc, float(config.max_power_w), tau)
            for i in range(1, config.connectors + 1)
        }
        self.profiles: ProfileStore = ProfileStore()
        self.device: DeviceConfig = DeviceConfig(
            default_variables(self.id, config.connectors, self.heartbeat_interval, meter_interval),
            self._on_config_change,
        )
        self.firmware_version: str = config.firmware_version
        self.upload_status: str = "Idle"
        self.upload_request_id: int | None = None
        self.firmware_status: str = "Idle"
        self.firmware_request_id: int | None = None
        self.registration = "None"  # last BootNotification answer
        self.connected: bool = False
        self.booted: bool = False
        self.seq_no: int = 0  # 2.0.1 TransactionEvent sequence, kept across reconnects
        self._link: Link | None = None
        self._ws: ClientConnection | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._reboot = False
        self._boot_reason = "PowerUp"
        self.reset_when_idle: bool = False
        self._booted_event = asyncio.Event()
        self.commands = StationCommands(cast("SimStation", self))

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        """Connect, boot and serve until ``stop()``; reconnect with jittered exponential backoff."""
        backoff = BACKOFF_MIN_S
        auth = base64.b64encode(f"{self.id}:{self.config.password}".encode()).decode()
        while not self._stopping:
            try:
                async with connect(
                    self.url,
                    subprotocols=[Subprotocol(VERSIONS[self.ocpp_version])],
                    additional_headers={"Authorization": f"Basic {auth}"},
                    open_timeout=10,
                    max_size=2**20,
                    compression=None,
                ) as ws:
                    backoff = BACKOFF_MIN_S
                    await self._serve(ws)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failed connect or dropped link: retry like a station
                if not self._stopping:
                    self.stats.errors += 1
                    if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 429):
                        self.stats.refused += 1
                    log.warning("%s: connection failed: %s", self.id, exc or type(exc).__name__)
            finally:
                self._set_disconnected()
            if self._stopping:
                break
            if self._reboot:
                self._reboot = False
                await asyncio.sleep(REBOOT_DELAY_S)
                continue
            self.stats.reconnects += 1
            await asyncio.sleep(backoff * (0.5 + self.rng.random()))
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    async def stop(self) -> None:
        """Power off: close the connection and end background work (sessions stay open in the CSMS
        unless ended first with ``stop_session``)."""
        self._stopping = True
        if self._ws is not None:
            await self._ws.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def settle(self) -> None:
        """Until follow-up work in flight (session starts, uploads …) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def wait_booted(self) -> None:
        """Until connected and booted (wrap in ``asyncio.timeout``)."""
        await self._booted_event.wait()

    async def _serve(self, ws: ClientConnection) -> None:
        expected = VERSIONS[self.ocpp_version]
        if ws.subprotocol != expected:
            raise ConnectionError(f"CSMS did not accept subprotocol {expected}")
        link = self._make_link(ws)
        self._ws, self._link, self.connected = ws, link, True
        log.info("%s: connected (OCPP %s)", self.id, self.ocpp_version)
        reader = asyncio.create_task(link.start())
        life = asyncio.create_task(self._lifecycle(link))
        try:
            done, _ = await asyncio.wait({reader, life}, return_when=asyncio.FIRST_COMPLETED)
            if life in done and not life.cancelled() and life.exception() is not None:
                raise life.exception()  # type: ignore[misc]
        finally:
            for task in (reader, life):
                task.cancel()
            await asyncio.gather(reader, life, return_exceptions=True)

    def _make_link(self, ws: ClientConnection) -> Link:
        if self.ocpp_version == "1.6":
            from simulator.v16 import V16Link

            return V16Link(cast("SimStation", self), ws)
        from simulator.v201 import V201Link

        return V201Link(cast("SimStation", self), ws)

    def _set_disconnected(self) -> None:
        if self.connected:
            log.info("%s: disconnected", self.id)
        self.connected = self.booted = False
        self._booted_event.clear()
        self._link = self._ws = None

    async def _lifecycle(self, link: Link) -> None:
        await self._boot(link)
        await link.report_all_status()
        await self._tick_loop(link)

    async def _boot(self, link: Link) -> None:
        backoff = BACKOFF_MIN_S
        while True:
            try:
                status, interval = await link.boot(self._boot_reason)
            except SimulatorError as exc:
                log.warning("%s: BootNotification failed: %s", self.id, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            self.registration = status
            if status == "Accepted":
                self.heartbeat_interval = (
                    self._heartbeat_override or interval or DEFAULT_HEARTBEAT_S
                )
                self.device.get("HeartbeatInterval").value = str(max(1, round(interval or 300)))  # type: ignore[union-attr]
                self.booted = True
                self.stats.boots += 1
                self._boot_reason = "PowerUp"
                self._booted_event.set()
                log.info("%s: booted, heartbeat every %ss", self.id, self.heartbeat_interval)
                return
            retry = interval if interval > 0 else 10
            log.info("%s: boot %s, retrying in %ss", self.id, status, retry)
            await asyncio.sleep(retry)

    async def _tick_loop(self, link: Link) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        next_meter = now + self.rng.uniform(0.0, self.meter_interval)
        next_beat = now + self.heartbeat_interval
        while True:
            now = loop.time()
            if now >= next_meter:
                next_meter = max(next_meter + self.meter_interval, now + self.meter_interval / 2)
                await self._meter_tick(link)
            if now >= next_beat:
                next_beat = now + self.heartbeat_interval
                await self._quietly(link.heartbeat(), "Heartbeat")
            await asyncio.sleep(max(0.0, min(next_meter, next_beat) - loop.time()))

    async def _meter_tick(self, link: Link) -> None:
        for conn in self.connectors.values():
            sample = self.sample(conn)
            if conn.temperature_warning_changed():
                await self._quietly(link.temperature_warning(conn), "temperature warning")
            if conn.session is None or conn.status not in ("Charging", "SuspendedEV"):
                continue
            settled = "SuspendedEV" if sample.power_w <= 0 else "Charging"
            if settled != conn.status:
                conn.status = settled
                await self._quietly(link.status_notification(conn), "StatusNotification")
            await self._quietly(link.meter_values(conn, sample), "MeterValues")

    async def _quietly(self, coro: Coroutine[Any, Any, Any], what: str) -> None:
        """Periodic traffic: a failed call is counted (by the link) and logged, not fatal."""
        try:
            await coro
        except SimulatorError as exc:
            log.warning("%s: %s failed: %s", self.id, what, exc)

    def sample(self, conn: ConnectorModel) -> MeterSample:
        conn.limit_w = self.profiles.limit_w(conn.connector_id)
        return conn.advance(asyncio.get_running_loop().time(), datetime.now(UTC), self.rng)

    async def _step(self) -> None:
        """The time one step of an upload or firmware update takes."""
        await asyncio.sleep(self.step_delay)

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run follow-up work (after a CALLRESULT, or for auto-charge) and log its failure."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            exc = t.exception()
            if isinstance(exc, SimulatorError | ConnectionClosed):
                log.warning("%s: %s failed: %s", self.id, what, exc)
            elif exc is not None:
                self.stats.errors += 1
                log.error("%s: %s crashed", self.id, what, exc_info=exc)

        task.add_done_callback(done)
        return task

    @property
    def link(self) -> Link:
        if self._link is None or not self.booted:
            raise NotConnected(f"{self.id} is not connected and booted")
        return self._link

    def connector(self, connector_id: int) -> ConnectorModel:
        try:
            return self.connectors[connector_id]
        except KeyError:
            raise UnknownConnector(
                f"{self.id} has connectors 1..{len(self.connectors)}, not {connector_id!r}"
            ) from None

    @property
    def charging_count(self) -> int:
        return sum(1 for c in self.connectors.values() if c.session is not None)

    def _on_config_change(self, key: str, value: str) -> None:
        if key == "HeartbeatInterval":
            self.heartbeat_interval = float(value)
        elif key == "MeterValueSampleInterval":
            self.meter_interval = float(value)
