"""Security profile 1 before the websocket upgrade: path identity, HTTP Basic auth, throttling."""

from __future__ import annotations

import http
import logging
import re
import time
import weakref
from urllib.parse import unquote

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHeader
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic
from websockets.http11 import Request, Response

from domain.common.errors import Unauthenticated
from domain.common.throttle import FailureThrottle
from domain.network.models import Station
from domain.network.service import NetworkService

log = logging.getLogger(__name__)

PATH = re.compile(r"^/ocpp/([^/?#]+)/?$")
REALM = "laddnet OCPP"


class StationAuthenticator:
    """``process_request`` for websockets' ``serve``: None lets the upgrade go on."""

    def __init__(self, network: NetworkService, throttle: FailureThrottle) -> None:
        self.network = network
        self.throttle = throttle
        self.accepted: weakref.WeakKeyDictionary[ServerConnection, Station] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        match = PATH.match(path)
        if match is None:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "use /ocpp/{chargePointId}\n")
        cp_id = unquote(match.group(1))
        remote = connection.remote_address[0] if connection.remote_address else "?"
        key = f"{remote}|{cp_id}"
        now = time.monotonic()
        if self.throttle.blocked(key, now):
            retry = max(1, int(self.throttle.retry_after(key, now)))
            log.warning("station %s from %s throttled after failed logins", cp_id, remote)
            response = connection.respond(
                http.HTTPStatus.TOO_MANY_REQUESTS, "too many failed attempts\n"
            )
            response.headers["Retry-After"] = str(retry)
            return response
        try:
            username, password = parse_authorization_basic(request.headers["Authorization"])
        except (KeyError, InvalidHeader):
            return self._refuse(connection, key, now, cp_id, remote, "no Basic credentials")
        if username != cp_id:
            return self._refuse(connection, key, now, cp_id, remote, "username is not the path id")
        try:
            station = await self.network.authenticate_station(cp_id, password)
        except Unauthenticated:
            return self._refuse(connection, key, now, cp_id, remote, "unknown id or wrong password")
        self.throttle.succeed(key)
        self.accepted[connection] = station
        return None

    def _refuse(
        self,
        connection: ServerConnection,
        key: str,
        now: float,
        cp_id: str,
        remote: str,
        why: str,
    ) -> Response:
        self.throttle.fail(key, now)
        log.warning("refused station %r from %s: %s", cp_id, remote, why)
        response = connection.respond(http.HTTPStatus.UNAUTHORIZED, "invalid credentials\n")
        response.headers = Headers(response.headers)
        response.headers["WWW-Authenticate"] = build_www_authenticate_basic(REALM)
        return response
