"""The client contract as this project carries it: its own copy in ``clients/`` (so a clone alone
runs the tests), checked equal to ``../shared/clients`` wherever that exists, and the operations still
pending with the open issue that builds each. PENDING lives here and nowhere else; it is empty when
those issues are resolved."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLIENTS = REPO / "clients"
SHARED_CLIENTS = REPO.parent / "shared" / "clients"

# operation name -> the issue that builds it
PENDING: dict[str, str] = {
    "SetStationRegistration": "#12 B02",
    "UpsertIdToken": "#12 C",
    "SyncLocalList": "#12 D",
    "ClearAuthorizationCache": "#12 C",
    "CompositeSchedule": "#14",
    "SetSiteLimit": "#14",
    "SiteLoad": "#14",
    "ReserveConnector": "#12 H",
    "CancelReservation": "#12 H",
    "SetDisplayMessage": "#12 O",
    "ClearDisplayMessage": "#12 O",
    "SetVariableMonitoring": "#12 N",
    "RequestCustomerInformation": "#12 N",
}


def client_files() -> list[Path]:
    files = sorted(CLIENTS.glob("*.graphql"))
    assert files, f"no client documents in {CLIENTS}: the contract must be checked, not skipped"
    return files
