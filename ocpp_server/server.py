"""The OCPP server: ``ws://host:port/ocpp/{chargePointId}``, subprotocols ocpp2.0.1 and ocpp1.6.

- Security profile 1 (HTTP Basic, username = path id) is checked before the upgrade (auth.py).
- A client offering neither subprotocol gets what OCPP-J (1.6 and 2.0.1 Part 4, "Connection")
  asks for: the handshake completes without ``Sec-WebSocket-Protocol`` and the connection is then
  closed at once (1002 Protocol error: the specification names no code).
- Frames over ``max_message_size`` (1 MiB) close the connection with 1009.
- A station reconnecting replaces its old connection: the new one is registered and marked
  online first, then the old one is closed; its exit changes nothing (registry identity, and
  ``Station.node_id`` carries a per-connection token for ``station_disconnected``'s guard).
- Memory per connection is kept small (tests/ocpp_server/measure_connections.py measures it): one
  task per connection (its handler; keepalive pings come from one task for all, keepalive.py),
  the handshake's headers are dropped once it is done, and the handler keeps only the station
  and its websocket (routes per class, services shared: rpc/router.py).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from domain.charging.service import ChargingService
from domain.common import logctx
from domain.common.clientaddr import TrustedProxies
from domain.common.events import EventBus
from domain.common.throttle import LoginThrottle
from domain.diagnostics.station_reports import StationReportLog
from domain.network.service import NetworkService
from domain.security.service import StationSecurity
from ocpp_server.auth import StationAuthenticator
from ocpp_server.context import HandlerContext
from ocpp_server.gateway import OcppGateway
from ocpp_server.keepalive import Keepalive
from ocpp_server.registry import Connection, ConnectionRegistry
from ocpp_server.rpc import fastpath
from ocpp_server.rpc.router import RobustRouting
from ocpp_server.v16 import ChargePoint16
from ocpp_server.v201 import ChargePoint201

STOP_STORE_TIMEOUT = 15.0  # a stop waits this long for MongoDB to take the last writes

log = logging.getLogger(__name__)

SUBPROTOCOLS = {"ocpp2.0.1": "2.0.1", "ocpp1.6": "1.6"}  # preference order
MAX_MESSAGE = 2**20
# Pings every minute (heartbeats already show a station is alive); no pong within a minute closes.
PING_INTERVAL = 60.0
PING_TIMEOUT = 60.0

# ocpp's defaults cost more than the message: a thread-pool hop for schema validation (twice per
# message), an interpreted validator and regex key conversion. Same decisions, cheaper (fastpath).
fastpath.install()


@dataclass
class OcppDependencies:
    network: NetworkService
    charging: ChargingService
    events: EventBus
    reports: StationReportLog | None = None  # by default one publishing to ``events``
    security: StationSecurity | None = None  # security profiles 2/3, keys, certificates


class OcppServer:
    def __init__(
        self,
        deps: OcppDependencies,
        *,
        host: str = "127.0.0.1",
        port: int = 9000,
        node_id: str = "local",
        response_timeout: float = 30.0,
        heartbeat_interval: int = 300,
        auth_failure_limit: int = 5,
        auth_failure_window: float = 300.0,
        trusted_proxies: Iterable[str] = (),
        max_message_size: int = MAX_MESSAGE,
        ping_interval: float = PING_INTERVAL,
        ping_timeout: float = PING_TIMEOUT,
        tls: ssl.SSLContext | None = None,
        tls_port: int | None = None,
    ) -> None:
        self.deps = deps
        self.host = host
        self.port = port  # the bound port once started (0 picks a free one)
        self.node_id = node_id
        self.response_timeout = response_timeout
        self.heartbeat_interval = heartbeat_interval
        self.max_message_size = max_message_size
        self.context = HandlerContext(
            network=deps.network,
            charging=deps.charging,
            reports=deps.reports or StationReportLog(deps.events),
            heartbeat_interval=heartbeat_interval,
            response_timeout=response_timeout,
            security=deps.security,
        )
        self.tls = tls
        self.tls_port = tls_port  # the bound TLS port once started (0 picks a free one)
        self.registry = ConnectionRegistry()
        self.gateway = OcppGateway(self.registry)
        self.authenticator = StationAuthenticator(
            deps.network,
            LoginThrottle(auth_failure_limit, float(auth_failure_window)),
            deps.security,
            TrustedProxies.of(trusted_proxies),
        )
        self._server: Server | None = None
        self._tls_server: Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.keepalive = Keepalive(ping_interval, ping_timeout, self._spawn, on_pong=self._ponged)
        # a pong is reported by websocket; its handler, while the connection lives
        self._handlers: weakref.WeakKeyDictionary[ServerConnection, RobustRouting] = (
            weakref.WeakKeyDictionary()
        )

    async def start(self) -> None:
        self._server = await self._serve(self.port, None)
        if self.tls is not None and self.tls_port is not None:
            self._tls_server = await self._serve(self.tls_port, self.tls)
            self.tls_port = next(iter(self._tls_server.sockets)).getsockname()[1]
            log.info(
                "OCPP server listening on wss://%s:%d/ocpp/{chargePointId} (profiles 2 and 3)",
                self.host,
                self.tls_port,
            )
        self._spawn(self.keepalive.run())
        sockets = list(self._server.sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("OCPP server listening on ws://%s:%d/ocpp/{chargePointId}", self.host, self.port)

    async def _serve(self, port: int, tls: ssl.SSLContext | None) -> Server:
        return await serve(
            self._connection,
            self.host,
            port,
            ssl=tls,
            subprotocols=[Subprotocol(p) for p in SUBPROTOCOLS],
            select_subprotocol=_select_subprotocol,
            process_request=self.authenticator,
            max_size=self.max_message_size,
            close_timeout=5,
            # No permessage-deflate: a zlib context per station costs far more memory than OCPP's
            # small frames save. No keepalive task per connection: self.keepalive pings them all.
            compression=None,
            ping_interval=None,
            ping_timeout=None,
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        for server in (self._server, self._tls_server):
            if server is not None:
                server.close()
        for server in (self._server, self._tls_server):
            if server is not None:
                await server.wait_closed()
        self._server = self._tls_server = None
        for task in list(self._tasks):
            task.cancel()
        try:
            await asyncio.wait_for(self._store_the_rest(), STOP_STORE_TIMEOUT)
        except TimeoutError:
            log.error(
                "stopped without storing the last station writes: MongoDB did not take them "
                "within %.0f s",
                STOP_STORE_TIMEOUT,
            )

    async def _store_the_rest(self) -> None:
        await self.deps.network.drain()  # the disconnects the closing connections submitted
        await self.deps.charging.close()  # the meter writes the closing connections submitted

    async def _connection(self, websocket: ServerConnection) -> None:
        station = self.authenticator.accepted.pop(websocket, None)
        version = SUBPROTOCOLS.get(websocket.subprotocol or "")
        if version is None:
            log.info("refused a connection offering no OCPP subprotocol we speak")
            await websocket.close(1002, NO_SUBPROTOCOL)
            return
        if station is None:
            await websocket.close(1002, "credentials are required")
            return
        level = self.authenticator.levels.pop(websocket, 1)
        _forget_handshake(websocket)
        cp_id = station.charge_point_id
        logctx.bind(station=cp_id)
        handler_cls = ChargePoint16 if version == "1.6" else ChargePoint201
        handler = handler_cls(cp_id, websocket, station, self.context)
        connection = Connection(cp_id, station, websocket, handler, version)
        self._handlers[websocket] = handler
        self.keepalive.add(websocket)
        old = self.registry.replace(connection)
        await self.deps.network.station_connected(
            station, node_id=connection.holder_id(self.node_id)
        )
        log.info("station %s connected (OCPP %s, security profile %d)", cp_id, version, level)
        if self.context.security is not None:
            try:
                await self.context.security.connected(station, level)
            except Exception:
                log.exception("station %s: could not confirm its security profile", cp_id)
        if old is not None:
            log.info("station %s reconnected: closing its previous connection", cp_id)
            self._spawn(old.websocket.close(1000, "replaced by a new connection"))
        try:
            await handler.start()
        except ConnectionClosed as exc:
            log.info("station %s disconnected (%s)", cp_id, exc.rcvd.code if exc.rcvd else "-")
        except Exception:
            log.exception("station %s: connection failed", cp_id)
        finally:
            if self.registry.remove(connection):
                try:
                    await self.deps.network.station_disconnected(
                        station, node_id=connection.holder_id(self.node_id)
                    )
                except Exception:
                    log.exception("station %s: could not record the disconnect", cp_id)

    def _ponged(self, websocket: ServerConnection) -> None:
        handler = self._handlers.get(websocket)
        if handler is not None and handler.seen_due():
            self._spawn(handler.touch())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)


_NO_HEADERS = Headers()
NO_SUBPROTOCOL = "no supported OCPP subprotocol offered: use ocpp2.0.1 or ocpp1.6"


def _select_subprotocol(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """Ours in our order of preference; None answers without the header (no 400: see above)."""
    for ours in SUBPROTOCOLS:
        if ours in offered:
            return Subprotocol(ours)
    return None


def _forget_handshake(websocket: ServerConnection) -> None:
    """The handshake is done and its headers were read (auth.py): keep the request's path only.
    The request object itself stays (websockets' parser holds it for the connection's life, and
    reads ``request`` being set as "the handshake has arrived"); its headers go."""
    if websocket.request is not None:
        websocket.request.headers = _NO_HEADERS
    websocket.response = None
