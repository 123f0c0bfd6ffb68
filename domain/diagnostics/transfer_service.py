"""Diagnostics uploads and firmware updates: recorded when requested, moved along by the station's
status notifications (the OCPP handlers call ``status_notification``). A part of
``DiagnosticsService``."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from beanie import PydanticObjectId

from domain.common.clock import as_utc, utcnow
from domain.common.errors import InvalidInput
from domain.common.pagination import page_size
from domain.diagnostics import repository as repo
from domain.diagnostics.errors import TransferNotFound
from domain.diagnostics.models import FileTransfer, TransferStep
from domain.diagnostics.transfers import (
    FINAL,
    TransferKind,
    TransferStatus,
    next_status,
    normalise_status,
    parse_transfer_kind,
)
from domain.network.errors import StationNotFound

log = logging.getLogger(__name__)

LOCATION_SCHEMES = frozenset({"ftp", "ftps", "sftp", "http", "https"})
MAX_LOCATION = 512


def _location(location: str) -> str:
    location = location.strip()
    parts = urlsplit(location)
    if len(location) > MAX_LOCATION or parts.scheme not in LOCATION_SCHEMES or not parts.netloc:
        raise InvalidInput(
            "location must be an ftp(s), sftp or http(s) URL of at most 512 characters",
            field="location",
        )
    return location


class TransferTracking:
    async def _station_owner(
        self, org_id: PydanticObjectId, station_id: PydanticObjectId
    ) -> PydanticObjectId | None:
        rows = await repo.connectivity([station_id])
        if not rows or rows[0].org_id != org_id:
            raise StationNotFound("no such station", field="stationId")
        return rows[0].site_id

    async def _create_transfer(
        self,
        org_id: PydanticObjectId,
        station_id: PydanticObjectId,
        kind: TransferKind,
        location: str,
        at: datetime | None,
        retrieve_at: datetime | None = None,
        file_name: str | None = None,
    ) -> FileTransfer:
        checked = _location(location)
        site_id = await self._station_owner(org_id, station_id)
        now = as_utc(at) if at else utcnow()
        transfer = FileTransfer(
            org_id=org_id,
            site_id=site_id,
            station_id=station_id,
            kind=kind,
            request_id=secrets.randbelow(2**31 - 2) + 1,
            location=checked,
            file_name=file_name,
            requested_at=now,
            retrieve_at=as_utc(retrieve_at) if retrieve_at else None,
            updated_at=now,
            history=[TransferStep(status=TransferStatus.REQUESTED, at=now)],
        )
        return await repo.insert_transfer(transfer)

    async def create_diagnostics_request(
        self,
        org_id: PydanticObjectId,
        station_id: PydanticObjectId,
        *,
        location: str,
        file_name: str | None = None,
        at: datetime | None = None,
    ) -> FileTransfer:
        """Record a diagnostics upload asked of a station (``location``: where it uploads to). Send
        ``RequestDiagnostics(location, request_id=transfer.request_id)`` with the result, then
        ``record_file_name`` with the name the station answers (1.6 GetDiagnostics.conf)."""
        return await self._create_transfer(
            org_id, station_id, TransferKind.DIAGNOSTICS, location, at, file_name=file_name
        )

    async def create_firmware_update(
        self,
        org_id: PydanticObjectId,
        station_id: PydanticObjectId,
        *,
        location: str,
        retrieve_at: datetime | None = None,
        at: datetime | None = None,
    ) -> FileTransfer:
        return await self._create_transfer(
            org_id, station_id, TransferKind.FIRMWARE, location, at, retrieve_at=retrieve_at
        )

    async def record_file_name(
        self, transfer_id: PydanticObjectId, file_name: str | None
    ) -> FileTransfer:
        transfer = await repo.get_transfer(transfer_id)
        if transfer is None:
            raise TransferNotFound("no such diagnostics request", field="id")
        transfer.file_name = file_name
        await repo.save_transfer(transfer)
        return transfer

    async def status_notification(
        self,
        station_id: PydanticObjectId,
        kind: str,
        status: str,
        request_id: int | None,
        at: datetime,
    ) -> FileTransfer | None:
        """A Diagnostics/Log/FirmwareStatusNotification. ``kind``: DIAGNOSTICS or FIRMWARE;
        ``status``: the station's word (1.6 or 2.0.1). Returns the transfer it moved (or recorded, when
        the station reports one nobody here asked for), None when it changed nothing (Idle, a repeat,
        a step back, a late report on a finished transfer, an end reported without a requestId when
        nothing is under way). Raises InvalidInput on an unknown status.
        """
        k = parse_transfer_kind(kind)
        reported = normalise_status(k, status)
        if reported is None:
            return None
        at = as_utc(at)
        transfer = await repo.transfer_for_report(station_id, k, request_id)
        if transfer is None and request_id is None and reported in FINAL:
            return None  # a late or repeated end of a transfer already finished
        if transfer is None:
            rows = await repo.connectivity([station_id])
            if not rows:
                raise StationNotFound("no such station", field="stationId")
            log.info("station %s reports a %s transfer nobody requested", station_id, k.value)
            transfer = FileTransfer(
                org_id=rows[0].org_id,
                site_id=rows[0].site_id,
                station_id=station_id,
                kind=k,
                request_id=request_id or 0,
                location="",
                status=reported,
                finished=reported in FINAL,
                requested_at=at,
                updated_at=at,
                history=[TransferStep(status=reported, at=at, reported=status)],
            )
            return await repo.insert_transfer(transfer)
        moved = next_status(transfer.status, reported)
        if moved is None:
            return None
        transfer.status = moved
        transfer.finished = moved in FINAL
        transfer.updated_at = at
        transfer.history.append(TransferStep(status=moved, at=at, reported=status))
        await repo.save_transfer(transfer)
        return transfer

    async def transfers(
        self,
        org_id: PydanticObjectId,
        station_id: PydanticObjectId,
        *,
        kind: str | None = None,
        first: int | None = None,
    ) -> list[FileTransfer]:
        """The station's transfers, newest first."""
        await self._station_owner(org_id, station_id)
        k = parse_transfer_kind(kind) if kind else None
        return await repo.transfers_for_station(station_id, k, page_size(first, default=20))

    async def transfer_refused(
        self, transfer_id: PydanticObjectId, reason: str, at: datetime | None = None
    ) -> FileTransfer:
        """The station never took the request on (rejected, offline, timed out): the transfer ends
        failed, with ``reason`` recorded as the station's word."""
        transfer = await repo.get_transfer(transfer_id)
        if transfer is None:
            raise TransferNotFound("no such transfer", field="id")
        if transfer.finished:
            return transfer
        now = as_utc(at) if at else utcnow()
        failed = (
            TransferStatus.UPLOAD_FAILED
            if transfer.kind is TransferKind.DIAGNOSTICS
            else TransferStatus.DOWNLOAD_FAILED
        )
        transfer.status, transfer.finished, transfer.updated_at = failed, True, now
        transfer.history.append(TransferStep(status=failed, at=now, reported=reason))
        await repo.save_transfer(transfer)
        return transfer
