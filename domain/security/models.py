"""What laddnet knows of the certificates its stations hold."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from domain.common.clock import utcnow


class CertificateType(StrEnum):
    """OCPP 2.0.1 CertificateSigningUseEnumType / GetCertificateIdUseEnumType, as stored."""

    CHARGING_STATION = "ChargingStationCertificate"
    V2G = "V2GCertificate"
    CSMS_ROOT = "CSMSRootCertificate"
    MANUFACTURER_ROOT = "ManufacturerRootCertificate"
    V2G_ROOT = "V2GRootCertificate"
    MO_ROOT = "MORootCertificate"


class StationCertificate(Document):
    org_id: PydanticObjectId
    station_id: PydanticObjectId
    charge_point_id: str
    certificate_type: CertificateType
    serial_number: str
    subject: str
    issuer: str
    not_before: datetime
    expires_at: datetime
    pem: str
    source: str  # "signed" (laddnet's CA from the station's CSR) or "installed"
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "station_certificates"
        indexes = [
            IndexModel([("station_id", ASCENDING), ("created_at", ASCENDING)]),
            IndexModel([("expires_at", ASCENDING)]),
        ]


class SecurityChange(Document):
    """Every profile raise and key rotation asked of a station, and how it ended."""

    org_id: PydanticObjectId
    station_id: PydanticObjectId
    kind: str  # "profile" | "password"
    profile: int | None = None
    status: str  # the station's answer: Accepted, Rejected, Offline, TimedOut, Failed
    confirmed_at: datetime | None = None  # the station connected with the new profile or key
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "station_security_changes"
        indexes = [IndexModel([("station_id", ASCENDING), ("created_at", ASCENDING)])]


DOCUMENTS: list[type[Document]] = [StationCertificate, SecurityChange]
