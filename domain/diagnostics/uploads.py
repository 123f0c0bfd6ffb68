"""Diagnostics files stations upload to laddnet itself (OCPP lets a station upload by HTTP; the
HTTP edge receives the bytes and hands them here). Each upload is bounded in size, kept in a file
store under a name laddnet chooses (never the station's path), recorded against the station and the
diagnostics request it answers, and listed for the station's organisation."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Protocol

from beanie import PydanticObjectId

from domain.common.clock import utcnow
from domain.common.errors import InvalidInput, NotFound
from domain.common.logctx import log_event
from domain.common.pagination import page_size
from domain.diagnostics import repository as repo
from domain.diagnostics.models import DiagnosticsFile
from domain.diagnostics.transfers import TransferKind
from domain.network.errors import StationNotFound

log = logging.getLogger(__name__)

MAX_NAME = 200
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadTooLarge(InvalidInput):
    code = "UPLOAD_TOO_LARGE"


class FileStore(Protocol):
    """Where uploaded bytes live (the composition root gives a directory in the data dir)."""

    async def save(self, key: str, chunks: AsyncIterator[bytes], limit: int) -> int:
        """Store the chunks under ``key``; the size. More than ``limit`` bytes: nothing is kept
        and ``UploadTooLarge`` is raised."""
        ...

    def path(self, key: str) -> str:
        """Where the stored file can be read from."""
        ...


def safe_file_name(name: str) -> str:
    """The station's file name reduced to a harmless one (no directories, no odd characters)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = _UNSAFE.sub("_", base).strip("._")[:MAX_NAME]
    if not cleaned:
        raise InvalidInput("the upload needs a file name", field="fileName")
    return cleaned


class DiagnosticsUploads:
    def __init__(
        self,
        store: FileStore,
        *,
        max_bytes: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.clock = clock

    async def receive(
        self,
        station_id: PydanticObjectId,
        file_name: str,
        chunks: AsyncIterator[bytes],
        content_type: str | None = None,
    ) -> DiagnosticsFile:
        rows = await repo.connectivity([station_id])
        if not rows:
            raise StationNotFound("no such station", field="stationId")
        name = safe_file_name(file_name)
        now = self.clock()
        key = f"{station_id}/{now:%Y%m%dT%H%M%S%f}-{name}"
        size = await self.store.save(key, chunks, self.max_bytes)
        transfer = await repo.transfer_for_report(station_id, TransferKind.DIAGNOSTICS, None)
        stored = await repo.insert_file(
            DiagnosticsFile(
                org_id=rows[0].org_id,
                site_id=rows[0].site_id,
                station_id=station_id,
                transfer_id=transfer.id if transfer else None,
                file_name=name,
                key=key,
                size_bytes=size,
                content_type=content_type,
                received_at=now,
            )
        )
        if transfer is not None and not transfer.file_name:
            transfer.file_name = name
            await repo.save_transfer(transfer)
        log_event(
            log,
            "diagnostics.uploaded",
            station_id=str(station_id),
            file=name,
            size_bytes=size,
            request_id=transfer.request_id if transfer else None,
        )
        return stored

    async def files(
        self, org_id: PydanticObjectId, station_id: PydanticObjectId, first: int | None = None
    ) -> list[DiagnosticsFile]:
        """The station's uploaded files, newest first."""
        rows = await repo.connectivity([station_id])
        if not rows or rows[0].org_id != org_id:
            raise StationNotFound("no such station", field="stationId")
        return await repo.files_for_station(station_id, page_size(first, default=20))

    async def file_for_org(
        self, org_id: PydanticObjectId, file_id: PydanticObjectId
    ) -> tuple[DiagnosticsFile, str]:
        """One file of the organisation and where to read it."""
        found = await repo.get_file(file_id)
        if found is None or found.org_id != org_id:
            raise NotFound("no such diagnostics file", field="id")
        return found, self.store.path(found.key)
