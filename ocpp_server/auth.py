"""Before the websocket upgrade: path identity, throttling, and the station's security profile:
HTTP Basic auth over ws (profile 1) or TLS (profile 2), or a client certificate over TLS (profile 3,
tls.py); a connection below the station's stored profile is refused (domain/security)."""

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

from domain.common.errors import DomainError, Unauthenticated
from domain.common.throttle import FailureThrottle
from domain.network.models import Station
from domain.network.service import NetworkService
from domain.security.service import StationSecurity
from ocpp_server.tls import peer_certificate

log = logging.getLogger(__name__)

PATH = re.compile(r"^/ocpp/([^/?#]+)/?$")
REALM = "laddnet OCPP"


class StationAuthenticator:
    """``process_request`` for websockets' ``serve``: None lets the upgrade go on."""

    def __init__(
        self,
        network: NetworkService,
        throttle: FailureThrottle,
        security: StationSecurity | None = None,
    ) -> None:
        self.network = network
        self.throttle = throttle
        self.security = security
        self.accepted: weakref.WeakKeyDictionary[ServerConnection, Station] = (
            weakref.WeakKeyDictionary()
        )
        # the security profile each accepted connection came in with (1, 2 or 3)
        self.levels: weakref.WeakKeyDictionary[ServerConnection, int] = weakref.WeakKeyDictionary()

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
        tls, certificate = peer_certificate(connection.transport)
        if certificate is not None and self.security is not None:
            level = 3
            try:
                station = await self.network.station_by_cp_id(cp_id)
                await self.security.check_client_certificate(station, certificate)
            except DomainError as exc:
                return self._refuse(connection, key, now, cp_id, remote, str(exc))
        else:
            level = 2 if tls else 1
            try:
                username, password = parse_authorization_basic(request.headers["Authorization"])
            except (KeyError, InvalidHeader):
                return self._refuse(connection, key, now, cp_id, remote, "no Basic credentials")
            if username != cp_id:
                return self._refuse(
                    connection, key, now, cp_id, remote, "username is not the path id"
                )
            try:
                station = await self.network.authenticate_station(cp_id, password)
            except Unauthenticated:
                rotated = await self._with_new_key(cp_id, password)
                if rotated is None:
                    return self._refuse(
                        connection, key, now, cp_id, remote, "unknown id or wrong password"
                    )
                station = rotated
        if self.security is not None:
            try:
                self.security.check_level(station, level)
            except Unauthenticated as exc:
                return self._refuse(connection, key, now, cp_id, remote, str(exc))
        self.throttle.succeed(key)
        self.accepted[connection] = station
        self.levels[connection] = level
        return None

    async def _with_new_key(self, cp_id: str, password: str) -> Station | None:
        """A station logging in with the key it was just asked to take (key rotation)."""
        if self.security is None:
            return None
        try:
            station = await self.network.station_by_cp_id(cp_id)
        except DomainError:
            return None
        if not await self.security.pending_key_matches(station, password):
            return None
        return await self.network.station_by_cp_id(cp_id)

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
