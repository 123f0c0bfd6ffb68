"""setUpPaymentMethod, setDefaultPaymentMethod, subscribe, cancelMembership, refundSession,
revenueReport, payments, paymentsCsv, unsettledSessions."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from api.context import Info
from api.errors import coded_errors, domain_errors_as
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
)
from api.types.common import DateRangeInput
from api.types.settlement import UnsettledSession
from domain.billing.models import Membership as DomainMembership
from domain.billing.reports import RevenueGroupBy as DomainGroupBy
from domain.common.errors import InvalidInput
from domain.network.service import parse_id


@domain_errors_as(SetUpPaymentMethodPayload)
async def set_up_payment_method(info: Info) -> SetUpPaymentMethodPayload:
    ctx = info.context
    setup = await ctx.deps.require_billing().set_up_payment_method(ctx.driver_id())
    return SetUpPaymentMethodPayload.from_domain(setup)


@domain_errors_as(SetDefaultPaymentMethodPayload)
async def set_default_payment_method(
    info: Info, payment_method_id: strawberry.ID
) -> SetDefaultPaymentMethodPayload:
    ctx = info.context
    card = await ctx.deps.require_billing().set_default_payment_method(
        ctx.driver_id(), str(payment_method_id)
    )
    return SetDefaultPaymentMethodPayload(payment_method=PaymentMethod.from_domain(card))


async def _membership(info: Info, m: DomainMembership) -> Membership:
    plans = await info.context.deps.require_billing().plans_by_id([m.plan_id])
    return Membership.from_domain(m, plans.get(m.plan_id))


@domain_errors_as(MembershipPayload)
async def subscribe(info: Info, plan_id: strawberry.ID) -> MembershipPayload:
    ctx = info.context
    membership = await ctx.deps.require_billing().subscribe(
        ctx.driver_id(), parse_id(plan_id, field="planId", what="plan")
    )
    return MembershipPayload(membership=await _membership(info, membership))


@domain_errors_as(MembershipPayload)
async def cancel_membership(info: Info) -> MembershipPayload:
    ctx = info.context
    membership = await ctx.deps.require_billing().cancel_membership(ctx.driver_id())
    return MembershipPayload(membership=await _membership(info, membership))


@domain_errors_as(RefundSessionPayload)
async def refund_session(
    info: Info,
    session_id: strawberry.ID,
    amount: Decimal | None = None,
    reason: str | None = None,
) -> RefundSessionPayload:
    """All (amount left out) or part of what was captured; never more; a repeat is the same."""
    ctx = info.context
    payment, record = await ctx.deps.require_billing().refund_session_decimal(
        ctx.acting_org(),
        parse_id(session_id, field="sessionId", what="session"),
        amount,
        reason,
    )
    return RefundSessionPayload(refund=Refund.from_domain(record, payment.currency))


async def revenue_report(
    info: Info, range: DateRangeInput, group_by: RevenueGroupBy, timezone: str = "UTC"
) -> RevenueReport:
    ctx = info.context
    with coded_errors():
        start, end = range.bounds()
        report = await ctx.deps.require_billing().revenue_report(
            ctx.reading_org(), start, end, DomainGroupBy(group_by.value), timezone=timezone
        )
    return RevenueReport.from_domain(report)


async def payments(info: Info, range: DateRangeInput) -> list[PaymentRecord]:
    """The organisation's receipted sessions and their payments in the range, by receipt number."""
    ctx = info.context
    with coded_errors():
        start, end = range.bounds()
        rows = await ctx.deps.require_billing().payments_in_period(ctx.reading_org(), start, end)
    return [PaymentRecord.from_domain(p) for p in rows]


async def payments_csv(info: Info, range: DateRangeInput) -> str:
    """The same as ``payments``, as CSV text."""
    ctx = info.context
    with coded_errors():
        start, end = range.bounds()
        return await ctx.deps.require_billing().payments_csv(ctx.reading_org(), start, end)


async def unsettled_sessions(info: Info, first: int = 100) -> list[UnsettledSession]:
    """The organisation's ended sessions whose payment is not settled yet, and why."""
    ctx = info.context
    with coded_errors():
        if not 1 <= first <= 500:
            raise InvalidInput("first is 1 to 500", field="first")
        rows = await ctx.deps.require_billing().unsettled_sessions(ctx.reading_org(), limit=first)
    return [UnsettledSession.from_domain(u) for u in rows]
