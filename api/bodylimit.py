"""A request-body limit for every HTTP endpoint, enforced before the application reads a byte.

An announced ``Content-Length`` over the limit is answered 413 at once, without reading the body;
a streamed (chunked) body is read only until it passes the limit, then answered 413. Within the
limit the body is buffered here and handed to the application whole: every endpoint reads its
whole body anyway (GraphQL, webhooks), so this costs no extra memory, and no endpoint can be made
to read more than the limit. Websockets are bounded by their frame size (uvicorn's ``ws_max_size``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"


class BodyLimit:
    """ASGI middleware: at most ``limit`` bytes of request body; ``per_path`` maps a path prefix
    to its own limit (the longest matching prefix wins)."""

    def __init__(self, app: ASGIApp, *, limit: int, per_path: Mapping[str, int] | None = None):
        self.app = app
        self.limit = limit
        self.per_path = sorted((per_path or {}).items(), key=lambda kv: -len(kv[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.per_path:
            if path.startswith(prefix):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared == -1:
            await _refuse(send, 400, "BAD_REQUEST", "the Content-Length header is not a number")
            return
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        disconnected: Message | None = None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                disconnected = message  # the client went away: the application learns it below
                break
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await _too_large(send, limit)
                return
            if body:
                chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if disconnected is not None:
                    return disconnected
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: only http.disconnect comes

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    """The announced length; None when absent; -1 when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
            return length if length >= 0 else -1
    return None


async def _too_large(send: Send, limit: int) -> None:
    await _refuse(
        send,
        413,
        PAYLOAD_TOO_LARGE,
        f"the request body is larger than this server accepts ({limit} bytes)",
        maxBytes=limit,
    )


async def _refuse(send: Send, status: int, code: str, message: str, **extensions: Any) -> None:
    """A GraphQL-shaped error body (any client of this API can read it) and ``Connection: close``:
    the unread rest of the body is not worth reading."""
    body = json.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
