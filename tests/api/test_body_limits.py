"""Request bodies are bounded before they are read, and a large GraphQL document does not hold the
event loop the charge points share. Attacked from outside: raw HTTP over a socket."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import time
from collections.abc import AsyncIterator

import pytest

from api.app import ApiLimits
from tests.api.conftest import Api, start_api

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
async def small(database: object) -> AsyncIterator[Api]:
    async with start_api(limits=ApiLimits(max_body_bytes=LIMIT)) as running:
        yield running


async def _raw(
    base: str, head: str, chunks: list[bytes] | None = None, within: float = 5.0
) -> bytes:
    """Send ``head`` and then ``chunks`` (stopping once an answer arrives or the server hangs up),
    as a client reading while it writes; return what the server answered within ``within`` s."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    answer = bytearray()

    async def read() -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                answer.extend(data)

    reading = asyncio.create_task(read())
    try:
        writer.write(head.encode())
        for chunk in chunks or []:
            if answer or reading.done():
                break
            try:
                writer.write(chunk)
                await writer.drain()
            except ConnectionError:
                break
            await asyncio.sleep(0.001)
        await asyncio.wait_for(reading, within)
        return bytes(answer)
    finally:
        reading.cancel()
        writer.close()


def _status_and_body(response: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else {}


async def test_an_announced_body_over_the_limit_is_refused_before_it_is_sent(small: Api) -> None:
    # 40 MB announced, not one byte sent: the answer must come without waiting for the body
    head = (
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {40_000_000}\r\n\r\n"
    )
    started = time.monotonic()
    status, body = _status_and_body(await _raw(small.base, head, within=3))
    assert status == 413
    assert time.monotonic() - started < 2
    error = body["errors"][0]  # type: ignore[index]
    assert error["extensions"] == {"code": "PAYLOAD_TOO_LARGE", "maxBytes": LIMIT}
    assert "larger than this server accepts" in error["message"]


async def test_a_streamed_body_is_cut_off_at_the_limit(small: Api) -> None:
    head = (
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 16_384
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    # 4 MB offered in 16 KiB chunks; the server answers once 64 KiB have passed and hangs up
    status, body = _status_and_body(await _raw(small.base, head, [chunk] * 256))
    assert status == 413
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"  # type: ignore[index]


@pytest.mark.parametrize("path", ["/graphql", "/webhooks/stripe", "/healthz", "/reports/usage.csv"])
async def test_every_http_endpoint_has_the_limit(small: Api, path: str) -> None:
    response = await small.http.request(
        "POST" if path in ("/graphql", "/webhooks/stripe") else "GET",
        path,
        content=b"{" + b" " * LIMIT + b"}",
    )
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_body_within_the_limit_is_served(small: Api) -> None:
    query = "query { sites { id } }" + " " * (LIMIT - 200)
    response = await small.http.post("/graphql", json={"query": query})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_bad_content_length_is_a_400(small: Api) -> None:
    head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n"
    answer = await _raw(small.base, head)
    assert answer.startswith(b"HTTP/1.1 400 ")


async def test_the_default_limit_is_one_mebibyte(api: Api) -> None:
    assert ApiLimits().max_body_bytes == 1 << 20
    too_big = await api.http.post("/graphql", content=b" " * ((1 << 20) + 1))
    assert too_big.status_code == 413


async def _worst_gap(stop: asyncio.Event) -> float:
    """The longest the event loop went without running this task (asked every 2 ms)."""
    worst = 0.0
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.002)
        now = time.perf_counter()
        worst = max(worst, now - last)
        last = now
    return worst


LONG_STRING = '{ sites(x: "' + "a" * 3_500_000 + '") { id } }'
MANY_ERRORS = "#" + "a" * 900_000 + "\n{ " + " ".join(f"f{i}" for i in range(150)) + " }"


@pytest.mark.parametrize("document", [LONG_STRING, MANY_ERRORS], ids=["long-string", "many-errors"])
async def test_a_large_document_does_not_hold_the_event_loop(
    database: object, document: str
) -> None:
    # graphql-core's lexer takes about a second over 3.5 MB; each error found in a large document
    # costs a scan of all of it. The server runs in this event loop, as the OCPP server does in
    # `laddnet serve`.
    body = json.dumps({"query": document}).encode()
    # as `laddnet serve` does (tune_garbage_collector): what is alive now is out of the collector's
    # sight, so a full collection over this test run's heap is not what gets measured
    gc.collect()
    gc.freeze()
    try:
        async with start_api(limits=ApiLimits(max_body_bytes=4 << 20)) as big:
            stop = asyncio.Event()
            watcher = asyncio.create_task(_worst_gap(stop))
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            response = await big.http.post(
                "/graphql", content=body, headers={"content-type": "application/json"}, timeout=60
            )
            took = time.perf_counter() - started
            stop.set()
            worst = await watcher
    finally:
        gc.unfreeze()
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert "Query" in errors[0]["message"], errors[:2]  # parsed, then found invalid
    assert took > 0.5, "the document was not worth measuring"
    assert worst < 0.3, f"the event loop stood still for {worst * 1000:.0f} ms"
