"""Diagnostics uploads and firmware updates, followed to the end from the station's notifications.

Statuses are version neutral. OCPP 1.6 DiagnosticsStatusNotification / FirmwareStatusNotification
and 2.0.1 LogStatusNotification / FirmwareStatusNotification map onto them (``normalise_status``):

- diagnostics: Requested → Uploading → Uploaded | UploadFailed
- firmware:    Requested → Downloading → Downloaded → Installing → Installed
               (| DownloadFailed | InstallationFailed)

A report may skip steps but never moves a transfer back, and a finished transfer stays finished
(a late or repeated notification is ignored) — except that a station retrying after DownloadFailed
may start Downloading again. ``Idle`` (nothing going on) changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from domain.common.errors import InvalidInput


class TransferKind(StrEnum):
    DIAGNOSTICS = "DIAGNOSTICS"
    FIRMWARE = "FIRMWARE"


class TransferStatus(StrEnum):
    REQUESTED = "Requested"
    UPLOADING = "Uploading"
    UPLOADED = "Uploaded"
    UPLOAD_FAILED = "UploadFailed"
    DOWNLOADING = "Downloading"
    DOWNLOADED = "Downloaded"
    DOWNLOAD_FAILED = "DownloadFailed"
    INSTALLING = "Installing"
    INSTALLED = "Installed"
    INSTALLATION_FAILED = "InstallationFailed"


FINAL = frozenset(
    {
        TransferStatus.UPLOADED,
        TransferStatus.UPLOAD_FAILED,
        TransferStatus.DOWNLOAD_FAILED,
        TransferStatus.INSTALLED,
        TransferStatus.INSTALLATION_FAILED,
    }
)

_RANK = {
    TransferStatus.REQUESTED: 0,
    TransferStatus.UPLOADING: 1,
    TransferStatus.UPLOADED: 2,
    TransferStatus.UPLOAD_FAILED: 2,
    TransferStatus.DOWNLOADING: 1,
    TransferStatus.DOWNLOADED: 2,
    TransferStatus.DOWNLOAD_FAILED: 2,
    TransferStatus.INSTALLING: 3,
    TransferStatus.INSTALLED: 4,
    TransferStatus.INSTALLATION_FAILED: 4,
}

_DIAGNOSTICS = {
    "Uploading": TransferStatus.UPLOADING,
    "Uploaded": TransferStatus.UPLOADED,
    "UploadFailed": TransferStatus.UPLOAD_FAILED,
    "UploadFailure": TransferStatus.UPLOAD_FAILED,
    "BadMessage": TransferStatus.UPLOAD_FAILED,
    "NotSupportedOperation": TransferStatus.UPLOAD_FAILED,
    "PermissionDenied": TransferStatus.UPLOAD_FAILED,
}

_FIRMWARE = {
    "DownloadScheduled": TransferStatus.DOWNLOADING,
    "DownloadPaused": TransferStatus.DOWNLOADING,
    "Downloading": TransferStatus.DOWNLOADING,
    "Downloaded": TransferStatus.DOWNLOADED,
    "SignatureVerified": TransferStatus.DOWNLOADED,
    "DownloadFailed": TransferStatus.DOWNLOAD_FAILED,
    "InvalidSignature": TransferStatus.DOWNLOAD_FAILED,
    "InstallScheduled": TransferStatus.INSTALLING,
    "InstallRebooting": TransferStatus.INSTALLING,
    "Installing": TransferStatus.INSTALLING,
    "Installed": TransferStatus.INSTALLED,
    "InstallationFailed": TransferStatus.INSTALLATION_FAILED,
    "InstallVerificationFailed": TransferStatus.INSTALLATION_FAILED,
}

_IGNORED = frozenset({"Idle", "AcceptedCanceled"})


def parse_transfer_kind(kind: str) -> TransferKind:
    try:
        return TransferKind(kind.upper())
    except ValueError:
        raise InvalidInput(
            f"unknown transfer kind {kind!r}; DIAGNOSTICS or FIRMWARE", field="kind"
        ) from None


def normalise_status(kind: TransferKind, reported: str) -> TransferStatus | None:
    """The neutral status for what the station reported; None for Idle. Raises InvalidInput."""
    if reported in _IGNORED:
        return None
    table = _DIAGNOSTICS if kind is TransferKind.DIAGNOSTICS else _FIRMWARE
    try:
        return table[reported]
    except KeyError:
        raise InvalidInput(
            f"{reported!r} is not a {kind.value.lower()} status", field="status"
        ) from None


def next_status(current: TransferStatus, reported: TransferStatus) -> TransferStatus | None:
    """The status to move to, or None when the report changes nothing."""
    if current is TransferStatus.DOWNLOAD_FAILED and reported is TransferStatus.DOWNLOADING:
        return reported  # the station retries
    if current in FINAL or reported is current:
        return None
    if _RANK[reported] < _RANK[current]:
        return None
    return reported
