"""Charging sessions, id tokens, live progress and telemetry at the edge. Energy in kWh and power in
kW here; the domain keeps Wh and W.

``cost``, ``payment`` and ``receipt`` are null until tariffs and billing price and charge sessions:
null says "nothing priced or paid yet", which is the truth before those issues land.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.context import Info
from api.errors import UserError
from api.types.common import Money, PageInfo, kw, utc
from domain.charging import recording
from domain.charging.events import SessionUpdated
from domain.charging.metering import TelemetryRow
from domain.charging.models import ChargingSession as DomainSession
from domain.charging.models import IdToken as DomainIdToken
from domain.charging.state import SessionStatus
from domain.common.clock import utcnow
from domain.common.money import Money as DomainMoney

if TYPE_CHECKING:
    from api.types.network import PublicStation

strawberry.enum(SessionStatus, name="SessionStatus")


def kwh(wh: int | None) -> float | None:
    return None if wh is None else wh / 1000.0


@strawberry.type(description="An RFID card (or other token) a driver charges with.")
class IdToken:
    id_tag: str
    status: str  # OCPP AuthorizationStatus: Accepted, Blocked, Expired, Invalid
    created_at: datetime

    @classmethod
    def from_domain(cls, token: DomainIdToken) -> IdToken:
        return cls(
            id_tag=token.id_tag,
            status=token.status.value,
            created_at=utc(token.created_at),  # type: ignore[arg-type]
        )


@strawberry.type
class SessionPayment:
    """The payment of a session; billing records it (null until then)."""

    status: str
    amount_authorized: Money | None
    amount_captured: Money | None
    amount_refunded: Money | None


@strawberry.type
class ReceiptLine:
    kind: str
    description: str
    quantity: float
    unit: str
    unit_price: Money
    amount: Money


@strawberry.type
class Receipt:
    """The numbered receipt of a finished, priced session; billing issues it (null until then)."""

    number: str
    lines: list[ReceiptLine]
    subtotal: Money
    vat: Money
    total: Money


@strawberry.type(description="A charging session, from the remote start to the station's stop.")
class ChargingSession:
    id: strawberry.ID
    status: SessionStatus
    connector_id: int
    transaction_id: str | None
    id_tag: str | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    energy_kwh: float
    power_kw: float | None
    max_power_kw: float | None
    duration_seconds: int
    idle_seconds: int
    stop_reason: str | None
    station_id: strawberry.Private[str]
    doc: strawberry.Private[DomainSession | None] = None

    @classmethod
    def from_domain(cls, s: DomainSession) -> ChargingSession:
        now = recording.session_event(s, utcnow())  # duration and idle time up to now (or the end)
        return cls(
            id=strawberry.ID(str(s.id)),
            status=s.status,
            connector_id=s.connector_id,
            transaction_id=s.transaction_id,
            id_tag=s.id_tag,
            created_at=utc(s.created_at),  # type: ignore[arg-type]
            started_at=utc(s.started_at),
            ended_at=utc(s.ended_at),
            energy_kwh=s.energy_wh / 1000.0,
            power_kw=kw(s.last_power_w),
            max_power_kw=kw(s.max_power_w),
            duration_seconds=now.duration_seconds,
            idle_seconds=now.idle_seconds,
            stop_reason=s.stop_reason,
            station_id=str(s.station_id),
            doc=s,
        )

    @strawberry.field
    async def station(
        self, info: Info
    ) -> Annotated[PublicStation, strawberry.lazy("api.types.network")]:
        from api.types.network import PublicStation

        station = await info.context.loaders.stations.load(self.station_id)
        if station is None:  # stations are never deleted
            raise LookupError(f"station {self.station_id} of a session is missing")
        return PublicStation.from_domain(station)

    @strawberry.field
    async def cost(self, info: Info) -> Money | None:
        """The price so far (the receipt's total once it ended): null without a tariff."""
        from api.types.billing import session_cost

        return await session_cost(info.context, self.doc)

    @strawberry.field
    async def payment(self, info: Info) -> SessionPayment | None:
        from api.types.billing import session_payment

        return await session_payment(info.context, self.doc)

    @strawberry.field
    async def receipt(self, info: Info) -> Receipt | None:
        from api.types.billing import session_receipt

        return await session_receipt(info.context, self.doc)


@strawberry.type(description="A running session's numbers, as the station reports them.")
class SessionProgress:
    id: strawberry.ID
    status: SessionStatus
    energy_kwh: float
    power_kw: float | None
    duration_seconds: int
    idle_seconds: int
    cost: Money | None  # null until the session is priced
    updated_at: datetime

    @classmethod
    def from_event(cls, e: SessionUpdated) -> SessionProgress:
        cost = None
        if e.cost_amount is not None and e.currency:
            cost = Money.from_domain(DomainMoney(e.cost_amount, e.currency))
        return cls(
            id=strawberry.ID(e.session_id),
            status=SessionStatus(e.status),
            energy_kwh=e.energy_wh / 1000.0,
            power_kw=kw(e.power_w),
            duration_seconds=e.duration_seconds,
            idle_seconds=e.idle_seconds,
            cost=cost,
            updated_at=utc(e.at),  # type: ignore[arg-type]
        )


@strawberry.type(description="One moment of a connector's readings.")
class TelemetrySample:
    at: datetime
    connector_id: int
    temperature_c: float | None
    voltage_v: float | None
    current_a: float | None
    power_kw: float | None
    offered_power_kw: float | None
    energy_kwh: float | None  # the meter register, not the session's energy
    soc_percent: float | None

    @classmethod
    def from_domain(cls, row: TelemetryRow) -> TelemetrySample:
        return cls(
            at=utc(row.at),  # type: ignore[arg-type]
            connector_id=row.connector_id,
            temperature_c=row.temperature_c,
            voltage_v=row.voltage_v,
            current_a=row.current_a,
            power_kw=kw(row.power_w),
            offered_power_kw=kw(row.offered_power_w),
            energy_kwh=kwh(row.energy_wh),
            soc_percent=row.soc_percent,
        )


@strawberry.type
class ChargingSessionEdge:
    cursor: str
    node: ChargingSession


@strawberry.type
class ChargingSessionConnection:
    edges: list[ChargingSessionEdge]
    page_info: PageInfo
    total_count: int | None  # counted for operators' lists; null for a driver's own


@strawberry.input
class StartChargingInput:
    station_id: strawberry.ID
    connector_id: int
    # the card to pay with (the default one when left out): billing takes payments; until then
    # a session is started without one
    payment_method_id: strawberry.ID | None = None


@strawberry.input
class RemoteStartInput:
    station_id: strawberry.ID
    connector_id: int
    id_tag: str


@strawberry.type
class LinkIdTokenPayload:
    id_token: IdToken | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StartChargingPayload:
    session: ChargingSession | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ChargingSessionPayload:
    session: ChargingSession | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
