"""A station's security at the edge: its OCPP security profile and the certificates it holds."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.types.common import utc
from domain.security.models import CertificateType
from domain.security.models import StationCertificate as DomainCertificate

strawberry.enum(CertificateType, name="CertificateType")


@strawberry.type(description="A certificate laddnet signed for, or knows installed on, a station.")
class StationCertificate:
    id: strawberry.ID
    certificate_type: CertificateType
    serial_number: str
    subject: str
    issuer: str
    expires_at: datetime
    source: str = strawberry.field(
        description="signed: laddnet's CA signed the station's CSR; installed: put there by hand."
    )

    @classmethod
    def from_domain(cls, c: DomainCertificate) -> StationCertificate:
        return cls(
            id=strawberry.ID(str(c.id)),
            certificate_type=c.certificate_type,
            serial_number=c.serial_number,
            subject=c.subject,
            issuer=c.issuer,
            expires_at=utc(c.expires_at) or c.expires_at,
            source=c.source,
        )
