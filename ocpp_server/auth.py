"""Before the websocket upgrade: path identity, throttling, and the station's security profile:
HTTP Basic auth over ws (profile 1) or TLS (profile 2), or a client certificate over TLS (profile 3,
tls.py); a connection below the station's stored profile is refused (domain/security).

Failed logins are throttled so they cannot be turned against a station (domain/common/throttle.py
``LoginThrottle``): by source address, by (address, id), and by a budget per id over all sources,
while a station presenting the right key from its own address still gets in. The source address is
the peer's, or, when the peer is a configured trusted proxy, the client ``X-Forwarded-For`` names
(domain/common/clientaddr.py). An unknown id costs the same argon2 check as a wrong key, so the
answer's timing does not tell which ids exist. A request with no credentials (a client that waits
for the Basic challenge) guesses nothing and is not counted.
"""

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

from domain.common.clientaddr import TrustedProxies
from domain.common.errors import DomainError, Unauthenticated
from domain.common.throttle import LoginThrottle
from domain.network.models import Station
from domain.network.service import NetworkService
from domain.security.service import StationSecurity
from ocpp_server.tls import peer_certificate

log = logging.getLogger(__name__)

PATH = re.compile(r"^/ocpp/([^/?#]+)/?$")
REALM = "laddnet OCPP"
MAX_ID = 48  # no station is registered with a longer chargePointId (NetworkService)


class StationAuthenticator:
    """``process_request`` for websockets' ``serve``: None lets the upgrade go on."""

    def __init__(
        self,
        network: NetworkService,
        throttle: LoginThrottle,
        security: StationSecurity | None = None,
        proxies: TrustedProxies | None = None,
    ) -> None:
        self.network = network
        self.throttle = throttle
        self.security = security
        self.proxies = proxies or TrustedProxies()
        self.accepted: weakref.WeakKeyDictionary[ServerConnection, Station] = (
            weakref.WeakKeyDictionary()
        )
        # the security profile each accepted connection came in with (1, 2 or 3)
        self.levels: weakref.WeakKeyDictionary[ServerConnection, int] = weakref.WeakKeyDictionary()

    def client_address(self, connection: ServerConnection, request: Request) -> str:
        peer = connection.remote_address[0] if connection.remote_address else None
        return self.proxies.client(peer, request.headers.get_all("X-Forwarded-For"))

    async def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        match = PATH.match(path)
        if match is None:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "use /ocpp/{chargePointId}\n")
        cp_id = unquote(match.group(1))
        if not 0 < len(cp_id) <= MAX_ID:
            return connection.respond(
                http.HTTPStatus.NOT_FOUND, f"a chargePointId has 1-{MAX_ID} characters\n"
            )
        remote = self.client_address(connection, request)
        now = time.monotonic()
        wait = self.throttle.check(remote, cp_id, now)
        if wait:
            log.warning("station %r from %s throttled after failed logins", cp_id, remote)
            response = connection.respond(
                http.HTTPStatus.TOO_MANY_REQUESTS, "too many failed attempts\n"
            )
            response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            return response
        tls, certificate = peer_certificate(connection.transport)
        if certificate is not None and self.security is not None:
            level = 3
            try:
                station = await self.network.station_by_cp_id(cp_id)
                await self.security.check_client_certificate(station, certificate)
            except DomainError as exc:
                return self._refuse(connection, now, cp_id, remote, str(exc))
        else:
            level = 2 if tls else 1
            try:
                username, password = parse_authorization_basic(request.headers["Authorization"])
            except (KeyError, InvalidHeader):
                return self._challenge(connection, cp_id, remote, "no Basic credentials")
            if username != cp_id:
                return self._challenge(connection, cp_id, remote, "username is not the path id")
            try:
                station = await self.network.authenticate_station(cp_id, password)
            except Unauthenticated:
                rotated = await self._with_new_key(cp_id, password)
                if rotated is None:
                    return self._refuse(
                        connection, now, cp_id, remote, "unknown id or wrong password"
                    )
                station = rotated
        if self.security is not None:
            try:
                self.security.check_level(station, level)
            except Unauthenticated as exc:
                return self._refuse(connection, now, cp_id, remote, str(exc))
        self.throttle.succeed(remote, cp_id)
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
        self, connection: ServerConnection, now: float, cp_id: str, remote: str, why: str
    ) -> Response:
        """A failed login: counted (it guessed something), then challenged."""
        self.throttle.fail(remote, cp_id, now)
        return self._challenge(connection, cp_id, remote, why)

    def _challenge(
        self, connection: ServerConnection, cp_id: str, remote: str, why: str
    ) -> Response:
        log.warning("refused station %r from %s: %s", cp_id, remote, why)
        response = connection.respond(http.HTTPStatus.UNAUTHORIZED, "invalid credentials\n")
        response.headers = Headers(response.headers)
        response.headers["WWW-Authenticate"] = build_www_authenticate_basic(REALM)
        return response
