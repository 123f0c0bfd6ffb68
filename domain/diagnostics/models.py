"""Diagnostics documents: alert rules, alerts, station health snapshots, webhooks, file transfers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from domain.common.clock import utcnow
from domain.diagnostics.rules import AlertKind, Severity
from domain.diagnostics.transfers import TransferKind, TransferStatus


class AlertState(StrEnum):
    RAISED = "RAISED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class AlertRule(Document):
    """An operator's rule for one kind, organisation-wide (``site_id`` None) or for one site."""

    org_id: PydanticObjectId
    site_id: PydanticObjectId | None = None
    kind: AlertKind
    threshold: float
    duration_seconds: int
    severity: Severity
    enabled: bool = True
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str | None = None

    class Settings:
        name = "alert_rules"
        indexes = [
            IndexModel(
                [("org_id", ASCENDING), ("site_id", ASCENDING), ("kind", ASCENDING)], unique=True
            )
        ]


class Alert(Document):
    """One occurrence of a condition. ``is_open`` (state is not RESOLVED) carries the partial unique
    index that keeps one open alert per station, connector and kind. ``resolved_by`` None on a
    resolved alert means it resolved itself."""

    org_id: PydanticObjectId
    site_id: PydanticObjectId | None = None
    station_id: PydanticObjectId
    connector_id: int | None = None  # None: the station as a whole (OFFLINE, SECURITY_EVENT)
    kind: AlertKind
    severity: Severity
    state: AlertState = AlertState.RAISED
    is_open: bool = True
    message: str
    raised_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None

    class Settings:
        name = "alerts"
        indexes = [
            IndexModel(
                [("station_id", ASCENDING), ("connector_id", ASCENDING), ("kind", ASCENDING)],
                unique=True,
                partialFilterExpression={"is_open": True},
                name="one_open_alert_per_condition",
            ),
            IndexModel([("org_id", ASCENDING), ("raised_at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("org_id", ASCENDING), ("state", ASCENDING), ("raised_at", DESCENDING)]),
            IndexModel([("kind", ASCENDING), ("is_open", ASCENDING)]),
        ]


class ConnectorHealth(BaseModel):
    connector_id: int
    sampled_at: datetime | None = None
    temperature_c: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None
    power_w: float | None = None
    offered_power_w: float | None = None
    energy_wh: int | None = None
    efficiency_percent: float | None = None
    status: str | None = None
    error_code: str | None = None


class StationHealth(Document):
    """The latest readings of a station, kept current by the diagnostics service. ``status`` is as of
    ``updated_at``; readers recompute it against the clock (a station can fall silent)."""

    station_id: PydanticObjectId
    org_id: PydanticObjectId
    site_id: PydanticObjectId | None = None
    status: str
    sampled_at: datetime | None = None
    temperature_c: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None
    power_w: float | None = None
    efficiency_percent: float | None = None
    connectors: list[ConnectorHealth] = Field(default_factory=list)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "station_health"
        indexes = [IndexModel("station_id", unique=True), IndexModel("org_id")]


class AlertWebhook(Document):
    org_id: PydanticObjectId
    url: str
    secret: str
    enabled: bool = True
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "alert_webhooks"
        indexes = [IndexModel("org_id", unique=True)]


class TransferStep(BaseModel):
    status: TransferStatus
    at: datetime
    reported: str | None = None  # the station's own word, e.g. "InstallRebooting"


class FileTransfer(Document):
    """A diagnostics upload or a firmware update, from request to its last reported status."""

    org_id: PydanticObjectId
    site_id: PydanticObjectId | None = None
    station_id: PydanticObjectId
    kind: TransferKind
    request_id: int  # the OCPP requestId (2.0.1); 1.6 stations report without one
    location: str
    file_name: str | None = None
    status: TransferStatus = TransferStatus.REQUESTED
    finished: bool = False
    requested_at: datetime
    retrieve_at: datetime | None = None
    updated_at: datetime
    history: list[TransferStep] = Field(default_factory=list)

    class Settings:
        name = "file_transfers"
        indexes = [
            IndexModel(
                [("station_id", ASCENDING), ("kind", ASCENDING), ("requested_at", DESCENDING)]
            ),
            IndexModel([("station_id", ASCENDING), ("request_id", ASCENDING)]),
        ]


class StationReport(Document):
    """What a station reports that is not a transaction: diagnostics/log/firmware status,
    security events, device-model reports and events, data transfers. Kept as sent."""

    org_id: PydanticObjectId
    station_id: PydanticObjectId
    charge_point_id: str
    kind: str  # DiagnosticsStatus | LogStatus | FirmwareStatus | SecurityEvent | NotifyEvent | ...
    status: str | None = None
    request_id: int | None = None
    at: datetime = Field(default_factory=utcnow)
    data: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "station_reports"
        indexes = [
            IndexModel([("station_id", ASCENDING), ("kind", ASCENDING), ("at", DESCENDING)]),
        ]


class DiagnosticsFile(Document):
    """A diagnostics file a station uploaded to laddnet itself (the bytes are in the file store
    under ``key``; this is what the API lists)."""

    org_id: PydanticObjectId
    site_id: PydanticObjectId | None = None
    station_id: PydanticObjectId
    transfer_id: PydanticObjectId | None = None  # the request it answers (the newest open one)
    file_name: str
    key: str
    size_bytes: int
    content_type: str | None = None
    received_at: datetime

    class Settings:
        name = "diagnostics_files"
        indexes = [IndexModel([("station_id", ASCENDING), ("received_at", DESCENDING)])]
