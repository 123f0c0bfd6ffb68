"""Diagnostics and firmware status progress as a pure rule."""

from __future__ import annotations

import pytest

from domain.common.errors import InvalidInput
from domain.diagnostics.transfers import (
    TransferKind,
    TransferStatus,
    next_status,
    normalise_status,
)

D = TransferKind.DIAGNOSTICS
F = TransferKind.FIRMWARE
S = TransferStatus


def test_both_ocpp_versions_map_onto_neutral_statuses() -> None:
    assert normalise_status(D, "Uploading") is S.UPLOADING
    assert normalise_status(D, "UploadFailure") is S.UPLOAD_FAILED  # 2.0.1
    assert normalise_status(D, "Idle") is None
    assert normalise_status(F, "InstallRebooting") is S.INSTALLING  # 2.0.1
    assert normalise_status(F, "InstallVerificationFailed") is S.INSTALLATION_FAILED
    with pytest.raises(InvalidInput):
        normalise_status(D, "Installed")  # not a diagnostics status
    with pytest.raises(InvalidInput):
        normalise_status(F, "Exploded")


def walk(start: S, reports: list[S]) -> list[S]:
    seen, current = [start], start
    for r in reports:
        moved = next_status(current, r)
        if moved is not None:
            current = moved
            seen.append(moved)
    return seen


def test_firmware_progresses_forward_only_and_stops_when_finished() -> None:
    reports = [
        S.DOWNLOADING,
        S.DOWNLOADING,
        S.DOWNLOADED,
        S.DOWNLOADING,
        S.INSTALLING,
        S.INSTALLED,
        S.INSTALLING,
    ]
    assert walk(S.REQUESTED, reports) == [
        S.REQUESTED,
        S.DOWNLOADING,
        S.DOWNLOADED,
        S.INSTALLING,
        S.INSTALLED,
    ]


def test_diagnostics_upload_can_fail_and_a_download_can_be_retried() -> None:
    assert walk(S.REQUESTED, [S.UPLOADING, S.UPLOAD_FAILED, S.UPLOADED]) == [
        S.REQUESTED,
        S.UPLOADING,
        S.UPLOAD_FAILED,
    ]
    assert walk(S.REQUESTED, [S.DOWNLOAD_FAILED, S.DOWNLOADING, S.DOWNLOADED]) == [
        S.REQUESTED,
        S.DOWNLOAD_FAILED,
        S.DOWNLOADING,
        S.DOWNLOADED,
    ]
