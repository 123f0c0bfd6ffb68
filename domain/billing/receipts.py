"""Receipts from priced sessions (pure), and the CSV export of a period's sessions and payments."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from domain.billing.models import Receipt, ReceiptLine, SessionPayment
from domain.common.money import Money
from domain.tariffs.pricing import PricedSession


def build_receipt(number: int, issued_at: datetime, priced: PricedSession) -> Receipt:
    return Receipt(
        number=number,
        issued_at=issued_at,
        currency=priced.currency,
        vat_rate_bp=priced.vat_rate_bp,
        lines=[
            ReceiptLine(
                kind=line.kind.value,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for line in priced.lines
        ],
        subtotal=priced.subtotal,
        vat=priced.vat,
        total=priced.total,
        energy_wh=priced.energy_wh,
    )


CSV_COLUMNS = [
    "receipt_number",
    "issued_at",
    "session_id",
    "station_id",
    "site_id",
    "driver_id",
    "currency",
    "energy_kwh",
    "subtotal",
    "vat",
    "total",
    "payment_status",
    "payment_method",
    "authorized",
    "captured",
    "refunded",
    "payment_intent",
]


def _decimal(amount: int, currency: str) -> str:
    return Money(amount, currency).to_decimal_string()


def payments_csv(payments: Iterable[SessionPayment]) -> str:
    """One row per receipted session: amounts as decimal strings in the session's currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in payments:
        r = p.receipt
        if r is None:
            continue
        c = r.currency
        writer.writerow(
            [
                r.number,
                r.issued_at.isoformat(),
                str(p.session_id or ""),
                str(p.station_id),
                str(p.site_id),
                str(p.driver_id or ""),
                c,
                f"{r.energy_wh / 1000:.3f}",
                _decimal(r.subtotal, c),
                _decimal(r.vat, c),
                _decimal(r.total, c),
                p.status.value,
                p.payment_method_label or "",
                _decimal(p.amount_authorized, c),
                _decimal(p.amount_captured, c),
                _decimal(p.amount_refunded, c),
                p.intent_id or "",
            ]
        )
    return out.getvalue()
