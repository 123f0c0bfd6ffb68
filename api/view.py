"""The strawberry ASGI view: builds the typed context and authenticates websockets."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from api.context import ApiContext, bearer_token
from api.deps import ApiDependencies
from domain.common.errors import DomainError
from domain.identity.errors import InvalidToken


class LaddnetGraphQL(GraphQL[ApiContext, None]):
    def __init__(self, schema: Any, deps: ApiDependencies, **options: Any) -> None:
        super().__init__(schema, **options)
        self.deps = deps

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> ApiContext:
        client = request.client.host if request.client else "unknown"
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
