"""Documents of the charging context: id tokens, sessions, meter samples, orphan transaction
messages."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from beanie import Document, Granularity, PydanticObjectId, TimeSeriesConfig
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from domain.charging.state import SessionStatus
from domain.common.clock import utcnow


class IdTokenStatus(StrEnum):
    """OCPP 1.6 AuthorizationStatus (2.0.1 AuthorizationStatusEnumType shares these values)."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


class IdToken(Document):
    """An RFID card / app token a driver charges with. OCPP 1.6 IdToken: at most 20 characters."""

    id_tag: str
    driver_id: PydanticObjectId | None = None
    org_id: PydanticObjectId | None = None
    status: IdTokenStatus = IdTokenStatus.ACCEPTED
    expiry_date: datetime | None = None  # OCPP idTagInfo.expiryDate: Expired after it
    parent_id_tag: str | None = None  # OCPP idTagInfo.parentIdTag: a group (e.g. a fleet card)
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "id_tokens"
        indexes = [
            IndexModel("id_tag", unique=True),
            IndexModel("driver_id"),
        ]


class ChargingSession(Document):
    org_id: PydanticObjectId
    site_id: PydanticObjectId
    station_id: PydanticObjectId
    charge_point_id: str
    connector_id: int
    evse_id: int | None = None  # 2.0.1
    transaction_id: str | None = None  # None while PENDING; 1.6: server-assigned integer
    ocpp_version: str
    id_tag: str | None = None
    driver_id: PydanticObjectId | None = None
    status: SessionStatus
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    meter_start_wh: int | None = None
    last_meter_wh: int | None = None
    energy_wh: int = 0
    last_power_w: float | None = None
    max_power_w: float | None = None
    stop_reason: str | None = None
    remote_start_id: int | None = None
    offline: bool = False  # some of its messages were queued offline by the station (2.0.1)
    last_seq_no: int | None = None  # 2.0.1
    idle_since: datetime | None = None
    idle_seconds: int = 0
    flags: list[str] = Field(default_factory=list)
    # the station's own clock when it was not trusted (see timestamps.py)
    reported_started_at: datetime | None = None
    reported_ended_at: datetime | None = None
    # idempotency of a 1.6 StartTransaction: station|connector|idTag|timestamp|meterStart
    start_key: str | None = None
    # "station_id:connector_id" while the session holds its connector (unique: one at a time)
    connector_lock: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "charging_sessions"
        indexes = [
            IndexModel(
                [("station_id", ASCENDING), ("transaction_id", ASCENDING)],
                unique=True,
                partialFilterExpression={"transaction_id": {"$type": "string"}},
                name="station_transaction_unique",
            ),
            IndexModel(
                "start_key",
                unique=True,
                partialFilterExpression={"start_key": {"$type": "string"}},
                name="start_key_unique",
            ),
            IndexModel(
                "connector_lock",
                unique=True,
                partialFilterExpression={"connector_lock": {"$type": "string"}},
                name="connector_lock_unique",
            ),
            IndexModel([("driver_id", ASCENDING), ("_id", DESCENDING)]),
            IndexModel([("org_id", ASCENDING), ("_id", DESCENDING)]),
            IndexModel(
                [("station_id", ASCENDING), ("connector_id", ASCENDING), ("status", ASCENDING)]
            ),
            # billing's settlement reconciler: final sessions in the order they were written
            IndexModel([("status", ASCENDING), ("updated_at", ASCENDING), ("_id", ASCENDING)]),
        ]


class SampleMeta(BaseModel):
    station_id: PydanticObjectId
    connector_id: int
    org_id: PydanticObjectId


class MeterSample(Document):
    """Every sampled value a station sends, in base units, in a time-series collection."""

    at: datetime
    meta: SampleMeta
    measurand: str
    value: float
    unit: str
    phase: str | None = None
    location: str | None = None
    context: str | None = None
    transaction_id: str | None = None
    key: str  # deterministic: see metering.sample_key
    reported_at: datetime | None = None

    class Settings:
        name = "meter_samples"
        timeseries = TimeSeriesConfig(
            time_field="at", meta_field="meta", granularity=Granularity.seconds
        )
        indexes = [
            IndexModel([("meta.station_id", ASCENDING), ("at", ASCENDING)]),
        ]


class OrphanTransactionMessage(Document):
    """A transaction message for a transaction we do not know (e.g. a stop of a lost start).

    Answered like any other, logged, and kept here (one per station + transaction) for follow-up.
    """

    org_id: PydanticObjectId
    station_id: PydanticObjectId
    charge_point_id: str
    transaction_id: str
    action: str
    data: dict[str, Any] = Field(default_factory=dict)
    first_received_at: datetime = Field(default_factory=utcnow)
    last_received_at: datetime = Field(default_factory=utcnow)
    times_received: int = 1

    class Settings:
        name = "orphan_transaction_messages"
        indexes = [
            IndexModel(
                [("station_id", ASCENDING), ("transaction_id", ASCENDING), ("action", ASCENDING)],
                unique=True,
            ),
        ]


DOCUMENTS: list[type[Document]] = [
    IdToken,
    ChargingSession,
    MeterSample,
    OrphanTransactionMessage,
]
