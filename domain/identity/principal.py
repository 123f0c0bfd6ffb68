"""Who is calling, as an access token says, and the authorisation rules every edge applies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from beanie import PydanticObjectId

from domain.common.errors import Forbidden
from domain.identity.models import OperatorRole


class PrincipalKind(StrEnum):
    DRIVER = "driver"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: str
    org_id: str | None = None
    role: OperatorRole | None = None

    @property
    def is_operator(self) -> bool:
        return self.kind is PrincipalKind.OPERATOR and self.org_id is not None

    def reading_org(self) -> PydanticObjectId:
        """The organisation whose data this operator may read (any role)."""
        if not self.is_operator:
            raise Forbidden("this needs an operator account")
        return PydanticObjectId(self.org_id)

    def acting_org(self) -> PydanticObjectId:
        """The organisation this operator may change: admins and operators, never viewers."""
        org = self.reading_org()
        if self.role not in (OperatorRole.ADMIN, OperatorRole.OPERATOR):
            raise Forbidden("a viewer cannot make changes")
        return org

    def admin_org(self) -> PydanticObjectId:
        org = self.reading_org()
        if self.role is not OperatorRole.ADMIN:
            raise Forbidden("this needs an admin of the organisation")
        return org

    def driver_id(self) -> PydanticObjectId:
        if self.kind is not PrincipalKind.DRIVER:
            raise Forbidden("this needs a driver account")
        return PydanticObjectId(self.id)
