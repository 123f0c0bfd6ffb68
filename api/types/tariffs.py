"""The tariff a station charges, as drivers and operators see it. The tariffs issue resolves it."""

from __future__ import annotations

import strawberry


@strawberry.type
class Tariff:
    id: strawberry.ID
    name: str
    currency: str
    summary: str
