"""Diagnostics uploads and firmware updates followed to the end from status notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from beanie import PydanticObjectId

from domain.common.clock import utcnow
from domain.common.errors import InvalidInput, NotFound
from domain.common.events import InProcessEventBus
from domain.diagnostics.models import FileTransfer
from domain.diagnostics.service import DiagnosticsService
from domain.diagnostics.transfers import TransferStatus
from domain.network.models import Station
from domain.network.service import NetworkService
from tests.factories.network import create_org, create_site, create_station

pytestmark = pytest.mark.usefixtures("database")

LOCATION = "ftp://uploads.example.com/diag/"


async def station_and_service() -> tuple[Station, DiagnosticsService]:
    bus = InProcessEventBus()
    network = NetworkService(bus)
    org = await create_org()
    site = await create_site(network, org.id)
    return await create_station(network, org.id, site.id), DiagnosticsService(bus)


def sid(station: Station) -> PydanticObjectId:
    assert station.id is not None
    return station.id


async def test_diagnostics_upload_from_request_to_uploaded() -> None:
    station, diag = await station_and_service()
    t0 = utcnow().replace(microsecond=0)
    request = await diag.create_diagnostics_request(
        station.org_id, sid(station), location=LOCATION, at=t0
    )
    assert request.status is TransferStatus.REQUESTED and request.requested_at == t0
    assert 1 <= request.request_id < 2**31
    named = await diag.record_file_name(request.id, "diag-CP-1.zip")  # type: ignore[arg-type]
    assert named.file_name == "diag-CP-1.zip"
    # a 1.6 station reports without a request id: the latest unfinished request is meant
    moved = await diag.status_notification(sid(station), "DIAGNOSTICS", "Uploading", None, t0)
    assert moved is not None and moved.id == request.id
    assert await diag.status_notification(sid(station), "DIAGNOSTICS", "Idle", None, t0) is None
    done = await diag.status_notification(
        sid(station), "DIAGNOSTICS", "Uploaded", None, t0 + timedelta(seconds=30)
    )
    assert done is not None and done.finished
    stored = await FileTransfer.get(request.id)
    assert stored is not None
    assert [step.status for step in stored.history] == [
        TransferStatus.REQUESTED,
        TransferStatus.UPLOADING,
        TransferStatus.UPLOADED,
    ]
    # late news about a finished upload changes nothing
    assert (
        await diag.status_notification(sid(station), "DIAGNOSTICS", "UploadFailed", None, t0)
        is None
    )
    assert (await FileTransfer.get(request.id)).status is TransferStatus.UPLOADED  # type: ignore[union-attr]


async def test_firmware_update_by_request_id_to_installed() -> None:
    station, diag = await station_and_service()
    t0 = utcnow()
    older = await diag.create_firmware_update(
        station.org_id, sid(station), location="https://fw.example.com/v2.bin"
    )
    update = await diag.create_firmware_update(
        station.org_id, sid(station), location="https://fw.example.com/v3.bin", retrieve_at=t0
    )
    for status in ("Downloading", "Downloaded", "InstallRebooting", "Installed"):
        await diag.status_notification(sid(station), "FIRMWARE", status, older.request_id, t0)
    assert (await FileTransfer.get(older.id)).status is TransferStatus.INSTALLED  # type: ignore[union-attr]
    assert (await FileTransfer.get(update.id)).status is TransferStatus.REQUESTED  # type: ignore[union-attr]
    await diag.status_notification(
        sid(station), "FIRMWARE", "InstallationFailed", update.request_id, t0
    )
    listed = await diag.transfers(station.org_id, sid(station), kind="FIRMWARE")
    assert [(t.id, t.status) for t in listed] == [
        (update.id, TransferStatus.INSTALLATION_FAILED),
        (older.id, TransferStatus.INSTALLED),
    ]


async def test_bad_requests_are_rejected_and_nothing_is_stored() -> None:
    station, diag = await station_and_service()
    before = await FileTransfer.find({"station_id": station.id}).count()
    with pytest.raises(InvalidInput) as caught:
        await diag.create_diagnostics_request(station.org_id, sid(station), location="file:///etc")
    assert caught.value.field == "location"
    stranger = await create_org()
    with pytest.raises(NotFound):
        await diag.create_diagnostics_request(stranger.id, sid(station), location=LOCATION)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        await diag.status_notification(sid(station), "FIRMWARE", "Exploded", None, utcnow())
    with pytest.raises(InvalidInput):
        await diag.status_notification(sid(station), "LOGS", "Uploaded", None, utcnow())
    assert await FileTransfer.find({"station_id": station.id}).count() == before


async def test_a_status_nobody_requested_is_recorded() -> None:
    station, diag = await station_and_service()
    found = await diag.status_notification(sid(station), "FIRMWARE", "Downloading", 77, utcnow())
    assert found is not None and found.request_id == 77 and found.org_id == station.org_id
    with pytest.raises(NotFound):
        await diag.status_notification(PydanticObjectId(), "FIRMWARE", "Downloading", 5, utcnow())
