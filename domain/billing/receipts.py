"""Receipts from priced sessions: built (pure), numbered gap-free per organisation (the number and
the receipt are stored in one transaction), and the CSV export of a period's sessions and payments."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

from domain.billing import repository as repo
from domain.billing.models import Membership, Receipt, ReceiptLine, SessionPayment
from domain.common.csvsafe import SafeWriter
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


async def issue_receipt(
    payment: SessionPayment,
    priced: PricedSession,
    membership: Membership | None,
    issued_at: datetime,
) -> bool:
    """Number and store the payment's receipt, and use up the membership's included energy, all at
    once: if anything fails, no number is spent and nothing is stored (the caller may retry).
    Updates ``payment`` in memory. False when the payment had its receipt already."""
    included = (
        (membership.id, priced.included_wh_used)
        if membership is not None and membership.id is not None
        else None
    )
    receipt = await repo.save_numbered_receipt(
        payment,
        lambda number: build_receipt(number, issued_at, priced),
        included_wh=included,
    )
    if receipt is None:  # numbered by someone else meanwhile: take theirs, never overwrite it
        fresh = await repo.get_payment(payment.id) if payment.id is not None else None
        if fresh is not None:
            payment.receipt = fresh.receipt
            payment.included_wh_used = fresh.included_wh_used
            payment.membership_id = fresh.membership_id
        return False
    payment.receipt = receipt
    payment.included_wh_used = included[1] if included else 0
    payment.membership_id = included[0] if included else None
    return True


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
    writer = SafeWriter(out, lineterminator="\n")  # no cell is read as a formula
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
