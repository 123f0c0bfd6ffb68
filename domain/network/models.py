"""Sites, stations and their connectors: the registry the OCPP server and the API share."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, GEOSPHERE, IndexModel

from domain.common.clock import utcnow
from domain.common.geo import GeoPoint


class ConnectorStandard(StrEnum):
    TYPE2 = "TYPE2"
    CCS2 = "CCS2"
    CCS1 = "CCS1"
    CHADEMO = "CHADEMO"
    TYPE1 = "TYPE1"
    NACS = "NACS"
    DOMESTIC = "DOMESTIC"


class ConnectorStatus(StrEnum):
    """The union of OCPP 1.6 ChargePointStatus and 2.0.1 ConnectorStatusEnumType."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"
    OCCUPIED = "Occupied"  # 2.0.1
    UNKNOWN = "Unknown"  # never reported yet


OCCUPIED_STATUSES = frozenset(
    {
        ConnectorStatus.PREPARING,
        ConnectorStatus.CHARGING,
        ConnectorStatus.SUSPENDED_EVSE,
        ConnectorStatus.SUSPENDED_EV,
        ConnectorStatus.FINISHING,
        ConnectorStatus.OCCUPIED,
    }
)


class RegistrationStatus(StrEnum):
    """What a BootNotification is answered with."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class Connector(BaseModel):
    connector_id: int
    standard: ConnectorStandard = ConnectorStandard.TYPE2
    max_power_w: int = 22_000
    status: ConnectorStatus = ConnectorStatus.UNKNOWN
    error_code: str | None = None
    status_since: datetime | None = None


class Site(Document):
    org_id: PydanticObjectId
    name: str
    address: str = ""
    location: GeoPoint
    timezone: str = "UTC"
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "sites"
        indexes = [
            IndexModel([("org_id", ASCENDING), ("name", ASCENDING)], unique=True),
            IndexModel([("location", GEOSPHERE)]),
        ]


class Station(Document):
    org_id: PydanticObjectId
    site_id: PydanticObjectId
    charge_point_id: str
    name: str
    password_hash: str
    location: GeoPoint
    connectors: list[Connector] = Field(default_factory=list)
    registration: RegistrationStatus = RegistrationStatus.ACCEPTED
    tariff_id: PydanticObjectId | None = None

    # OCPP security profile the station must use (1 Basic auth over ws, 2 TLS + Basic auth,
    # 3 TLS + client certificate); it only goes up. A raise or a new key asked of the station
    # waits in ``pending_*`` until the station connects with it (domain/security).
    security_profile: int = 1
    pending_security_profile: int | None = None
    pending_password_hash: str | None = None

    # What the station told us about itself
    ocpp_version: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    booted_at: datetime | None = None

    # Connectivity
    online: bool = False
    last_seen_at: datetime | None = None
    connected_at: datetime | None = None
    node_id: str | None = None  # the OCPP node holding the connection
    connectivity_since: datetime | None = None  # when ``online`` last took its value
    connectivity_version: int = 0  # bumped by each sync of the connectivity intervals
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "stations"
        indexes = [
            IndexModel("charge_point_id", unique=True),
            IndexModel([("org_id", ASCENDING), ("site_id", ASCENDING), ("name", ASCENDING)]),
            IndexModel([("location", GEOSPHERE)]),
        ]

    def connector(self, connector_id: int) -> Connector | None:
        for c in self.connectors:
            if c.connector_id == connector_id:
                return c
        return None


class StatusInterval(Document):
    """One connector's status from ``start`` until ``end`` (open while ``end`` is None).

    Connector 0 is the station as a whole (OCPP 1.6). Reports of utilisation and uptime are computed
    from these intervals.
    """

    org_id: PydanticObjectId
    site_id: PydanticObjectId
    station_id: PydanticObjectId
    connector_id: int
    status: ConnectorStatus
    error_code: str | None = None
    vendor_error_code: str | None = None
    info: str | None = None
    start: datetime
    end: datetime | None = None

    class Settings:
        name = "status_intervals"
        indexes = [
            IndexModel(
                [("station_id", ASCENDING), ("connector_id", ASCENDING), ("end", ASCENDING)]
            ),
            IndexModel([("org_id", ASCENDING), ("start", ASCENDING)]),
            IndexModel([("site_id", ASCENDING), ("start", ASCENDING)]),
        ]


class ConnectivityInterval(Document):
    """A station online (its websocket held by a node) or offline from ``start`` until ``end``
    (open while ``end`` is None). Exactly one interval per station is open once it has connected;
    they follow one another without overlap. Time before a station's first interval is unknown
    and counts as online in reports (only recorded offline time is held against it)."""

    org_id: PydanticObjectId
    site_id: PydanticObjectId
    station_id: PydanticObjectId
    online: bool
    start: datetime
    end: datetime | None = None

    class Settings:
        name = "connectivity_intervals"
        indexes = [
            IndexModel([("station_id", ASCENDING), ("end", ASCENDING)]),
            IndexModel([("station_id", ASCENDING), ("online", ASCENDING), ("start", ASCENDING)]),
            IndexModel([("org_id", ASCENDING), ("start", ASCENDING)]),
        ]


class StationVariable(Document):
    """One setting of a station's device model as last reported (2.0.1 NotifyReport, GetVariables;
    1.6 GetConfiguration keys as variables of the component ``ChargePoint``). ``key`` is
    ``device_model.VariableRef.key()``: one document per setting of a station."""

    org_id: PydanticObjectId
    station_id: PydanticObjectId
    key: str
    component: str
    component_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    variable: str
    variable_instance: str | None = None
    value: str | None = None
    mutability: str | None = None  # ReadOnly | WriteOnly | ReadWrite
    attributes: dict[str, str | None] = Field(default_factory=dict)  # Actual, Target, MinSet, ...
    unit: str | None = None
    data_type: str | None = None
    reported_at: datetime
    request_id: int | None = None  # the report (GetBaseReport) that last carried it

    class Settings:
        name = "station_variables"
        indexes = [
            IndexModel([("station_id", ASCENDING), ("key", ASCENDING)], unique=True),
            IndexModel([("station_id", ASCENDING), ("component", ASCENDING), ("key", ASCENDING)]),
        ]


class ReportPart(BaseModel):
    """One NotifyReport message of a report: its sequence number and whether more follow."""

    seq_no: int
    tbc: bool
    generated_at: datetime
    received_at: datetime
    variables: int


class ReportRequest(Document):
    """A device-model report asked of a station (2.0.1 GetBaseReport, 1.6 GetConfiguration) with
    the request id it was sent with, the station's answer and the NotifyReport parts that came
    for it. ``report`` is None for parts of a report nobody here asked for."""

    org_id: PydanticObjectId
    station_id: PydanticObjectId
    request_id: int
    report: str | None = None  # device_model.ReportKind value
    status: str = "requested"  # requested | a CommandStatus value once the station answered
    detail: str | None = None
    requested_at: datetime
    answered_at: datetime | None = None
    parts: list[ReportPart] = Field(default_factory=list)
    complete: bool = False  # the part with tbc false has come
    completed_at: datetime | None = None

    class Settings:
        name = "report_requests"
        indexes = [
            IndexModel([("station_id", ASCENDING), ("request_id", ASCENDING)], unique=True),
            IndexModel([("station_id", ASCENDING), ("requested_at", ASCENDING)]),
        ]
