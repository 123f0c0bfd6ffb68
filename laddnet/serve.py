"""``laddnet serve``: the embedded store (or the configured one), the OCPP server and the HTTP API
in one process, a demo fleet on request, and an orderly stop on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
import signal
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from pydantic import SecretStr

from domain.common.errors import DomainError
from laddnet import endpoints
from laddnet.container import Container, build_container
from laddnet.database import open_database
from laddnet.recovery import abort_abandoned_transactions
from laddnet.settings import Settings

log = logging.getLogger("laddnet")


def tune_garbage_collector() -> None:
    """Everything loaded at start (modules, schema, validators) is moved out of the collector's
    sight, and the young generation is collected every 50,000 allocations rather than 700. With
    many connections' objects alive, collections stalled the event loop: in a quick bench ramp
    (200 stations) MeterValues p99 was 103 ms at 256 msgs/s with p50 1.7 ms; with this (and the
    housekeeping below) the ramp stayed under 100 ms up to its last step, 1,888 msgs/s. (5,000
    instead of 50,000 gave shorter pauses but more of them: 842 msgs/s.)"""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 1000)


async def garbage_housekeeping(freeze_every: float = 60.0, sweep_every: float = 600.0) -> None:
    """Keep long-lived objects (10,000 stations' connections) out of the collector's way.

    At 10,000 connections a full collection walked millions of objects and stopped the event loop
    for 0.5-1.7 s (measured with gc callbacks), several times a minute after a boot storm. Every
    ``freeze_every`` seconds the survivors are frozen (never traversed again); plain garbage is
    still freed by reference counting at once. Garbage in reference cycles among frozen objects
    waits for the sweep: every ``sweep_every`` seconds everything is unfrozen, collected once
    (one pause, ~1 s at 10,000 stations) and frozen again, so memory cannot creep."""
    loop = asyncio.get_running_loop()
    next_sweep = loop.time() + sweep_every
    while True:
        await asyncio.sleep(freeze_every)
        if loop.time() >= next_sweep:
            gc.unfreeze()
            gc.collect()
            next_sweep = loop.time() + sweep_every
        gc.freeze()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: ``serve`` owns Ctrl-C and stops parts in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class PortUnavailable(DomainError):
    code = "PORT_IN_USE"


def _busy(host: str, port: int, exc: OSError, setting: str) -> str:
    reason = exc.strerror or str(exc)
    return (
        f"cannot listen on {host}:{port} ({reason}): is another laddnet serve running? "
        f"Stop it, or choose another port with {setting}"
    )


def bind_socket(host: str, port: int, setting: str) -> socket.socket:
    """A listening socket, or a clear error naming the setting when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise PortUnavailable(_busy(host, port, exc, setting), field=setting) from None


@contextlib.asynccontextmanager
async def running_api(container: Container, host: str, port: int) -> AsyncIterator[int]:
    """The HTTP API (uvicorn in this event loop). Yields the bound port."""
    from api.app import create_app

    app = create_app(container.api_dependencies())
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        # the client address is the app's to judge (LADDNET_TRUSTED_PROXIES): uvicorn would
        # believe X-Forwarded-For from 127.0.0.1 by default
        proxy_headers=False,
        ws="websockets-sansio",
        ws_max_size=1 << 20,
        # Subscription frames are a few hundred bytes: per-message deflate saves little on them
        # and costs a zlib context per connection and ~30 % of the CPU of every delivery.
        ws_per_message_deflate=False,
    )
    server = _Server(config)
    sock = bind_socket(host, port, "LADDNET_API_PORT")
    task = asyncio.create_task(server.serve(sockets=[sock]), name="api")
    while not server.started:
        if task.done():
            task.result()  # raises the reason it could not start
            raise RuntimeError("the HTTP API stopped while starting")
        await asyncio.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield int(bound)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def running_ocpp(container: Container, host: str, port: int) -> AsyncIterator[int]:
    if container.cluster is None:
        # The only OCPP node: any station still marked online was left so by a stopped or
        # crashed run. (In a cluster other live nodes hold stations; a node must not close
        # out theirs, so there this waits for a dead-node sweep.)
        closed = await container.network.reset_connectivity(None)
        if closed:
            log.info("marked %d stations offline that a previous run left online", closed)
    server = container.ocpp_server(host, port)
    try:
        await server.start()
    except OSError as exc:
        raise PortUnavailable(
            _busy(host, port, exc, "LADDNET_OCPP_PORT"), field="LADDNET_OCPP_PORT"
        ) from None
    try:
        yield server.port
    finally:
        await server.stop()


