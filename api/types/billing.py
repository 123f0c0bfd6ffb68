"""Payments, memberships, refunds, receipts and the revenue report at the edge."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.context import ApiContext
from api.errors import UserError
from api.types.charging import Receipt as ReceiptType
from api.types.charging import ReceiptLine as ReceiptLineType
from api.types.charging import SessionPayment as SessionPaymentType
from api.types.common import Money, utc
from api.types.network import Station
from api.types.tariffs import Plan
from domain.billing.customers import PaymentSetup
from domain.billing.models import Card, RefundRecord
from domain.billing.models import Membership as DomainMembership
from domain.billing.models import SessionPayment as DomainPayment
from domain.billing.reports import RevenueReport as DomainReport
from domain.billing.reports import RevenueRow as DomainRow
from domain.charging.models import ChargingSession as DomainSession
from domain.common.money import Money as DomainMoney
from domain.tariffs.models import Plan as DomainPlan
from domain.tariffs.units import price_to_decimal


@strawberry.type
class PaymentMethod:
    id: strawberry.ID
    brand: str
    last4: str
    exp_month: int
    exp_year: int

    @classmethod
    def from_domain(cls, card: Card) -> PaymentMethod:
        return cls(
            id=strawberry.ID(card.id),
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )


@strawberry.type
class SetUpPaymentMethodPayload:
    customer_id: str | None = None
    setup_intent_client_secret: str | None = None
    publishable_key: str | None = None
    ephemeral_key_secret: str | None = strawberry.field(
        default=None, description="null where the payment provider gives none"
    )
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_domain(cls, setup: PaymentSetup) -> SetUpPaymentMethodPayload:
        return cls(
            customer_id=setup.customer_id,
            setup_intent_client_secret=setup.setup_intent_client_secret,
            publishable_key=setup.publishable_key,
            ephemeral_key_secret=setup.ephemeral_key_secret,
        )


@strawberry.type
class SetDefaultPaymentMethodPayload:
    payment_method: PaymentMethod | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Membership:
    status: str  # ACTIVE, CANCELING (until currentPeriodEnd), PAST_DUE, INCOMPLETE, CANCELED
    current_period_end: datetime | None
    included_kwh_used: float
    plan_doc: strawberry.Private[DomainPlan | None]

    @strawberry.field
    def plan(self) -> Plan | None:
        return Plan.from_domain(self.plan_doc) if self.plan_doc else None

    @classmethod
    def from_domain(cls, m: DomainMembership, plan: DomainPlan | None) -> Membership:
        return cls(
            status=m.status.value,
            current_period_end=utc(m.current_period_end),
            included_kwh_used=m.included_wh_used / 1000.0,
            plan_doc=plan,
        )


@strawberry.type
class MembershipPayload:
    membership: Membership | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Refund:
    id: strawberry.ID
    status: str  # SUCCEEDED, PENDING (sent when the provider answers), FAILED
    amount: Money
    reason: str | None

    @classmethod
    def from_domain(cls, record: RefundRecord, currency: str) -> Refund:
        return cls(
            id=strawberry.ID(record.key),
            status=record.status,
            amount=Money.from_domain(DomainMoney(record.amount, currency)),
            reason=record.reason,
        )


@strawberry.type
class RefundSessionPayload:
    refund: Refund | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AssignTariffPayload:
    station: Station | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.enum
class RevenueGroupBy(Enum):
    STATION = "STATION"
    SITE = "SITE"
    DAY = "DAY"
    MONTH = "MONTH"
    PAYMENT_METHOD = "PAYMENT_METHOD"


def _m(amount: int, currency: str) -> Money:
    return Money.from_domain(DomainMoney(amount, currency))


@strawberry.type
class RevenueRow:
    key: str
    label: str
    sessions: int
    energy_revenue: Money
    time_revenue: Money
    idle_revenue: Money
    session_fees: Money
    membership_revenue: Money
    refunds: Money
    vat: Money
    net: Money
    gross: Money
    captured: Money = strawberry.field(
        description="What the payment provider took, less refunds, plus membership revenue: "
        "differs from gross while payments are pending or failed"
    )

    @classmethod
    def from_domain(cls, r: DomainRow) -> RevenueRow:
        c = r.currency
        return cls(
            key=r.key,
            label=r.label,
            sessions=r.sessions,
            energy_revenue=_m(r.energy, c),
            time_revenue=_m(r.time, c),
            idle_revenue=_m(r.idle, c),
            session_fees=_m(r.session_fees, c),
            membership_revenue=_m(r.membership, c),
            refunds=_m(r.refunds, c),
            vat=_m(r.vat, c),
            net=_m(r.net, c),
            gross=_m(r.gross, c),
            captured=_m(r.captured, c),
        )


@strawberry.type
class RevenueTotals:
    gross: Money
    net: Money
    vat: Money


@strawberry.type
class RevenueReport:
    rows: list[RevenueRow]
    totals: RevenueTotals

    @classmethod
    def from_domain(cls, report: DomainReport) -> RevenueReport:
        c = report.currency
        return cls(
            rows=[RevenueRow.from_domain(r) for r in report.rows],
            totals=RevenueTotals(
                gross=_m(report.gross, c), net=_m(report.net, c), vat=_m(report.vat, c)
            ),
        )


@strawberry.type(description="A receipted session with its payment, for the operator's lists.")
class PaymentRecord:
    session_id: strawberry.ID | None
    station_id: strawberry.ID
    receipt_number: int | None
    issued_at: datetime | None
    status: str
    total: Money | None
    captured: Money
    refunded: Money
    payment_method: str | None

    @classmethod
    def from_domain(cls, p: DomainPayment) -> PaymentRecord:
        r = p.receipt
        c = r.currency if r else p.currency
        return cls(
            session_id=strawberry.ID(str(p.session_id)) if p.session_id else None,
            station_id=strawberry.ID(str(p.station_id)),
            receipt_number=r.number if r else None,
            issued_at=utc(r.issued_at) if r else None,
            status=p.status.value,
            total=_m(r.total, c) if r else None,
            captured=_m(p.amount_captured, c),
            refunded=_m(p.amount_refunded, c),
            payment_method=p.payment_method_label,
        )


# -- a session's cost, payment and receipt (fields of ChargingSession) ---------------------------


async def session_cost(ctx: ApiContext, session: DomainSession | None) -> Money | None:
    billing = ctx.deps.billing
    if billing is None or session is None:
        return None
    cost = await billing.session_cost(session)
    return Money.from_domain(cost) if cost else None


async def _payment(ctx: ApiContext, session: DomainSession | None) -> DomainPayment | None:
    billing = ctx.deps.billing
    if billing is None or session is None or session.id is None:
        return None
    return await billing.payment_for_session(session.id)


async def session_payment(
    ctx: ApiContext, session: DomainSession | None
) -> SessionPaymentType | None:
    p = await _payment(ctx, session)
    if p is None:
        return None
    c = p.currency
    return SessionPaymentType(
        status=p.status.value,
        amount_authorized=_m(p.amount_authorized, c),
        amount_captured=_m(p.amount_captured, c),
        amount_refunded=_m(p.amount_refunded, c),
    )


async def session_receipt(ctx: ApiContext, session: DomainSession | None) -> ReceiptType | None:
    p = await _payment(ctx, session)
    if p is None or p.receipt is None:
        return None
    r = p.receipt
    c = r.currency
    return ReceiptType(
        number=str(r.number),
        lines=[
            ReceiptLineType(
                kind=line.kind,
                description=line.description,
                quantity=line.quantity / 1000.0,
                unit=line.unit,
                unit_price=Money(amount=price_to_decimal(line.unit_price, c), currency=c),
                amount=_m(line.amount, c),
            )
            for line in r.lines
        ],
        subtotal=_m(r.subtotal, c),
        vat=_m(r.vat, c),
        total=_m(r.total, c),
    )
