"""Diagnostics uploads received by laddnet itself, over HTTP (OCPP stations upload by HTTP PUT or
POST, or FTP; laddnet takes HTTP):

PUT|POST /uploads/diagnostics/{stationId}/{token}/{fileName}   the body is the file
POST     /uploads/diagnostics/{stationId}/{token}              multipart/form-data, its file part
GET      /diagnostics/files/{id}                               the stored file (operator Bearer)

A station cannot send a Bearer token, so the upload location laddnet hands it in
RequestDiagnostics carries a per-station token (an HMAC of the station id under a key derived from
the signing secret): a URL for one station is useless for another. Uploads are bounded in size
(LADDNET_DIAGNOSTICS_UPLOAD_MAX_BYTES) and kept in the data dir; ``diagnosticsFiles`` lists them."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from email.parser import BytesParser
from email.policy import HTTP

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from api.context import bearer_token
from api.deps import ApiDependencies
from domain.common.errors import DomainError, InvalidInput, Unauthenticated
from domain.diagnostics.uploads import UploadTooLarge
from domain.network.service import parse_id

log = logging.getLogger("api")

UPLOAD_PATH = "/uploads/diagnostics"
STATUS = {
    "UNAUTHENTICATED": 401,
    "INVALID_TOKEN": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "STATION_NOT_FOUND": 404,
    "UPLOAD_TOO_LARGE": 413,
    "UNAVAILABLE": 503,
}


class UploadRefused(DomainError):
    code = "FORBIDDEN"


class UploadsUnavailable(DomainError):
    code = "UNAVAILABLE"


def upload_token(secret: bytes, station_id: str) -> str:
    return hmac.new(
        secret, f"diagnostics-upload:{station_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def upload_location(deps: ApiDependencies, base_url: str, station_id: str) -> str | None:
    """Where a station uploads when the operator names no location: the configured URL when it is
    another server's; otherwise laddnet's own endpoint (at the configured public URL, or the
    address the operator's request reached), with the station's id and token."""
    configured = (deps.diagnostics_upload_url or "").rstrip("/")
    if configured and not configured.endswith(UPLOAD_PATH):
        return configured
    if deps.uploads is None or deps.upload_secret is None:
        return configured or None
    base = configured or base_url.rstrip("/") + UPLOAD_PATH
    return f"{base}/{station_id}/{upload_token(deps.upload_secret, station_id)}/"


def _error(error: DomainError) -> JSONResponse:
    body = {"code": error.code, "field": error.field, "message": error.message}
    return JSONResponse(body, status_code=STATUS.get(error.code, 400))


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def upload_routes(deps: ApiDependencies) -> list[Route]:
    def checked(request: Request) -> str:
        if deps.uploads is None or deps.upload_secret is None:
            raise UploadsUnavailable("uploads are not received by this process")
        station = str(request.path_params["station_id"])
        expected = upload_token(deps.upload_secret, station)
        if not hmac.compare_digest(expected, request.path_params["token"]):
            raise UploadRefused("this upload location is not valid for that station")
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > deps.upload_max_bytes:
            raise UploadTooLarge(f"the upload is larger than {deps.upload_max_bytes} bytes")
        return station

    async def receive(request: Request) -> Response:
        try:
            station = checked(request)
            assert deps.uploads is not None
            stored = await deps.uploads.receive(
                parse_id(station, field="stationId", what="station"),
                request.path_params["file_name"],
                _body(request),
                request.headers.get("content-type"),
            )
        except DomainError as error:
            return _error(error)
        return JSONResponse({"fileName": stored.file_name, "sizeBytes": stored.size_bytes}, 201)

    async def receive_form(request: Request) -> Response:
        """A multipart/form-data POST (an HTML-form style upload): its first part with a file."""
        try:
            station = checked(request)
            assert deps.uploads is not None
            content_type = request.headers.get("content-type", "")
            if not content_type.startswith("multipart/form-data"):
                raise InvalidInput(
                    "POST the file as multipart/form-data, or PUT/POST it to …/{fileName}",
                    field="body",
                )
            data = b""
            async for chunk in _body(request):
                data += chunk
                if len(data) > deps.upload_max_bytes + 65_536:
                    raise UploadTooLarge(f"the upload is larger than {deps.upload_max_bytes} bytes")
            head = f"Content-Type: {content_type}\r\n\r\n".encode()
            message = BytesParser(policy=HTTP).parsebytes(head + data)
            part = next((p for p in message.iter_parts() if p.get_filename()), None)
            if part is None:
                raise InvalidInput("the form has no file part", field="body")
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            stored = await deps.uploads.receive(
                parse_id(station, field="stationId", what="station"),
                str(part.get_filename()),
                _one(payload),
                part.get_content_type(),
            )
        except DomainError as error:
            return _error(error)
        return JSONResponse({"fileName": stored.file_name, "sizeBytes": stored.size_bytes}, 201)

    async def download(request: Request) -> Response:
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is None:
                raise Unauthenticated("send Authorization: Bearer <accessToken>")
            principal = await deps.identity.authenticate(token)
            org = principal.reading_org()
            if deps.uploads is None:
                raise UploadsUnavailable("uploads are not kept by this process")
            found, path = await deps.uploads.file_for_org(
                org, parse_id(request.path_params["file_id"], field="id", what="file")
            )
        except DomainError as error:
            return _error(error)
        return FileResponse(
            path,
            media_type="application/octet-stream",
            filename=found.file_name,
            headers={"Cache-Control": "no-store"},
        )

    return [
        Route(
            f"{UPLOAD_PATH}/{{station_id}}/{{token}}/{{file_name}}",
            receive,
            methods=["PUT", "POST"],
        ),
        Route(f"{UPLOAD_PATH}/{{station_id}}/{{token}}", receive_form, methods=["POST"]),
        Route(f"{UPLOAD_PATH}/{{station_id}}/{{token}}/", receive_form, methods=["POST"]),
        Route("/diagnostics/files/{file_id}", download, methods=["GET"]),
    ]