async def serve(
    settings: Settings, *, api: bool = True, ocpp: bool = True, cluster: bool | None = None
) -> int:
    """``cluster`` (default: on for ``--api-only``/``--ocpp-only``, which only make sense beside
    other nodes) relays events and station commands through MongoDB (laddnet.cluster)."""
    if cluster is None:
        cluster = not (api and ocpp)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async with contextlib.AsyncExitStack() as stack:
        localstripe = None
        if settings.demo and settings.stripe_api_base is None:
            from laddnet.localstripe import LocalStripe

            localstripe = stack.enter_context(LocalStripe())
            update: dict[str, object] = {"stripe_api_base": localstripe.api_base}
            if settings.stripe_webhook_secret is None:
                update["stripe_webhook_secret"] = SecretStr("whsec_" + secrets.token_hex(16))
            settings = settings.model_copy(update=update)
        database = await stack.enter_async_context(open_database(settings))
        roles = tuple(r for r, on in (("api", api), ("ocpp", ocpp)) if on)
        container = build_container(settings, database, cluster=cluster, roles=roles)
        if container.cluster is None:
            # The only node, before it starts any transaction itself: one still open was left
            # by a killed run and would block its stations' writes until mongod's lifetime
            # limit (60 s). (In a cluster each node reaps transactions open too long instead.)
            await abort_abandoned_transactions(database.client)
        await stack.enter_async_context(container.background())
        lines = [f"MongoDB        {database.uri} (database {settings.mongodb_database})"]
        if container.cluster is not None:
            lines.append(f"Cluster node   {container.node_id} (events and commands via MongoDB)")
        ocpp_port = api_port = None
        if ocpp:
            ocpp_port = await stack.enter_async_context(
                running_ocpp(container, settings.ocpp_host, settings.ocpp_port)
            )
            lines.append(
                f"OCPP           ws://{settings.ocpp_host}:{ocpp_port}/ocpp/<chargePointId>"
                "  (subprotocols ocpp1.6, ocpp2.0.1; HTTP Basic auth)"
            )
            if container.ocpp is not None and container.ocpp.tls is not None:
                assert container.tls is not None
                lines.append(
                    f"OCPP over TLS  wss://{settings.ocpp_public_host or settings.ocpp_host}:"
                    f"{container.ocpp.tls_port}/ocpp/<chargePointId>  (security profiles 2 and 3;"
                    f" stations trust {container.tls.station_ca_cert})"
                )
        if api:
            api_port = await stack.enter_async_context(
                running_api(container, settings.api_host, settings.api_port)
            )
            base = f"http://{settings.api_host}:{api_port}"
            lines.append(f"Console        {base}/  (the operator console in a browser)")
            lines.append(f"GraphQL        {base}/graphql  (subscriptions: ws://…/graphql)")
            lines.append(f"Health         {base}/healthz")
        if localstripe is not None:
            lines.append(f"Stripe (local) {localstripe.api_base}  (localstripe)")
            if api_port is not None and settings.stripe_webhook_secret is not None:
                localstripe.register_webhook(
                    f"http://127.0.0.1:{api_port}/webhooks/stripe",
                    settings.stripe_webhook_secret.get_secret_value(),
                )
        if settings.demo and ocpp_port is not None:
            from laddnet.demo import run_demo

            demo_lines = await stack.enter_async_context(
                run_demo(container, settings, ocpp_port, fresh_stripe=localstripe is not None)
            )
            lines.extend(demo_lines)
        stack.enter_context(
            endpoints.published(
                settings.data_dir,
                endpoints.Endpoints(
                    pid=os.getpid(),
                    ocpp_url=None
                    if ocpp_port is None
                    else f"ws://{endpoints.reachable_host(settings.ocpp_host)}:{ocpp_port}/ocpp",
                    api_url=None
                    if api_port is None
                    else f"http://{endpoints.reachable_host(settings.api_host)}:{api_port}",
                ),
            )
        )
        print(
            "\nladdnet is running\n  " + "\n  ".join(lines) + "\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        tune_garbage_collector()
        housekeeping = asyncio.create_task(garbage_housekeeping(), name="gc-housekeeping")
        await stop.wait()
        housekeeping.cancel()
        print("\nstopping laddnet…", flush=True)
    return 0
