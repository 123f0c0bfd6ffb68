"""The typed context every resolver gets: dependencies, loaders, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from beanie import PydanticObjectId
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from api.deps import ApiDependencies
from api.errors import unauthenticated
from api.loaders import Loaders
from domain.common.errors import DomainError
from domain.identity.principal import Principal


@dataclass
class ApiContext:
    deps: ApiDependencies
    request: Request | WebSocket
    response: Response | WebSocket | None
    client_key: str
    loaders: Loaders = field(default_factory=Loaders)
    principal: Principal | None = None
    auth_error: DomainError | None = None  # why a presented token was refused
    connection_params: dict[str, Any] | None = None  # graphql-transport-ws connection_init payload

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise self.auth_error or unauthenticated()
        return self.principal

    def reading_org(self) -> PydanticObjectId:
        return self.require_principal().reading_org()

    def acting_org(self) -> PydanticObjectId:
        return self.require_principal().acting_org()

    def driver_id(self) -> PydanticObjectId:
        return self.require_principal().driver_id()


Info = strawberry.Info[ApiContext, None]


def bearer_token(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
