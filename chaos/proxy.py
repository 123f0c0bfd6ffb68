"""An HTTP proxy in front of localstripe that can stall, and that keeps Stripe's idempotency promise.

While stalled it still accepts connections and reads requests, but forwards nothing and answers
nothing, so every call hangs the way it does when a provider stops answering (no refusal, no reset:
the client learns only from its own timeout). Requests held during the stall reach the provider when
it comes back, as delayed packets do.

Stripe answers a request carrying an ``Idempotency-Key`` it has seen before with the first answer
(and never performs it twice); localstripe ignores the header. Without this, a client's correct retry
of a request that did reach the provider would create a second charge in localstripe that Stripe
would never create, and the suite would blame laddnet for it. So the proxy replays the first
answer for a repeated key, and a second request with a key still in flight waits for the first.
"""

from __future__ import annotations

import asyncio
import contextlib


class _Closed(Exception):
    pass


async def _read_message(reader: asyncio.StreamReader) -> tuple[bytes, dict[str, str]]:
    """One HTTP/1.1 message (head and Content-Length or chunked body) as raw bytes."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError) as exc:
        raise _Closed from exc
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = b""
    try:
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                chunks.append(size_line + chunk)
                if size == 0:
                    break
            body = b"".join(chunks)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError) as exc:
        raise _Closed from exc
    return head + body, headers


class StallingProxy:
    def __init__(self, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.target_port = target_port
        self.port = 0
        self._open = asyncio.Event()
        self._open.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._answers: dict[str, bytes] = {}  # idempotency key -> first answer
        self._in_flight: dict[str, asyncio.Future[bytes]] = {}
        self.requests = 0
        self.replayed = 0  # repeated idempotency keys answered from the first answer
        self.held = 0  # requests that arrived while stalled

    @property
    def stalled(self) -> bool:
        return not self._open.is_set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    def stall(self) -> None:
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    async def stop(self) -> None:
        self._open.set()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _forward(
        self, upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None, request: bytes
    ) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], bytes]:
        """The provider's answer, on the kept-alive upstream connection or a new one (once more on
        a new one when the provider had closed the idle kept-alive connection)."""
        for attempt in range(2):
            fresh = upstream is None
            if upstream is None:
                upstream = await asyncio.open_connection(self.host, self.target_port)
                self._writers.add(upstream[1])
            try:
                upstream[1].write(request)
                await upstream[1].drain()
                answer, _ = await _read_message(upstream[0])
                return upstream, answer
            except (_Closed, OSError, ConnectionError):
                self._writers.discard(upstream[1])
                upstream[1].close()
                upstream = None
                if fresh or attempt:
                    raise
        raise _Closed

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                request, headers = await _read_message(reader)
                self.requests += 1
                if self.stalled:
                    self.held += 1
                await self._open.wait()
                key = headers.get("idempotency-key")
                if key and key in self._answers:
                    self.replayed += 1
                    answer = self._answers[key]
                elif key and key in self._in_flight:
                    self.replayed += 1
                    answer = await asyncio.shield(self._in_flight[key])
                else:
                    future: asyncio.Future[bytes] | None = None
                    if key:
                        future = self._in_flight[key] = asyncio.get_running_loop().create_future()
                    try:
                        upstream, answer = await self._forward(upstream, request)
                    except BaseException as exc:
                        if future is not None:
                            del self._in_flight[key]  # type: ignore[arg-type]
                            future.set_exception(_Closed())
                            future.exception()  # retrieved: nobody else may wait for it
                        raise _Closed from exc
                    if key and future is not None:
                        self._answers[key] = answer
                        del self._in_flight[key]
                        future.set_result(answer)
                await self._open.wait()  # a stalled provider does not answer either
                writer.write(answer)
                await writer.drain()
        except (_Closed, OSError, ConnectionError):
            pass
        finally:
            for w in (writer, upstream[1] if upstream else None):
                if w is not None:
                    self._writers.discard(w)
                    w.close()
