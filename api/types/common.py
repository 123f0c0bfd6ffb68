"""Shared GraphQL types: locations, ranges, pages, money. Units convert here (W → kW, minor → Decimal)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from domain.common.clock import as_utc
from domain.common.errors import InvalidInput
from domain.common.geo import GeoPoint as DomainGeoPoint
from domain.common.money import Money as DomainMoney


@strawberry.type
class GeoPoint:
    latitude: float
    longitude: float

    @classmethod
    def from_domain(cls, point: DomainGeoPoint) -> GeoPoint:
        return cls(latitude=point.latitude, longitude=point.longitude)


@strawberry.input
class GeoPointInput:
    latitude: float
    longitude: float


@strawberry.input
class DateRangeInput:
    from_: datetime = strawberry.field(name="from")
    to: datetime

    def bounds(self) -> tuple[datetime, datetime]:
        start, end = as_utc(self.from_), as_utc(self.to)
        if end <= start:
            raise InvalidInput("the range must end after it starts", field="range")
        return start, end


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def from_domain(cls, money: DomainMoney) -> Money:
        return cls(amount=money.to_decimal(), currency=money.currency)


def kw(watts: float | None) -> float | None:
    return None if watts is None else watts / 1000.0


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
