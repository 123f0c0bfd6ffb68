"""The one owner of live station connections on this node: charge point id -> connection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection

from domain.network.models import Station


@dataclass(eq=False, slots=True)
class Connection:
    charge_point_id: str
    station: Station
    websocket: ServerConnection
    handler: Any  # ChargePoint16 | ChargePoint201
    ocpp_version: str
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def holder_id(self, node_id: str) -> str:
        """What ``Station.node_id`` says while this connection holds the station."""
        return f"{node_id}/{self.token}"


class ConnectionRegistry:
    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}

    def __len__(self) -> int:
        return len(self._connections)

    def get(self, charge_point_id: str) -> Connection | None:
        return self._connections.get(charge_point_id)

    def replace(self, connection: Connection) -> Connection | None:
        """Make ``connection`` the station's live one; return the one it replaces, if any."""
        old = self._connections.get(connection.charge_point_id)
        self._connections[connection.charge_point_id] = connection
        return old if old is not connection else None

    def remove(self, connection: Connection) -> bool:
        """Forget ``connection`` unless a newer one has replaced it; True when it was current."""
        if self._connections.get(connection.charge_point_id) is connection:
            del self._connections[connection.charge_point_id]
            return True
        return False

    def all(self) -> list[Connection]:
        return list(self._connections.values())
