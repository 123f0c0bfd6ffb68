"""The revenue report (MongoDB aggregation over receipts, refunds and membership invoices) and the
period listing/CSV. Receipts give the components (energy, time, idle, session fees; member
discounts and caps count against energy), payments give refunds and what was captured.

Per row: ``gross = receipts' totals - refunds + membership revenue``; ``vat`` is the VAT in the
receipts less the VAT share of refunds (membership plans carry no VAT rate: none is assumed);
``net = gross - vat``; ``captured`` is what the provider actually took less refunds plus membership
revenue, so a row whose ``captured`` differs from ``gross`` shows money still owed (pending or
failed payments, or amounts beyond a hold). Days and months are in ``timezone``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.models import SessionPayment
from domain.billing.ports import NetworkPort, TariffsPort
from domain.billing.receipts import payments_csv
from domain.common.clock import as_utc
from domain.common.errors import InvalidInput


class RevenueGroupBy(StrEnum):
    STATION = "STATION"
    SITE = "SITE"
    DAY = "DAY"
    MONTH = "MONTH"
    PAYMENT_METHOD = "PAYMENT_METHOD"


MEMBERSHIP_KEY = "memberships"


@dataclass
class RevenueRow:
    key: str
    label: str
    currency: str
    sessions: int = 0
    energy: int = 0
    time: int = 0
    idle: int = 0
    session_fees: int = 0
    membership: int = 0
    refunds: int = 0
    vat: int = 0
    gross: int = 0
    captured: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.vat


@dataclass
class RevenueReport:
    rows: list[RevenueRow] = field(default_factory=list)
    currency: str = "EUR"

    @property
    def gross(self) -> int:
        return sum(r.gross for r in self.rows if r.currency == self.currency)

    @property
    def vat(self) -> int:
        return sum(r.vat for r in self.rows if r.currency == self.currency)

    @property
    def net(self) -> int:
        return self.gross - self.vat


def _sum_kinds(kinds: list[str]) -> dict[str, Any]:
    return {
        "$sum": {
            "$map": {
                "input": {
                    "$filter": {
                        "input": "$receipt.lines",
                        "as": "l",
                        "cond": {"$in": ["$$l.kind", kinds]},
                    }
                },
                "as": "l",
                "in": "$$l.amount",
            }
        }
    }


def _key(group: RevenueGroupBy, date_field: str, timezone: str) -> Any:
    if group is RevenueGroupBy.STATION:
        return {"$toString": "$station_id"}
    if group is RevenueGroupBy.SITE:
        return {"$toString": "$site_id"}
    if group is RevenueGroupBy.DAY:
        return {"$dateToString": {"format": "%Y-%m-%d", "date": date_field, "timezone": timezone}}
    if group is RevenueGroupBy.MONTH:
        return {"$dateToString": {"format": "%Y-%m", "date": date_field, "timezone": timezone}}
    return {"$ifNull": ["$payment_method_label", "none"]}


class RevenueReports:
    """Revenue by station, site, day, month or payment method, and the period's payments."""

    def __init__(self, network: NetworkPort, tariffs: TariffsPort) -> None:
        self.network = network
        self.tariffs = tariffs

    async def revenue_report(
        self,
        org_id: PydanticObjectId,
        start: datetime,
        end: datetime,
        group: RevenueGroupBy,
        *,
        timezone: str = "UTC",
    ) -> RevenueReport:
        start, end = as_utc(start), as_utc(end)
        if end <= start:
            raise InvalidInput("the range must end after it starts", field="range")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"{timezone!r} is not an IANA timezone", field="timezone") from None
        rate = "$receipt.vat_rate_bp"
        pipeline: list[dict[str, Any]] = [
            {"$match": {"org_id": org_id, "receipt.issued_at": {"$gte": start, "$lt": end}}},
            {
                "$project": {
                    "key": _key(group, "$receipt.issued_at", timezone),
                    "currency": "$receipt.currency",
                    "energy": _sum_kinds(["ENERGY", "DISCOUNT", "CAP", "INCLUDED_ENERGY"]),
                    "time": _sum_kinds(["TIME"]),
                    "idle": _sum_kinds(["IDLE"]),
                    "fees": _sum_kinds(["SESSION_FEE"]),
                    "total": "$receipt.total",
                    "vat": "$receipt.vat",
                    "refunded": "$amount_refunded",
                    "captured": "$amount_captured",
                    "refund_vat": {
                        "$round": [
                            {
                                "$divide": [
                                    {"$multiply": ["$amount_refunded", rate]},
                                    {"$add": [10_000, rate]},
                                ]
                            },
                            0,
                        ]
                    },
                }
            },
            {
                "$group": {
                    "_id": {"key": "$key", "currency": "$currency"},
                    "sessions": {"$sum": 1},
                    **{
                        name: {"$sum": f"${name}"}
                        for name in (
                            "energy",
                            "time",
                            "idle",
                            "fees",
                            "total",
                            "vat",
                            "refunded",
                            "captured",
                            "refund_vat",
                        )
                    },
                }
            },
            {"$sort": {"_id.key": 1}},
        ]
        rows: dict[tuple[str, str], RevenueRow] = {}
        for doc in await repo.aggregate_payments(pipeline):
            key, currency = str(doc["_id"]["key"]), str(doc["_id"]["currency"])
            refunds = int(doc["refunded"])
            rows[(key, currency)] = RevenueRow(
                key=key,
                label=key,
                currency=currency,
                sessions=int(doc["sessions"]),
                energy=int(doc["energy"]),
                time=int(doc["time"]),
                idle=int(doc["idle"]),
                session_fees=int(doc["fees"]),
                refunds=refunds,
                vat=int(doc["vat"]) - int(doc["refund_vat"]),
                gross=int(doc["total"]) - refunds,
                captured=int(doc["captured"]) - refunds,
            )
        membership_key: Any = (
            MEMBERSHIP_KEY
            if group in (RevenueGroupBy.STATION, RevenueGroupBy.SITE, RevenueGroupBy.PAYMENT_METHOD)
            else _key(group, "$paid_at", timezone)
        )
        charges = await repo.aggregate_membership_charges(
            [
                {"$match": {"org_id": org_id, "paid_at": {"$gte": start, "$lt": end}}},
                {
                    "$group": {
                        "_id": {"key": membership_key, "currency": "$currency"},
                        "amount": {"$sum": "$amount"},
                    }
                },
            ]
        )
        for doc in charges:
            key, currency = str(doc["_id"]["key"]), str(doc["_id"]["currency"])
            row = rows.setdefault((key, currency), RevenueRow(key, key, currency))
            row.membership += int(doc["amount"])
            row.gross += int(doc["amount"])
            row.captured += int(doc["amount"])
        await self._label(rows.values(), group)
        ordered = sorted(rows.values(), key=lambda r: (r.key, r.currency))
        report = RevenueReport(rows=ordered)
        if ordered:
            by_currency: dict[str, int] = {}
            for r in ordered:
                by_currency[r.currency] = by_currency.get(r.currency, 0) + abs(r.gross) + r.sessions
            report.currency = max(by_currency, key=lambda c: by_currency[c])
        else:  # nothing earned yet: the totals are zero in the currency the organisation prices in
            report.currency = await self.tariffs.org_currency(org_id) or report.currency
        return report

    async def _label(self, rows: Any, group: RevenueGroupBy) -> None:
        rows = list(rows)
        ids = [PydanticObjectId(r.key) for r in rows if PydanticObjectId.is_valid(r.key)]
        if group is RevenueGroupBy.STATION:
            names = await self.network.station_names(ids)
        elif group is RevenueGroupBy.SITE:
            names = await self.network.site_names(ids)
        else:
            names = {}
        for row in rows:
            if row.key == MEMBERSHIP_KEY:
                row.label = "Memberships"
            else:
                row.label = names.get(row.key, row.key)

    async def payments_in_period(
        self, org_id: PydanticObjectId, start: datetime, end: datetime
    ) -> list[SessionPayment]:
        start, end = as_utc(start), as_utc(end)
        if end <= start:
            raise InvalidInput("the range must end after it starts", field="range")
        return await repo.payments_in_period(org_id, start, end)

    async def payments_csv(self, org_id: PydanticObjectId, start: datetime, end: datetime) -> str:
        return payments_csv(await self.payments_in_period(org_id, start, end))
