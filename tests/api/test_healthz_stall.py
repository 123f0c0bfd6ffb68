"""/healthz while MongoDB is stalled: a TCP proxy between laddnet's health check and the test run's
mongod stops forwarding (as a hung or SIGSTOPped server does: connected, silent)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import urlparse

from pymongo import AsyncMongoClient

from api.app import ApiLimits
from laddnet.database import mongo_health
from tests.api.conftest import start_api


class StallingProxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.server: asyncio.Server | None = None

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                await self.flowing.wait()  # stalled: bytes stay here, nobody answers
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def __aexit__(self, *exc: object) -> None:
        self.flowing.set()
        assert self.server is not None
        self.server.close()


async def test_healthz_answers_503_quickly_while_mongodb_is_stalled(mongodb_uri: str) -> None:
    target = urlparse(mongodb_uri)
    proxy = StallingProxy(target.hostname or "127.0.0.1", target.port or 27017)
    async with proxy as port:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            f"mongodb://127.0.0.1:{port}/?directConnection=true"
        )

        async def health() -> dict[str, str]:
            return await mongo_health(client["health"])

        try:
            async with start_api(health_check=health, limits=ApiLimits(health_timeout=1.0)) as api:
                ok = await api.http.get("/healthz")
                assert (ok.status_code, ok.json()) == (200, {"status": "ok", "mongodb": "ok"})
                proxy.flowing.clear()
                started = time.monotonic()
                stalled = await asyncio.wait_for(api.http.get("/healthz", timeout=10), 5)
                assert time.monotonic() - started < 3
                assert stalled.status_code == 503
                assert stalled.json() == {"status": "error", "mongodb": "no answer within 1.0 s"}
                proxy.flowing.set()
                for _ in range(50):  # back once MongoDB answers again
                    again = await api.http.get("/healthz")
                    if again.status_code == 200:
                        break
                    await asyncio.sleep(0.1)
                assert again.status_code == 200
        finally:
            await client.close()
