"""setUpPaymentMethod, setDefaultPaymentMethod, subscribe, cancelMembership, refundSession,
revenueReport, payments, paymentsCsv."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from api.context import Info
from api.errors import coded_errors, user_errors
from api.types.billing import (
    Membership,
    MembershipPayload,
    PaymentMethod,
    PaymentRecord,
    Refund,
    RefundSessionPayload,
    RevenueGroupBy,
    RevenueReport,
    SetDefaultPaymentMethodPayload,
    SetUpPaymentMethodPayload,
    billing_service,
)
from api.types.common import DateRangeInput
from domain.billing.models import Membership as DomainMembership
from domain.billing.reports import RevenueGroupBy as DomainGroupBy
from domain.common.errors import DomainError
from domain.network.service import parse_id


async def set_up_payment_method(info: Info) -> SetUpPaymentMethodPayload:
    ctx = info.context
    try:
        setup = await billing_service(ctx).set_up_payment_method(ctx.driver_id())
    except DomainError as error:
        return SetUpPaymentMethodPayload(errors=user_errors(error))
    return SetUpPaymentMethodPayload.from_domain(setup)


async def set_default_payment_method(
    info: Info, payment_method_id: strawberry.ID
) -> SetDefaultPaymentMethodPayload:
    ctx = info.context
    try:
        card = await billing_service(ctx).set_default_payment_method(
            ctx.driver_id(), str(payment_method_id)
        )
    except DomainError as error:
        return SetDefaultPaymentMethodPayload(errors=user_errors(error))
    return SetDefaultPaymentMethodPayload(payment_method=PaymentMethod.from_domain(card))


async def _membership(info: Info, m: DomainMembership) -> Membership:
    plans = await billing_service(info.context).plans_by_id([m.plan_id])
    return Membership.from_domain(m, plans.get(m.plan_id))


async def subscribe(info: Info, plan_id: strawberry.ID) -> MembershipPayload:
    ctx = info.context
    try:
        membership = await billing_service(ctx).subscribe(
            ctx.driver_id(), parse_id(plan_id, field="planId", what="plan")
        )
    except DomainError as error:
        return MembershipPayload(errors=user_errors(error))
    return MembershipPayload(membership=await _membership(info, membership))


async def cancel_membership(info: Info) -> MembershipPayload:
    ctx = info.context
    try:
        membership = await billing_service(ctx).cancel_membership(ctx.driver_id())
    except DomainError as error:
        return MembershipPayload(errors=user_errors(error))
    return MembershipPayload(membership=await _membership(info, membership))


async def refund_session(
    info: Info,
    session_id: strawberry.ID,
    amount: Decimal | None = None,
    reason: str | None = None,
) -> RefundSessionPayload:
    """All (amount left out) or part of what was captured; never more; a repeat is the same."""
    ctx = info.context
    try:
        payment, record = await billing_service(ctx).refund_session_decimal(
            ctx.acting_org(),
            parse_id(session_id, field="sessionId", what="session"),
            amount,
            reason,
        )
    except DomainError as error:
        return RefundSessionPayload(errors=user_errors(error))
    return RefundSessionPayload(refund=Refund.from_domain(record, payment.currency))


async def revenue_report(
    info: Info, range: DateRangeInput, group_by: RevenueGroupBy, timezone: str = "UTC"
) -> RevenueReport:
    ctx = info.context
    with coded_errors():
        start, end = range.bounds()
        report = await billing_service(ctx).revenue_report(
            ctx.reading_org(), start, end, DomainGroupBy(group_by.value), timezone=timezone
        )
    return RevenueReport.from_domain(report)


async def payments(info: Info, range: DateRangeInput) -> list[PaymentRecord]:
    """The organisation's receipted sessions and their payments in the range, by receipt number."""
    ctx = info.context
    with coded_errors():
        start, end = range.bounds()
        rows = await billing_service(ctx).payments_in_period(ctx.reading_org(), start, end)
    return [PaymentRecord.from_domain(p) for p in rows]


async def payments_csv(info: Info, range: DateRangeInput) -> str:
    """The same as ``payments``, as CSV text."""
    ctx = info.context
    with coded_errors():
        start, end = range.bounds()
        return await billing_service(ctx).payments_csv(ctx.reading_org(), start, end)
