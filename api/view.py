"""The strawberry ASGI view: builds the typed context, authenticates websockets, and runs
subscriptions that asked for the same selection as one shared execution (api/shared_subscriptions)."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage
from strawberry.types.unset import UNSET, UnsetType

from api.context import ApiContext, bearer_token
from api.deps import ApiDependencies
from api.graphiql import local_graphiql_html
from api.shared_subscriptions import Member, SharedSubscriptions
from domain.common.errors import DomainError
from domain.identity.errors import InvalidToken


class SharingTransportWSHandler(BaseGraphQLTransportWSHandler[ApiContext, None]):
    """graphql-transport-ws as strawberry speaks it, except that a shareable subscription attaches
    to its shared execution instead of running its own. Frames are byte for byte what strawberry
    sends: ``{"id":…,"type":"next","payload":…}`` around the execution's once-encoded payload."""

    async def run_operation(self, operation: Operation[ApiContext, None]) -> None:
        shared: SharedSubscriptions | None = getattr(self.view, "shared", None)
        key = (
            None
            if shared is None
            else shared.key_for(
                operation.query, operation.operation_name, operation.variables, self.context
            )
        )
        if shared is None or key is None:
            await super().run_operation(operation)
            return
        member = shared.join(
            key,
            query=operation.query,
            variables=operation.variables,
            operation_name=operation.operation_name,
            context=self.context,
            root_value=self.root_value,
        )
        try:
            await self._relay(operation, member)
        except Exception as error:  # as the base class does: log, complete, forget, raise
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            shared.leave(member)

    async def _relay(self, operation: Operation[ApiContext, None], member: Member) -> None:
        prefix = '{"id":' + json.dumps(operation.id) + ',"type":"next","payload":'
        while True:
            item = await member.receive()
            if isinstance(item, str):
                await self._send_text(prefix + item + "}")
                continue
            if item.kind == "close":  # the protocol closes the socket for these (code 4400)
                await self.websocket.close(code=4400, reason=item.reason)
                self.operations.pop(operation.id, None)
            elif item.kind == "error":
                error: ErrorMessage = {
                    "id": operation.id,
                    "type": "error",
                    "payload": item.errors or [],
                }
                await operation.send_operation_message(error)
            else:
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            return

    async def _send_text(self, text: str) -> None:
        websocket = self.websocket
        if not isinstance(websocket, ASGIWebSocketAdapter):  # pragma: no cover - ASGI only
            await websocket.send_json(json.loads(text))
            return
        try:
            await websocket.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class LaddnetGraphQL(GraphQL[ApiContext, None]):
    graphql_transport_ws_handler_class = SharingTransportWSHandler

    def __init__(
        self,
        schema: Any,
        deps: ApiDependencies,
        *,
        share_subscriptions: bool = True,
        subscription_queue_size: int = 1000,
        **options: Any,
    ) -> None:
        super().__init__(schema, **options)
        self.deps = deps
        self.shared: SharedSubscriptions | None = (
            SharedSubscriptions(
                schema,
                encode=self.encode_json,
                queue_size=subscription_queue_size,
                max_tokens=deps.limits.max_tokens,
            )
            if share_subscriptions
            else None
        )

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL with its assets served by laddnet (api/graphiql.py), not from a CDN."""
        return local_graphiql_html()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> ApiContext:
        client = self.deps.trusted_proxies.client(
            request.client.host if request.client else None,
            request.headers.getlist("x-forwarded-for"),
        )
        ctx = ApiContext(deps=self.deps, request=request, response=response, client_key=client)
        if isinstance(request, Request):
            header = request.headers.get("authorization")
            if header is not None:
                token = bearer_token(header)
                if token is None:
                    ctx.auth_error = InvalidToken(
                        "the Authorization header must be 'Bearer <accessToken>'"
                    )
                else:
                    try:
                        ctx.principal = await self.deps.identity.authenticate(token)
                    except DomainError as error:
                        ctx.auth_error = error
        return ctx

    async def on_ws_connect(self, context: ApiContext) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: the token comes in connection_init; without a valid one, 4403."""
        params = context.connection_params or {}
        token = bearer_token(params.get("Authorization") or params.get("authorization"))
        if token is None:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": "send Authorization: Bearer <accessToken>"}
            )
        try:
            context.principal = await self.deps.identity.authenticate(token)
        except DomainError as error:
            raise ConnectionRejectionError(
                {"code": error.code, "message": error.message}
            ) from error
        unset: UnsetType = UNSET
        return unset
