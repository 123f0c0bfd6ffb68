"""unsettledSessions: ended sessions whose money is not settled yet, and why (for operators)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.types.charging import ChargingSession
from api.types.common import utc
from domain.billing.reconciler import Unsettled


@strawberry.type(
    description="An ended session whose payment is not settled yet (captured, released, charged "
    "or recorded as failed): the reconciler settles it, retrying with backoff."
)
class UnsettledSession:
    session: ChargingSession
    payment_status: str | None = strawberry.field(
        description="The payment's status; null while no payment is recorded for the session."
    )
    reason: str = strawberry.field(description="Why it is not settled yet.")
    attempts: int = strawberry.field(description="Settlement attempts the provider did not take.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is tried again (null: at the next round)."
    )

    @classmethod
    def from_domain(cls, u: Unsettled) -> UnsettledSession:
        p = u.payment
        return cls(
            session=ChargingSession.from_domain(u.session),
            payment_status=p.status.value if p else None,
            reason=u.reason,
            attempts=p.attempts if p else 0,
            next_attempt_at=utc(p.next_attempt_at) if p and p.next_attempt_at else None,
        )
